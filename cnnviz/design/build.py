"""spec -> nn.Module, by one loop over the layers (torchvision's vgg make_layers pattern)."""

from __future__ import annotations

from torch import nn

from cnnviz.design.layer_kinds import MAX_MODEL_PARAMS
from cnnviz.design.presets import PRESETS
from cnnviz.design.shapes import first_error, summarize
from cnnviz.design.spec import SpecError, kind_of, normalize_layer, torch_kwargs

__all__ = ["build_model", "build_preset"]


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
    modules = []
    for raw, row in zip(spec["layers"], rows, strict=True):
        layer = normalize_layer(raw)
        kind = kind_of(layer)
        in_dim = row["input_shape"][1] if kind.inferred else None  # channels, or features
        modules.append(kind.torch_class(**torch_kwargs(layer, in_dim)))
    return nn.Sequential(*modules)


def build_preset(name: str) -> nn.Sequential:
    """The model of a preset by name (SpecError listing the presets if there is none)."""
    if name not in PRESETS:
        raise SpecError(f"no preset {name!r}: use one of {', '.join(PRESETS)}")
    return build_model(PRESETS[name].spec)
