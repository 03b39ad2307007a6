"""Layers as data: one registry entry per layer kind.

A *spec* is the JSON-serialisable description every part of cnnviz reads::

    {"input": [3, 64, 64],
     "layers": [{"type": "conv2d", "out_channels": 6, "kernel_size": 3}, {"type": "relu"}, ...]}

Parameter names are the ``torch.nn`` constructor's; omitted ones take torch's
defaults. ``in_channels`` / ``in_features`` / ``num_features`` are never typed:
they are inferred from the layer above.

The registry of layer kinds (``LAYER_KINDS``, ``LayerKind``, ``Param``, the
caps) lives in cnnviz/layer_kinds.py and is re-exported here. This module
checks specs against it: ``normalize_layer`` fills defaults and checks values,
``check_spec_structure`` checks the spec as a whole, and every SpecError says
what is wrong and (``.fix``) what to change.
"""

from __future__ import annotations

import copy
from typing import Any

from cnnviz.design.layer_kinds import (
    LAYER_KINDS,
    MAX_CHANNELS,
    MAX_FEATURES,
    MAX_LAYERS,
    MAX_SPATIAL,
    LayerKind,
    Param,
    ParamKind,
)

__all__ = [
    "SpecError",
    "as_pair",
    "check_input",
    "check_spec_structure",
    "compact_layer",
    "default_layer",
    "describe",
    "kind_of",
    "normalize_layer",
    "torch_kwargs",
]


class SpecError(ValueError):
    """A spec the user gave cannot be used. The message says why and how to fix it."""

    def __init__(self, message: str, *, layer: int | None = None, fix: str | None = None) -> None:
        super().__init__(message)
        self.layer = layer  # 0-based index into spec["layers"], or None for the spec as a whole
        self.path: str | None = None  # the row's path ("4.2" inside a block), when known
        self.fix = fix  # what to change, when the message alone does not say


def kind_of(layer: dict) -> LayerKind:
    """The registry entry for a layer dict, or SpecError naming the known kinds."""
    t = layer.get("type") if isinstance(layer, dict) else None
    if not isinstance(t, str) or t.lower() not in LAYER_KINDS:
        known = ", ".join(LAYER_KINDS)
        raise SpecError(
            f"unknown layer type {t!r}: use one of {known} (or a block: residual, concat)",
            fix="pick a layer type from the list",
        )
    return LAYER_KINDS[t.lower()]


def _pair(value: Any) -> tuple[int, int] | None:
    """An int or an [h, w] pair of ints as (h, w); None if it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, float) and value.is_integer():
        return (int(value), int(value))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        a, b = (_pair(v) for v in value)
        if a and b:
            return (a[0], b[0])
    return None


def as_pair(value: Any) -> tuple[int, int]:
    """(h, w) of an already-checked int-or-pair value."""
    p = _pair(value)
    if p is None:
        raise SpecError(f"{value!r} is not a whole number or an [h, w] pair")
    return p


def _check_value(p: Param, value: Any) -> Any:
    """Validate one parameter value; return it in canonical form or raise SpecError (no layer)."""
    lo, hi = p.minimum, p.maximum

    def in_range(v: float) -> None:
        if lo is not None and v < lo:
            raise SpecError(
                f"{p.name} must be at least {lo:g}, got {v:g}",
                fix=f"set {p.name} to {lo:g} or more",
            )
        if hi is not None and v > hi:
            raise SpecError(
                f"{p.name} is capped at {hi:g} here (got {v:g})",
                fix=f"set {p.name} to at most {hi:g}",
            )

    if p.kind is ParamKind.BOOL:
        if not isinstance(value, bool):
            raise SpecError(
                f"{p.name} must be true or false, got {value!r}", fix=f"tick or untick {p.name}"
            )
        return value
    if p.kind is ParamKind.FLOAT:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise SpecError(
                f"{p.name} must be a number, got {value!r}", fix=f"enter a number, e.g. {p.default}"
            )
        in_range(float(value))
        return float(value)
    if p.kind is ParamKind.INT:
        pair = _pair(value)
        if pair is None or isinstance(value, (list, tuple)):
            raise SpecError(
                f"{p.name} must be a whole number, got {value!r}",
                fix=f"enter a whole number, e.g. {p.default}",
            )
        in_range(pair[0])
        return pair[0]
    if p.kind is ParamKind.OPTIONAL_PAIR and value is None:
        return None
    if p.kind is ParamKind.PADDING and isinstance(value, str):
        if value.lower() in ("same", "valid"):
            return value.lower()
        raise SpecError(
            f'{p.name} must be a number, [h, w], "same" or "valid", got {value!r}',
            fix=f"enter a whole number such as {p.default}, or same",
        )
    pair = _pair(value)
    if pair is None:
        raise SpecError(
            f"{p.name} must be a whole number or an [h, w] pair, got {value!r}",
            fix=f"enter a whole number such as {p.default}, or two like [3, 5]",
        )
    for v in pair:
        in_range(v)
    return pair[0] if pair[0] == pair[1] and not isinstance(value, (list, tuple)) else list(pair)


def normalize_layer(layer: Any) -> dict:
    """A layer dict with every parameter present and checked (defaults filled in).

    Raises SpecError (without ``layer`` set: the caller knows the index) naming the
    parameter and what is allowed. Unknown keys are refused, so typos are caught.
    """
    if not isinstance(layer, dict):
        raise SpecError(
            f'a layer must be an object like {{"type": "relu"}}, got {layer!r}',
            fix="write the layer as an object with a type",
        )
    kind = kind_of(layer)
    allowed = {p.name for p in kind.params}
    extra = set(layer) - allowed - {"type"}
    extra -= set(kind.inferred)  # tolerated (ignored): they are always inferred
    if extra:
        names = ", ".join(sorted(allowed)) or "none"
        raise SpecError(
            f"{kind.torch_name} has no parameter {', '.join(sorted(extra))}: "
            f"its parameters are {names}",
            fix=f"remove {', '.join(sorted(extra))}",
        )
    out: dict[str, Any] = {"type": kind.type}
    for p in kind.params:
        if p.name in layer:
            out[p.name] = _check_value(p, layer[p.name])
        elif p.required:
            raise SpecError(
                f"{kind.torch_name} needs {p.name} ({p.help})",
                fix=f"add {p.name}, e.g. {p.default}",
            )
        else:
            out[p.name] = p.default
    return out


def default_layer(type_: str) -> dict:
    """A new layer of this kind with the editor's starting values."""
    kind = LAYER_KINDS[type_]
    return {"type": kind.type, **{p.name: copy.deepcopy(p.default) for p in kind.params}}


