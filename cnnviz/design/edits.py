"""Edits of a design as pure functions (no streamlit): each returns a new spec.

The layer editor calls these and stores the result with ``state.set_spec``.
A layer is addressed by its 0-based index in ``spec["layers"]`` or by its path
(``"4.2"``: block 4's third layer; ``"4.1.0"``: a concat block's branch 1, layer 0);
one out of range raises IndexError (a bug in the caller, not a user mistake).
"""

from __future__ import annotations

import copy
from typing import Any

from cnnviz.design.blocks import (
    BLOCK_TYPES,
    MAX_BLOCK_DEPTH,
    MAX_BRANCHES,
    BlockType,
    block_children,
    count_layers,
    is_block,
    new_block,
)
from cnnviz.design.layer_kinds import LAYER_KINDS, MAX_LAYERS, Category
from cnnviz.design.spec import SpecError, default_layer


class DesignLimit(ValueError):
    """An edit the design cannot take (e.g. more than MAX_LAYERS layers); the message says why."""


Where = int | str  # a top-level index, or a path such as "4.2" (see cnnviz.design.blocks)


def _layers(spec: dict) -> list[Any]:
    return list(copy.deepcopy(spec.get("layers", [])))


def _with(spec: dict, layers: list[Any]) -> dict:
    out = copy.deepcopy(spec)
    out["layers"] = layers
    return out


def _steps(where: Where) -> list[int]:
    return [where] if isinstance(where, int) else [int(p) for p in str(where).split(".")]


def locate(layers: list[Any], where: Where, *, room: bool = False) -> tuple[list[Any], int]:
    """(the list that holds the layer at ``where``, its index there); IndexError if none.

    ``room``: the index may be one past the end (where a new layer goes).
    """
    steps = _steps(where)
    holder = layers
    while True:
        i = steps.pop(0)
        if not steps:
            if not 0 <= i < len(holder) + room:
                raise IndexError(f"no layer {where} in a stack of {len(holder)}")
            return holder, i
        if not 0 <= i < len(holder) or not is_block(holder[i]):
            raise IndexError(f"layer {where}: {i} is not a block")
        block = holder[i]
        if str(block["type"]).lower() == BlockType.RESIDUAL:
            holder = block.setdefault("layers", [])
        else:
            b = steps.pop(0)
            if not steps or not 0 <= b < len(block.get("branches", [])):
                raise IndexError(f"layer {where}: no branch {b}")
            holder = block["branches"][b]


def _room(layers: list[Any], adding: int = 1) -> None:
    try:
        total = count_layers(layers)
    except SpecError:
        raise DesignLimit(f"blocks nest at most {MAX_BLOCK_DEPTH} deep here") from None
    if total + adding > MAX_LAYERS:
        raise DesignLimit(
            f"the stack already has {MAX_LAYERS} layers, the most cnnviz handles: remove one first"
        )


def sibling(where: Where, step: int) -> str:
    """The path ``step`` places along in the same list: sibling("4.2", 1) == "4.3"."""
    steps = _steps(where)
    steps[-1] += step
    return ".".join(map(str, steps))


def holder_block(spec: dict, where: Where) -> str | None:
    """The path of the block whose list holds ``where`` (None at the top level)."""
    steps = _steps(where)
    path: list[int] = []
    layers = spec.get("layers", [])
    found = None
    while len(steps) > 1:
        i = steps.pop(0)
        path.append(i)
        block = layers[i]
        found = ".".join(map(str, path))
        if str(block["type"]).lower() == BlockType.RESIDUAL:
            layers = block["layers"]
        else:
            b = steps.pop(0)
            path.append(b)
            layers = block["branches"][b]
    return found


def get_layer(spec: dict, where: Where) -> Any:
    """The layer (or block) at ``where``."""
    holder, i = locate(spec.get("layers", []), where)
    return holder[i]


def insert_layer(spec: dict, at: Where, type_: str) -> dict:
    """A new layer of kind ``type_`` (editor defaults; a block kind: an empty block) at ``at``.

    ``at`` is where it will be: an index in the top list (0..len), or a path whose last
    step is the place in that block's list.
    """
    layers = _layers(spec)
    _room(layers)
    holder, i = locate(layers, at, room=True)
    holder.insert(i, new_block(type_) if type_ in BLOCK_TYPES else default_layer(type_))
    _room(layers, 0)  # a block inserted inside blocks: not deeper than allowed
    return _with(spec, layers)


def delete_layer(spec: dict, i: Where) -> dict:
    """The layer at ``i`` removed (a block with everything in it)."""
    layers = _layers(spec)
    holder, j = locate(layers, i)
    del holder[j]
    return _with(spec, layers)


