"""spec -> nn.Module, by one loop over the layers (torchvision's vgg make_layers pattern).

The model's module names follow the spec's paths (a contract other code relies on):

- the model is an ``nn.Sequential`` indexed ``"0"``, ``"1"``, ... (``spec["layers"]``);
- a residual block is a ``Residual`` with ``body`` (an ``nn.Sequential`` of its layers) and
  ``shortcut`` (``nn.Identity``, or ``nn.Sequential(Conv2d 1×1 bias=False, BatchNorm2d)``):
  the layer at path ``"4.2"`` is the module ``"4.body.2"``;
- a concat block is a ``Concat`` with ``branches`` (an ``nn.ModuleList`` of ``nn.Sequential``):
  the layer at path ``"4.1.0"`` is the module ``"4.branches.1.0"``.

Every ``summarize`` row carries its module's name as ``row["module"]``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from cnnviz.design.blocks import (
    BlockType,
    Shortcut,
    is_block,
    normalize_block,
    projection_stride,
)
from cnnviz.design.layer_kinds import MAX_MODEL_PARAMS
from cnnviz.design.presets import PRESETS
from cnnviz.design.shapes import first_error, summarize
from cnnviz.design.spec import SpecError, kind_of, normalize_layer, torch_kwargs

__all__ = ["Concat", "Residual", "build_model", "build_preset", "find_module"]


class Residual(nn.Module):
    """``body(x) + shortcut(x)``: a skip connection (ResNet). The two must have one shape."""

    def __init__(self, body: nn.Sequential, shortcut: nn.Module) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        s = self.shortcut(x)
        if y.shape != s.shape:  # no broadcasting: a skip adds like with like
            raise RuntimeError(
                f"the layers give {list(y.shape)} but the shortcut {list(s.shape)}: cannot add"
            )
        return y + s


class Concat(nn.Module):
    """The branches' outputs joined along dim 1 (the channels, or the features)."""

    def __init__(self, branches: list[nn.Sequential]) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


def build_model(spec: dict) -> nn.Sequential:
    """The spec as a torch ``nn.Sequential``, one module per spec layer, in order.

    Raises SpecError (naming the layer and the fix) if the spec is invalid.
    """
    rows = summarize(spec)  # raises SpecError for a malformed spec as a whole
    err = first_error(rows)
    if err:
        raise err
    total = sum(r["params"] for r in rows)
    if total > MAX_MODEL_PARAMS:
        raise SpecError(
            f"this design has {total:,} parameters ({total * 4 / 1e9:.1f} GB as float32), more than "
            f"the {MAX_MODEL_PARAMS:,} cnnviz builds. Fix: use fewer channels or out_features, "
            "or add pooling before the Flatten."
        )
    by_path = {r["path"]: r for r in rows}
    return _stack(spec["layers"], "", by_path)


def _stack(layers: list[Any], prefix: str, by_path: dict[str, dict]) -> nn.Sequential:
    return nn.Sequential(*(_module(raw, f"{prefix}{i}", by_path) for i, raw in enumerate(layers)))


def _module(raw: Any, path: str, by_path: dict[str, dict]) -> nn.Module:
    row = by_path[path]
    if is_block(raw):
        block = normalize_block(raw)
        if block["type"] == BlockType.CONCAT:
            return Concat(
                [_stack(br, f"{path}.{b}.", by_path) for b, br in enumerate(block["branches"])]
            )
        body = _stack(block["layers"], f"{path}.", by_path)
        conv1x1 = block["shortcut"] == Shortcut.CONV1X1
        return Residual(body, projection(row) if conv1x1 else nn.Identity())
    layer = normalize_layer(raw)
    kind = kind_of(layer)
    in_dim = row["input_shape"][1] if kind.inferred else None  # channels, or features
    return kind.torch_class(**torch_kwargs(layer, in_dim))


def projection(row: dict) -> nn.Sequential:
    """ResNet's projection shortcut for a residual block's row: 1×1 Conv2d (no bias) + BatchNorm2d."""
    c_in, c_out = row["input_shape"][1], row["output_shape"][1]
    h, w = row["input_shape"][2:]
    oh, ow = row["output_shape"][2:]
    stride = projection_stride((h, w), (oh, ow))
    assert stride is not None  # summarize refused the block otherwise
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
    )


def find_module(model: nn.Module, row: dict) -> nn.Module:
    """The submodule of ``build_model(spec)`` that a ``summarize`` row describes."""
    return model.get_submodule(row["module"])


def build_preset(name: str) -> nn.Sequential:
    """The model of a preset by name (SpecError listing the presets if there is none)."""
    if name not in PRESETS:
        raise SpecError(f"no preset {name!r}: use one of {', '.join(PRESETS)}")
    return build_model(PRESETS[name].spec)
