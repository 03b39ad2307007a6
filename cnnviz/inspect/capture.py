"""What each layer outputs: activations captured with forward hooks, and predictions.

The forward pass here is the course's "evaluate without the backward pass": it
runs under ``model.eval()`` (Dropout off, BatchNorm2d uses its running mean and
variance) and ``torch.no_grad()``. Afterwards every hook is removed (in
``finally``, also when the forward pass fails) and every submodule's train/eval
mode is put back as it was, so inspecting a model that is still training does
not disturb it.

API::

    caps = capture(model, x)              # x: float batch [B, C, H, W] (already normalized)
    caps[3].name, caps[3].shape           # "3 ReLU", (1, 64, 14, 14)  == summarize's output_shape
    pred = predict(model, x, temperature=1.0)
    pred.logits, pred.probs               # [B, K] each; probs rows sum to 1

These functions switch the model to eval mode and add hooks for a moment: give them a
*copy* of a network that is training in another thread (``Job.snapshot_model()``), never
the live one, and do not share one model object between sessions.

``Capture.shape`` is a tuple (batch first); compare with summarize's
``output_shape`` (a list) as ``list(c.shape)``. A model that ends in Softmax has
its logits taken from the layer before it (see ``split_softmax``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

MAX_CAPTURE_BYTES = 512 * 2**20  # all captured outputs together


class CaptureError(ValueError):
    """The forward pass could not run on this input; the message says why and what to do."""


@dataclass(frozen=True)
class Capture:
    """One layer's output for the batch that went through the network."""

    index: int  # position in the Sequential (= the spec layer index; a block's for inner layers)
    name: str  # "3 ReLU": index and torch class name ("4.2 Conv2d" inside a block)
    type: str  # "ReLU"
    output: torch.Tensor  # detached, on the CPU, float
    shape: tuple[int, ...]  # output.shape, batch first
    path: str = ""  # the spec path ("3", or "4.2" inside a block: summarize's row["path"])

    @property
    def is_map(self) -> bool:
        """True for [B, C, H, W] outputs (feature maps), False for [B, N] vectors."""
        return self.output.dim() == 4


class Prediction(NamedTuple):
    """Class scores before (logits) and after softmax (probs), each [B, K]."""

    logits: torch.Tensor
    probs: torch.Tensor


def layer_name(index: int | str, module: nn.Module) -> str:
    return f"{index} {type(module).__name__}"


def _inner(module: nn.Module) -> list[nn.Sequential] | None:
    """The layer lists of a block module (a Residual's body, a Concat's branches), else None."""
    body = getattr(module, "body", None)
    if isinstance(body, nn.Sequential) and hasattr(module, "shortcut"):
        return [body]
    branches = getattr(module, "branches", None)
    if isinstance(branches, nn.ModuleList):
        return [b for b in branches if isinstance(b, nn.Sequential)]
    return None


def layer_module(model: nn.Module, where: int | str) -> nn.Module:
    """The module of the layer at spec path ``where`` ("4.2": block 4's third layer; "4.1.0":
    a concat block's branch 1, layer 0), as cnnviz.design.build names them; CaptureError if none.
    """
    steps = [int(p) for p in str(where).split(".") if p.isdigit()]
    if not steps or len(steps) != len(str(where).split(".")):
        raise CaptureError(f"no layer {where!r} in this network")
    kids = [m for _, m in _children(model)]
    while True:
        i = steps.pop(0)
        if not 0 <= i < len(kids):
            raise CaptureError(f"no layer {where}: the network has no layer {i} there")
        module = kids[i]
        if not steps:
            return module
        lists = _inner(module)
        if not lists:
            raise CaptureError(f"no layer {where}: layer {i} is not a block")
        b = steps.pop(0) if len(lists) > 1 or "branches" in module._modules else 0
        if not 0 <= b < len(lists) or not steps:
            raise CaptureError(f"no layer {where}: no branch {b}")
        kids = list(lists[b])


def layer_paths(model: nn.Module) -> list[str]:
    """Every layer's path, a block's layers before the block (the order outputs are made)."""
    out: list[str] = []

    def walk(kids: list[nn.Module], prefix: str) -> None:
        for i, m in enumerate(kids):
            lists = _inner(m)
            if lists is not None:
                many = "branches" in m._modules
                for b, seq in enumerate(lists):
                    walk(list(seq), f"{prefix}{i}.{b}." if many else f"{prefix}{i}.")
            out.append(f"{prefix}{i}")

    walk([m for _, m in _children(model)], "")
    return out


def _children(model: nn.Module) -> list[tuple[int, nn.Module]]:
    kids = list(model.children())
    return list(enumerate(kids)) if kids else [(0, model)]


@contextlib.contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``model.eval()`` for the block; afterwards each submodule's own mode is restored."""
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        yield model
    finally:
        for m, training in modes:
            m.training = training


def _first_tensor(out: object) -> torch.Tensor | None:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)):
        for o in out:
            if isinstance(o, torch.Tensor):
                return o
    return None


