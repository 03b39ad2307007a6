"""Edits of a design as pure functions (no streamlit): each returns a new spec.

The layer editor calls these and stores the result with ``state.set_spec``.
Indices are 0-based positions in ``spec["layers"]``; an index out of range
raises IndexError (a bug in the caller, not a user mistake).
"""

from __future__ import annotations

import copy
from typing import Any

from cnnviz.design.layer_kinds import LAYER_KINDS, MAX_LAYERS, Category
from cnnviz.design.spec import default_layer


class DesignLimit(ValueError):
    """An edit the design cannot take (e.g. more than MAX_LAYERS layers); the message says why."""


def _layers(spec: dict) -> list[Any]:
    return list(copy.deepcopy(spec.get("layers", [])))


def _with(spec: dict, layers: list[Any]) -> dict:
    out = copy.deepcopy(spec)
    out["layers"] = layers
    return out


def _check(i: int, layers: list[Any]) -> None:
    if not 0 <= i < len(layers):
        raise IndexError(f"no layer {i} in a stack of {len(layers)}")


def insert_layer(spec: dict, at: int, type_: str) -> dict:
    """A new layer of kind ``type_`` (editor defaults) placed at position ``at`` (0..len)."""
    layers = _layers(spec)
    if len(layers) >= MAX_LAYERS:
        raise DesignLimit(
            f"the stack already has {MAX_LAYERS} layers, the most cnnviz handles: remove one first"
        )
    if not 0 <= at <= len(layers):
        raise IndexError(f"cannot insert at {at} in a stack of {len(layers)}")
    layers.insert(at, default_layer(type_))
    return _with(spec, layers)


def delete_layer(spec: dict, i: int) -> dict:
    layers = _layers(spec)
    _check(i, layers)
    del layers[i]
    return _with(spec, layers)


def duplicate_layer(spec: dict, i: int) -> dict:
    """A copy of layer ``i`` placed right below it."""
    layers = _layers(spec)
    _check(i, layers)
    if len(layers) >= MAX_LAYERS:
        raise DesignLimit(
            f"the stack already has {MAX_LAYERS} layers, the most cnnviz handles: remove one first"
        )
    layers.insert(i + 1, copy.deepcopy(layers[i]))
    return _with(spec, layers)


def move_layer(spec: dict, i: int, step: int) -> dict:
    """Layer ``i`` moved by ``step`` places (-1 up, +1 down), clamped to the stack's ends."""
    layers = _layers(spec)
    _check(i, layers)
    j = min(max(i + step, 0), len(layers) - 1)
    layers.insert(j, layers.pop(i))
    return _with(spec, layers)


def set_param(spec: dict, i: int, name: str, value: Any) -> dict:
    """Layer ``i`` with parameter ``name`` set to ``value`` (not checked: the shape table checks)."""
    layers = _layers(spec)
    _check(i, layers)
    layer = dict(layers[i]) if isinstance(layers[i], dict) else {"type": "?"}
    layer[name] = copy.deepcopy(value)
    layers[i] = layer
    return _with(spec, layers)


def set_input(spec: dict, dims: list[int]) -> dict:
    out = copy.deepcopy(spec)
    out["input"] = [int(d) for d in dims]
    return out


def kinds_by_category() -> list[tuple[str, str]]:
    """(type, label) for every registered kind, grouped by category in the course's order."""
    order = list(Category)
    kinds = sorted(LAYER_KINDS.values(), key=lambda k: order.index(k.category))
    return [(k.type, f"{k.category} · {k.torch_name}") for k in kinds]