def compact_layer(layer: dict) -> dict:
    """The layer without parameters equal to torch's default (for short JSON and URLs)."""
    kind = kind_of(layer)
    out = {"type": kind.type}
    for p in kind.params:
        if p.name in layer and (p.required or layer[p.name] != p.default):
            out[p.name] = layer[p.name]
    return out


def check_input(value: Any) -> list[int]:
    """The spec's input as [C, H, W] or [N]; SpecError with the fix otherwise."""
    msg = "input must be [C, H, W] (e.g. [3, 64, 64]) or [N] features for a Linear-only stack"
    if not isinstance(value, (list, tuple)) or len(value) not in (1, 3):
        raise SpecError(f"{msg}, got {value!r}")
    dims = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v or v < 1:
            raise SpecError(
                f"{msg}; every size must be a whole number of at least 1, got {value!r}"
            )
        dims.append(int(v))
    if len(dims) == 1 and dims[0] > MAX_FEATURES:
        raise SpecError(f"input is capped at {MAX_FEATURES} features here, got {dims[0]}")
    if len(dims) == 3:
        if dims[0] > MAX_CHANNELS:
            raise SpecError(f"input is capped at {MAX_CHANNELS} channels here, got {dims[0]}")
        if max(dims[1:]) > MAX_SPATIAL:
            raise SpecError(
                f"input height and width are capped at {MAX_SPATIAL} here, got {dims[1]}×{dims[2]}: "
                "resize the images"
            )
    return dims


def check_spec_structure(spec: Any) -> tuple[list[int], list[Any]]:
    """The spec's input and raw layer list, or SpecError if the spec is not even shaped right.

    Per-layer problems are *not* raised here: the shape engine reports them on their row.
    """
    if not isinstance(spec, dict):
        raise SpecError('a spec is an object: {"input": [C, H, W], "layers": [...]}')
    extra = set(spec) - {"input", "layers", "name"}
    if extra:
        raise SpecError(f"unknown spec key(s) {', '.join(sorted(extra))}: use input and layers")
    if "input" not in spec:
        raise SpecError('the spec has no "input": add e.g. "input": [3, 64, 64]')
    dims = check_input(spec["input"])
    layers = spec.get("layers", [])
    if not isinstance(layers, list):
        raise SpecError('"layers" must be a list of layer objects')
    if len(layers) > MAX_LAYERS:
        raise SpecError(
            f"{len(layers)} layers is more than the {MAX_LAYERS} cnnviz handles: "
            "remove some (a deep stack is rarely what a small dataset needs)"
        )
    return dims, layers


def describe(layer: dict, in_dim: int | None = None) -> str:
    """The layer as PyTorch writes it, e.g. ``Conv2d(3, 6, kernel_size=3)``.

    ``in_dim`` is the inferred in_channels / in_features / num_features (None if unknown).
    Parameters equal to torch's default are left out.
    """
    kind = kind_of(layer)
    args: list[str] = []
    if kind.inferred:
        args.append(str(in_dim) if in_dim is not None else "?")
    for p in kind.params:
        if p.name not in layer:
            continue
        v = layer[p.name]
        if p.required and p.name in kind.positional:
            args.append(repr(v))
        elif p.required or v != p.default:
            args.append(f"{p.name}={_py(v)}")
    args += [f"{k}={_py(v)}" for k, v in kind.fixed_kwargs.items()]
    return f"{kind.torch_name}({', '.join(args)})"


def _py(v: Any) -> str:
    """A value written as Python source."""
    if isinstance(v, list):
        return f"({', '.join(_py(x) for x in v)})"
    return repr(v)


def torch_kwargs(layer: dict, in_dim: int | None) -> dict[str, Any]:
    """Constructor kwargs for the torch class of a normalized layer."""
    kind = kind_of(layer)
    kwargs: dict[str, Any] = {}
    for name in kind.inferred:
        kwargs[name] = in_dim
    for p in kind.params:
        v = layer[p.name]
        kwargs[p.name] = tuple(v) if isinstance(v, list) else v
    kwargs.update(kind.fixed_kwargs)
    return kwargs
