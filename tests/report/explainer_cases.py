"""Networks for the explainer's tests: one spec per registry layer kind (non-default settings
where the registry allows them), hand-built residual and concat blocks following the spec's
module contract, and torch's reference outputs under the names the page uses."""

from __future__ import annotations

import torch
from torch import nn

from cnnviz.design.build import build_model


def _conv(c: int, k: int = 3, **kw) -> dict:
    return {"type": "conv2d", "out_channels": c, "kernel_size": k, **kw}


# Every kind of cnnviz.design.layer_kinds.LAYER_KINDS, each with the settings worth checking.
KIND_CASES: dict[str, list[dict]] = {
    "conv2d": [
        {
            "input": [4, 11, 9],
            "layers": [
                _conv(
                    6, [3, 2], stride=[2, 1], padding=[1, 2], dilation=[2, 1], groups=2, bias=False
                )
            ],
        },
        {"input": [3, 8, 8], "layers": [_conv(5, 4, padding="same", dilation=2)]},
        {"input": [3, 8, 7], "layers": [_conv(4, 3, padding="valid", stride=3)]},
    ],
    "maxpool2d": [
        {
            "input": [2, 11, 10],
            "layers": [
                {
                    "type": "maxpool2d",
                    "kernel_size": 3,
                    "stride": 2,
                    "padding": 1,
                    "dilation": 2,
                    "ceil_mode": True,
                }
            ],
        },
        {"input": [2, 9, 9], "layers": [{"type": "maxpool2d", "kernel_size": [2, 3]}]},
        # ceil_mode where the last window would start in the padding: torch drops it
        {
            "input": [2, 5, 7],
            "layers": [
                {
                    "type": "maxpool2d",
                    "kernel_size": 2,
                    "stride": 2,
                    "padding": 1,
                    "ceil_mode": True,
                }
            ],
        },
    ],
    "avgpool2d": [
        {
            "input": [2, 10, 9],
            "layers": [
                {
                    "type": "avgpool2d",
                    "kernel_size": 3,
                    "stride": 2,
                    "padding": 1,
                    "ceil_mode": True,
                }
            ],
        },
        {
            "input": [3, 7, 7],
            "layers": [{"type": "avgpool2d", "kernel_size": [2, 3], "stride": [1, 2]}],
        },
        # ceil_mode with padding: the divisor counts the padding, not what hangs past it
        {
            "input": [2, 5, 7],
            "layers": [
                {
                    "type": "avgpool2d",
                    "kernel_size": 2,
                    "stride": 2,
                    "padding": 1,
                    "ceil_mode": True,
                }
            ],
        },
    ],
    "adaptiveavgpool2d": [
        {"input": [3, 7, 5], "layers": [{"type": "adaptiveavgpool2d", "output_size": [3, 2]}]},
    ],
    "batchnorm2d": [{"input": [3, 5, 5], "layers": [_conv(4), {"type": "batchnorm2d"}]}],
    "dropout": [
        {
            "input": [6],
            "layers": [{"type": "dropout", "p": 0.5}, {"type": "linear", "out_features": 3}],
        }
    ],
    "relu": [{"input": [2, 5, 5], "layers": [_conv(3), {"type": "relu"}]}],
    "leakyrelu": [
        {"input": [2, 5, 5], "layers": [_conv(3), {"type": "leakyrelu", "negative_slope": 0.2}]}
    ],
    "sigmoid": [{"input": [2, 5, 5], "layers": [_conv(3), {"type": "sigmoid"}]}],
    "tanh": [{"input": [2, 5, 5], "layers": [_conv(3), {"type": "tanh"}]}],
    "gelu": [{"input": [2, 5, 5], "layers": [_conv(3), {"type": "gelu"}]}],
    "flatten": [
        {"input": [3, 4, 5], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 4}]}
    ],
    "linear": [
        {
            "input": [7],
            "layers": [
                {"type": "linear", "out_features": 5},
                {"type": "linear", "out_features": 3, "bias": False},
            ],
        },
    ],
    "softmax": [
        {"input": [3, 4, 4], "layers": [_conv(5), {"type": "softmax"}]},
        {"input": [6], "layers": [{"type": "linear", "out_features": 4}, {"type": "softmax"}]},
    ],
}


