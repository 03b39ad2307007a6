"""Blocks: layers that hold layers (a residual skip, a concatenation of branches).

Two block kinds sit in the spec wherever a layer goes, and nest::

    {"type": "residual", "layers": [...], "shortcut": "identity"}   # layers(x) + shortcut(x)
    {"type": "concat", "branches": [[...], [...]]}                 # branches joined on channels

``shortcut`` is ``identity`` (the default) or ``conv1x1``: ResNet's projection, a
1×1 Conv2d (bias=False) with the stride that brings the input to the block's
output size, then a BatchNorm2d.

Every layer has a *path*: its index in ``spec["layers"]``, then, inside a
residual block, its index in ``layers`` (``"4.2"``), inside a concat block the
branch and the index in it (``"4.1.0"``). The built model names its modules
after the same walk (``module_name``): ``"4.body.2"`` and ``"4.branches.1.0"``.
This module has no torch; the shape engine merges with ``residual_merge`` and
``concat_merge``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cnnviz.design.layer_kinds import MAX_LAYERS
from cnnviz.design.spec import SpecError, check_spec_structure
from cnnviz.design.words import LayerProblem, hw, n

__all__ = [
    "BLOCK_TYPES",
    "MAX_BLOCK_DEPTH",
    "MAX_BRANCHES",
    "BlockType",
    "Shortcut",
    "block_children",
    "block_name",
    "check_stack",
    "count_layers",
    "is_block",
    "new_block",
    "normalize_block",
    "path_label",
    "projection_stride",
    "walk_layers",
]

MAX_BLOCK_DEPTH = 4  # blocks inside blocks inside ...: deeper is refused
MAX_BRANCHES = 8


class BlockType(StrEnum):
    RESIDUAL = "residual"
    CONCAT = "concat"


class Shortcut(StrEnum):
    IDENTITY = "identity"
    CONV1X1 = "conv1x1"


BLOCK_TYPES = tuple(str(t) for t in BlockType)
BLOCK_EXPLAIN = {
    BlockType.RESIDUAL: "adds its input back to its layers' output (a skip connection, ResNet)",
    BlockType.CONCAT: "runs branches side by side and stacks their outputs along the channels",
}


def is_block(raw: Any) -> bool:
    """True for a dict whose type is a block kind (whatever else is right or wrong in it)."""
    t = raw.get("type") if isinstance(raw, dict) else None
    return isinstance(t, str) and t.lower() in BLOCK_TYPES


def _layer_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise SpecError(
            f"{what} must be a list of layers, got {type(value).__name__}",
            fix=f"write {what} as [ ... ] with layer objects inside",
        )
    return value


def block_children(raw: dict) -> list[tuple[str, str, list[Any]]]:
    """(path step, module step, layers) per list of layers the block holds, as far as it can tell.

    A residual block has one list (``""``, ``"body."``); a concat block one per branch
    (``"1."``, ``"branches.1."``). Lists that are not lists are left out (the block's row
    says what is wrong).
    """
    t = str(raw.get("type", "")).lower()
    if t == BlockType.RESIDUAL:
        layers = raw.get("layers", [])
        return [("", "body.", layers)] if isinstance(layers, list) else []
    branches = raw.get("branches")
    if not isinstance(branches, list):
        return []
    return [
        (f"{b}.", f"branches.{b}.", br) for b, br in enumerate(branches) if isinstance(br, list)
    ]


def normalize_block(raw: dict) -> dict:
    """The block with its defaults filled in (its layers as they are), or SpecError with the fix."""
    t = BlockType(str(raw["type"]).lower())
    if t is BlockType.RESIDUAL:
        extra = set(raw) - {"type", "layers", "shortcut"}
        if extra:
            raise SpecError(
                f"a residual block has no {', '.join(sorted(extra))}: it has layers and shortcut",
                fix=f"remove {', '.join(sorted(extra))}",
            )
        layers = _layer_list(raw.get("layers", []), "the block's layers")
        shortcut = raw.get("shortcut", Shortcut.IDENTITY)
        if not isinstance(shortcut, str) or shortcut.lower() not in tuple(Shortcut):
            raise SpecError(
                f"shortcut must be identity or conv1x1, got {shortcut!r}",
                fix="set shortcut to identity (add the input as it is) or conv1x1 (a projection)",
            )
        return {"type": str(t), "layers": layers, "shortcut": shortcut.lower()}
    extra = set(raw) - {"type", "branches"}
    if extra:
        raise SpecError(
            f"a concat block has no {', '.join(sorted(extra))}: it has branches",
            fix=f"remove {', '.join(sorted(extra))}",
        )
    branches = raw.get("branches")
    if not isinstance(branches, list) or not branches:
        raise SpecError(
            "a concat block needs branches: a list of layer lists, e.g. [[...], [...]]",
            fix="give it two branches or more",
        )
    if len(branches) > MAX_BRANCHES:
        raise SpecError(
            f"a concat block has at most {MAX_BRANCHES} branches here, got {len(branches)}",
            fix=f"keep {MAX_BRANCHES} branches or fewer",
        )
    for b, br in enumerate(branches):
        _layer_list(br, f"branch {b + 1}")
    return {"type": str(t), "branches": branches}


def new_block(type_: str, layers: list[Any] | None = None) -> dict:
    """A new block holding ``layers`` (a residual block; a concat block puts them in branch 1)."""
    layers = copy.deepcopy(layers or [])
    if BlockType(type_) is BlockType.RESIDUAL:
        return {"type": "residual", "layers": layers, "shortcut": "identity"}
    return {"type": "concat", "branches": [layers, []]}


def block_name(block: dict) -> str:
    """The block as the table names it: ``Residual(shortcut=conv1x1)``, ``Concat(2 branches)``."""
    if block["type"] == BlockType.RESIDUAL:
        return f"Residual(shortcut={block['shortcut']})"
    k = len(block["branches"])
    return f"Concat({k} branch{'' if k == 1 else 'es'})"


def path_label(path: str) -> str:
    """A path counted from 1, as pages show it: ``"4.2"`` → ``"5.3"``."""
    return ".".join(str(int(p) + 1) for p in path.split("."))


def walk_layers(layers: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, int, Any]]:
    """(path, depth, raw) for every layer and block, a block before what it holds.

    SpecError when blocks nest deeper than MAX_BLOCK_DEPTH (so nothing recurses unbounded).
    """
    if not isinstance(layers, list):
        return
    for i, raw in enumerate(layers):
        path = f"{prefix}{i}"
        yield path, depth, raw
        if is_block(raw) and isinstance(raw, dict):
            if depth + 1 > MAX_BLOCK_DEPTH:
                raise SpecError(
                    f"blocks are nested more than {MAX_BLOCK_DEPTH} deep (at layer "
                    f"{path_label(path)})",
                    fix="take the inner block out of its block",
                )
            for step, _, inner in block_children(raw):
                yield from walk_layers(inner, f"{path}.{step}", depth + 1)


def count_layers(layers: Any) -> int:
    """Layers and blocks in the stack, inner ones included (SpecError if nested too deep)."""
    return sum(1 for _ in walk_layers(layers))


def check_stack(spec: Any) -> tuple[list[int], list[Any]]:
    """``check_spec_structure`` with the blocks' layers counted too (and their nesting bounded)."""
    dims, layers = check_spec_structure(spec)
    total = count_layers(layers)
    if total > MAX_LAYERS:
        raise SpecError(
            f"{total} layers (counting those inside blocks) is more than the {MAX_LAYERS} cnnviz "
            "handles: remove some (a deep stack is rarely what a small dataset needs)"
        )
    return dims, layers