def _check_input(x: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor):
        raise CaptureError(f"the input must be a tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise CaptureError(
            f"the input is {x.dtype}, not float: normalize the uint8 images first "
            "(e.g. Normalization.apply) before the forward pass"
        )
    if x.dim() < 2:
        raise CaptureError(
            f"the input has shape {list(x.shape)}: give a batch, e.g. x[None] for one image"
        )


def _device_of(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def _forward_failed(err: Exception, x: torch.Tensor, where: str) -> CaptureError:
    return CaptureError(
        f"the forward pass failed at {where} for an input of shape {list(x.shape)}: {err}. "
        "Check that the image has the channels and size the network was built for."
    )


def capture(
    model: nn.Module,
    x: torch.Tensor,
    layers: Sequence[int | str] | None = None,
    *,
    max_bytes: int = MAX_CAPTURE_BYTES,
) -> list[Capture]:
    """Each chosen layer's output for the batch ``x`` (float, normalized, batch first).

    ``layers``: indices of children of the Sequential, or spec paths such as ``"4.2"`` for a
    layer inside a block (default: every top-level layer). A model without children is
    captured as one layer. The captures come in the order the forward pass made them. Runs
    under eval() and no_grad(); hooks are always removed and train/eval modes restored.
    Raises CaptureError with a clear message if the input does not fit the network or the
    outputs exceed ``max_bytes``.
    """
    _check_input(x)
    children = _children(model)
    if layers is None:
        wanted = [str(i) for i in range(len(children))]
    else:
        wanted = [str(w) for w in layers]
        bad = [w for w in layers if isinstance(w, int) and not 0 <= w < len(children)]
        if bad:
            raise CaptureError(f"no layer {bad[0]}: the network has layers 0..{len(children) - 1}")
    modules = {w: layer_module(model, w) for w in wanted}
    found: dict[str, Capture] = {}
    order: list[str] = []
    done: list[int] = []  # children whose forward finished, in order (tells where it failed)
    total = [0]

    def make_hook(path: str, module: nn.Module):
        def hook(_m: nn.Module, _inp: object, out: object) -> None:
            t = _first_tensor(out)
            if t is None or path in found:
                return
            total[0] += t.numel() * 4
            if total[0] > max_bytes:
                raise CaptureError(
                    f"the layer outputs need more than {max_bytes // 2**20} MiB: "
                    "inspect fewer images at once (a smaller batch)"
                )
            t = t.detach().to("cpu", torch.float32, copy=True)  # a later in-place op can't alter it
            top = int(path.split(".")[0])
            found[path] = Capture(
                top, layer_name(path, module), type(module).__name__, t, tuple(t.shape), path
            )
            order.append(path)

        return hook

    def done_hook(index: int):
        return lambda *_: done.append(index)

    handles = []
    try:
        for i, m in children:
            handles.append(m.register_forward_hook(done_hook(i)))
        for path, m in modules.items():
            handles.append(m.register_forward_hook(make_hook(path, m)))
        with evaluation_mode(model), torch.no_grad():
            try:
                model(x.to(_device_of(model)))
            except CaptureError:
                raise
            except (RuntimeError, ValueError, TypeError, IndexError) as e:
                nxt = done[-1] + 1 if done else 0
                where = layer_name(nxt, children[nxt][1]) if nxt < len(children) else "the end"
                raise _forward_failed(e, x, f"layer {where}") from e
    finally:
        for h in handles:
            h.remove()
    return [found[p] for p in order]


def split_softmax(model: nn.Module) -> tuple[nn.Module, bool]:
    """(the model without a trailing Softmax, whether it had one).

    The logits are the last Linear's output; a Softmax layer at the end only turns
    them into probabilities, so predict() applies softmax itself (with a temperature).
    """
    kids = list(model.children())
    if isinstance(model, nn.Sequential) and kids and isinstance(kids[-1], nn.Softmax):
        return nn.Sequential(*kids[:-1]), True
    return model, False


def softmax(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """softmax(logits / T) over the last axis. T > 1 flattens, T < 1 sharpens."""
    if not temperature > 0:
        raise ValueError(f"temperature must be above 0, got {temperature}")
    return torch.softmax(logits.float() / temperature, dim=-1)


def logits_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The network's class scores [B, K] for the batch (eval mode, no_grad), on the CPU."""
    _check_input(x)
    body, _ = split_softmax(model)
    with evaluation_mode(model), torch.no_grad():
        try:
            out = body(x.to(_device_of(model)))
        except (RuntimeError, ValueError, TypeError, IndexError) as e:
            raise _forward_failed(e, x, "some layer") from e
    if out.dim() != 2:
        raise CaptureError(
            f"the network's last layer gives shape {list(out.shape)}, not class scores [B, K]: "
            "end it with Flatten and Linear(…, number of classes)"
        )
    return out.detach().to("cpu", torch.float32)


def predict(model: nn.Module, x: torch.Tensor, temperature: float = 1.0) -> Prediction:
    """Logits and softmax probabilities (at ``temperature``) for a float batch ``x``."""
    logits = logits_of(model, x)
    return Prediction(logits, softmax(logits, temperature))