class Residual(nn.Module):
    """The spec builder's residual contract: ``body`` and ``shortcut``; out = body(x) + shortcut(x)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()
        )
        self.shortcut = (
            nn.Identity()
            if c_in == c_out and stride == 1
            else nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class Concat(nn.Module):
    """The spec builder's concat contract: ``branches``, outputs joined along the channels."""

    def __init__(self, *branches: nn.Sequential) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([b(x) for b in self.branches], dim=1)


def block_models() -> dict[str, tuple[nn.Module, list[int]]]:
    """Residual (identity and conv1x1 shortcuts) and concat blocks, hand-built per the contract."""
    torch.manual_seed(0)
    models = {
        "residual-identity": (
            nn.Sequential(
                nn.Conv2d(3, 4, 3, padding=1),
                Residual(4, 4, 1),
                nn.Flatten(),
                nn.Linear(4 * 6 * 6, 3),
            ),
            [3, 6, 6],
        ),
        "residual-conv1x1": (
            nn.Sequential(Residual(3, 6, 2), nn.ReLU(), Residual(6, 6, 1)),
            [3, 9, 9],
        ),
        "concat": (
            nn.Sequential(
                Concat(
                    nn.Sequential(nn.Conv2d(3, 2, 1)),
                    nn.Sequential(nn.Conv2d(3, 3, 3, padding=1), nn.ReLU()),
                    nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1)),
                ),
                nn.Conv2d(8, 2, 3),
            ),
            [3, 7, 7],
        ),
    }
    return {k: (randomize(m, i), shape) for i, (k, (m, shape)) in enumerate(models.items())}


def randomize(model: nn.Module, seed: int = 0, *, tiny_var: bool = True) -> nn.Module:
    """Random BatchNorm2d running statistics and affine (not the 0 / 1 they start with), eval mode.

    ``tiny_var``: variances down to 1e-4, where eps = 1e-5 matters (small networks only: in a
    deep one they blow values up to where torch's own float32 rounding passes 1e-4)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.5)
                u = torch.rand(m.num_features, generator=g)
                m.running_var.copy_(torch.exp(u * 10 - 9) if tiny_var else u + 0.5)
                m.weight.copy_(torch.randn(m.num_features, generator=g))
                m.bias.copy_(torch.randn(m.num_features, generator=g))
    return model.eval()


def kind_models() -> dict[str, tuple[nn.Module, list[int]]]:
    out = {}
    for kind, specs in KIND_CASES.items():
        for i, spec in enumerate(specs):
            torch.manual_seed(i)
            out[f"{kind}-{i}"] = (randomize(build_model(spec), i), list(spec["input"]))
    return out


def _hooked(name: str, module: nn.Module, model: nn.Module) -> bool:
    """The modules the page reports: every leaf and every block, not the plain containers."""
    if not name or isinstance(module, nn.ModuleList):
        return False
    if isinstance(module, nn.Sequential):
        return False
    parent = name.rsplit(".", 1)[0] if "." in name else ""
    return not (isinstance(module, nn.Identity) and name.endswith(".shortcut") and parent)


def torch_reference(
    model: nn.Module, x: torch.Tensor
) -> tuple[list[tuple[str, torch.Tensor]], torch.Tensor]:
    """[(name, output of one image)] in the order torch computes them, and the probabilities:
    the output itself when the network ends in Softmax, else softmax over its values."""
    seen: list[tuple[str, torch.Tensor]] = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, o, n=n: seen.append((n, o[0].detach().clone())))
        for n, m in model.named_modules()
        if _hooked(n, m, model)
    ]
    try:
        with torch.no_grad():
            y = model(x[None])[0]
    finally:
        for h in hooks:
            h.remove()
    last = list(model.children())[-1] if len(list(model.children())) else None
    probs = y.flatten() if isinstance(last, nn.Softmax) else torch.softmax(y.flatten(), 0)
    return seen, probs