# --- merging (the block's own row) -------------------------------------------------------


@dataclass
class Merge:
    output_shape: list[int]
    params: int = 0
    params_formula: str = ""
    weight_shape: list[int] | None = None
    mult_adds: int = 0
    formula: list[str] | None = None
    extra_values: int = 0  # values the projection keeps for the backward pass (conv, BN outputs)
    stride: tuple[int, int] | None = None


def _dims(shape: list[int]) -> str:
    return "[" + ", ".join(["B", *(str(x) for x in shape[1:])]) + "]"


def projection_stride(size: tuple[int, int], out: tuple[int, int]) -> tuple[int, int] | None:
    """The stride of a 1×1 Conv2d that makes ``size`` (H, W) into ``out``, or None if none does."""
    found = []
    for s_in, s_out in zip(size, out, strict=True):
        stride = next((s for s in range(1, s_in + 1) if (s_in - 1) // s + 1 == s_out), None)
        if stride is None:
            return None
        found.append(stride)
    return found[0], found[1]


def residual_merge(
    block: dict, x: list[int], y: list[int], label: str, hints: dict[str, str]
) -> Merge:
    """The block's output ``layers(x) + shortcut(x)`` from input ``x`` and the layers' ``y``.

    ``hints``: ``"channels"`` / ``"size"`` name the inner layer that changed them (as the
    error's fix). Raises LayerProblem when the two sides cannot be added.
    """
    if block["shortcut"] == Shortcut.IDENTITY:
        if x == y:
            return Merge(list(y), formula=[f"output = layers(x) + x, both {_dims(y)}"])
        fixes = []
        if len(x) == len(y) == 4:
            fixes.append("set shortcut to conv1x1 (a 1×1 Conv2d that reshapes the input)")
            if x[1] != y[1] and "channels" in hints:
                fixes.append(f"give {hints['channels']} out_channels={x[1]}")
            if x[2:] != y[2:] and "size" in hints:
                fixes.append(f"keep {x[2]}×{x[3]} in {hints['size']} (stride 1, padding same)")
        else:
            fixes.append(f"make the block's layers end with the input's shape {_dims(x)}")
        raise LayerProblem(
            f"block {label}'s layers give {_dims(y)} but the identity shortcut passes the input "
            f"{_dims(x)} as it is: they cannot be added",
            ", or ".join(fixes),
        )
    if len(x) != 4 or len(y) != 4:
        raise LayerProblem(
            f"the conv1x1 shortcut needs images [B, C, H, W] in and out, but block {label} "
            f"goes from {_dims(x)} to {_dims(y)}",
            "keep the Flatten out of the block, or set shortcut to identity",
        )
    b, c, H, W = x
    oc, oh, ow = y[1], y[2], y[3]
    stride = projection_stride((H, W), (oh, ow))
    if stride is None:
        where = f" (change {hints['size']})" if "size" in hints else ""
        raise LayerProblem(
            f"no stride of a 1×1 Conv2d brings the input's {H}×{W} to the layers' {oh}×{ow}",
            f"make the layers keep {H}×{W} or halve it{where}, e.g. stride 2 with padding 1 "
            "for a 3×3 kernel",
        )
    params = oc * c + 2 * oc
    return Merge(
        list(y),
        params=params,
        params_formula=f"{oc}·{c}·1·1 + 2·{oc} = {n(params)}",
        weight_shape=[oc, c, 1, 1],
        mult_adds=b * oc * oh * ow * c,
        formula=[
            f"output = layers(x) + BatchNorm2d(Conv2d(x, 1×1, stride {hw(stride)})), "
            f"both {_dims(y)}"
        ],
        extra_values=2 * b * oc * oh * ow,
        stride=stride,
    )


def concat_merge(outs: list[list[int]], label: str, hints: list[dict[str, str]]) -> Merge:
    """The branches' outputs joined along dim 1; LayerProblem naming the branch that differs."""
    first = outs[0]
    for b, y in enumerate(outs[1:], start=1):
        if len(y) != len(first):
            raise LayerProblem(
                f"block {label}: branch 1 gives {_dims(first)} but branch {b + 1} gives "
                f"{_dims(y)}: outputs joined along the channels need the same number of axes",
                "end every branch with images, or every branch flat (Flatten in each)",
            )
        if y[2:] != first[2:]:
            where = f" (change {hints[b]['size']})" if "size" in hints[b] else ""
            raise LayerProblem(
                f"block {label}: branch 1 gives {first[2]}×{first[3]} maps but branch {b + 1} "
                f"gives {y[2]}×{y[3]}: joining along the channels needs the same height and width",
                f"make branch {b + 1} give {first[2]}×{first[3]}{where}, "
                "e.g. the same stride and padding same",
            )
    channels = sum(y[1] for y in outs)
    what = "channels" if len(first) == 4 else "features"
    words = " + ".join(str(y[1]) for y in outs)
    return Merge([first[0], channels, *first[2:]], formula=[f"{what} = {words} = {n(channels)}"])