def duplicate_layer(spec: dict, i: Where) -> dict:
    """A copy of layer ``i`` placed right below it."""
    layers = _layers(spec)
    holder, j = locate(layers, i)
    _room(layers, count_layers([holder[j]]))
    holder.insert(j + 1, copy.deepcopy(holder[j]))
    return _with(spec, layers)


def move_layer(spec: dict, i: Where, step: int) -> dict:
    """Layer ``i`` moved by ``step`` places (-1 up, +1 down) in its list, clamped to its ends."""
    layers = _layers(spec)
    holder, j = locate(layers, i)
    k = min(max(j + step, 0), len(holder) - 1)
    holder.insert(k, holder.pop(j))
    return _with(spec, layers)


def set_param(spec: dict, i: Where, name: str, value: Any) -> dict:
    """Layer ``i`` with parameter ``name`` set to ``value`` (not checked: the shape table checks)."""
    layers = _layers(spec)
    holder, j = locate(layers, i)
    layer = dict(holder[j]) if isinstance(holder[j], dict) else {"type": "?"}
    layer[name] = copy.deepcopy(value)
    holder[j] = layer
    return _with(spec, layers)


def wrap_in_block(spec: dict, i: Where, type_: str = "residual") -> dict:
    """Layer ``i`` put inside a new block of kind ``type_`` where it was."""
    layers = _layers(spec)
    holder, j = locate(layers, i)
    holder[j] = new_block(type_, [holder[j]])
    _room(layers, 0)
    return _with(spec, layers)


def unwrap_block(spec: dict, i: Where) -> dict:
    """Block ``i`` replaced by its layers (a concat block's branches one after the other)."""
    layers = _layers(spec)
    holder, j = locate(layers, i)
    block = holder[j]
    if not is_block(block):
        raise IndexError(f"layer {i} is not a block")
    inner: list[Any] = []
    for _, _, lay in block_children(block):
        inner += lay
    holder[j : j + 1] = inner
    return _with(spec, layers)


def move_into_block_above(spec: dict, i: Where) -> dict:
    """Layer ``i`` moved to the end of the block just above it (a concat block's last branch)."""
    layers = _layers(spec)
    holder, j = locate(layers, i)
    if j == 0 or not is_block(holder[j - 1]):
        raise DesignLimit("the layer above is not a block: add a block above first")
    lists = block_children(holder[j - 1])
    if not lists:
        raise DesignLimit("the block above has no list of layers to take this one")
    lists[-1][2].append(holder.pop(j))
    return _with(spec, layers)


def move_out_of_block(spec: dict, i: Where) -> dict:
    """Layer ``i`` moved out of its block, right below the block."""
    block_path = holder_block(spec, i)
    if block_path is None:
        raise DesignLimit("this layer is not inside a block")
    layers = _layers(spec)
    holder, j = locate(layers, i)
    layer = holder.pop(j)
    outer, k = locate(layers, block_path)
    outer.insert(k + 1, layer)
    return _with(spec, layers)


def add_branch(spec: dict, i: Where) -> dict:
    """An empty branch added to concat block ``i``."""
    layers = _layers(spec)
    holder, j = locate(layers, i)
    branches = holder[j].get("branches")
    if not isinstance(branches, list):
        raise IndexError(f"layer {i} is not a concat block")
    if len(branches) >= MAX_BRANCHES:
        raise DesignLimit(f"a concat block has at most {MAX_BRANCHES} branches here")
    branches.append([])
    return _with(spec, layers)


def remove_branch(spec: dict, i: Where, b: int) -> dict:
    """Branch ``b`` of concat block ``i`` removed, with its layers (one branch always stays)."""
    layers = _layers(spec)
    holder, j = locate(layers, i)
    branches = holder[j].get("branches")
    if not isinstance(branches, list) or not 0 <= b < len(branches):
        raise IndexError(f"layer {i} has no branch {b}")
    if len(branches) == 1:
        raise DesignLimit("a concat block keeps at least one branch: delete the block instead")
    del branches[b]
    return _with(spec, layers)


def set_input(spec: dict, dims: list[int]) -> dict:
    out = copy.deepcopy(spec)
    out["input"] = [int(d) for d in dims]
    return out


def kinds_by_category() -> list[tuple[str, str]]:
    """(type, label) for every registered kind, grouped by category in the course's order,
    then the blocks."""
    order = list(Category)
    kinds = sorted(LAYER_KINDS.values(), key=lambda k: order.index(k.category))
    blocks = [
        ("residual", "Block · Residual (skip: layers(x) + x)"),
        ("concat", "Block · Concat (branches side by side)"),
    ]
    return [(k.type, f"{k.category} · {k.torch_name}") for k in kinds] + blocks
