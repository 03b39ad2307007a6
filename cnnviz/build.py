"""spec -> nn.Module, by one loop over the layers (torchvision's vgg make_layers pattern)."""

from __future__ import annotations

from torch import nn

from cnnviz.shapes import summarize
from cnnviz.spec import SpecError, kind_of, normalize_layer, torch_kwargs


def first_error(rows: list[dict]) -> SpecError | None:
    """The first row's error as a SpecError naming the layer, or None if every row is fine."""
    for i, row in enumerate(rows):
        if row.get("error"):
            fix = f" Fix: {row['fix']}" if row.get("fix") else ""
            return SpecError(f"Layer {i + 1} ({row.get('name', '?')}): {row['error']}.{fix}", layer=i)
    return None


def build_model(spec: dict) -> nn.Sequential:
    """The spec as a torch ``nn.Sequential``, one module per spec layer, in order.

    Raises SpecError (naming the layer and the fix) if the spec is invalid.
    """
    rows = summarize(spec)  # raises SpecError for a malformed spec as a whole
    err = first_error(rows)
    if err:
        raise err
    modules = []
    for raw, row in zip(spec["layers"], rows, strict=True):
        layer = normalize_layer(raw)
        kind = kind_of(layer)
        in_dim = row["input_shape"][1] if kind.inferred else None  # channels, or features
        modules.append(kind.torch_class(**torch_kwargs(layer, in_dim)))
    return nn.Sequential(*modules)
