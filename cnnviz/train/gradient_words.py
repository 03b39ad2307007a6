"""Gradient sizes in the course's words: which layer, vanished or exploding, and what to do.

Torch-free: the live Train view, the Runs page and the experiments' readings read the
gradients file's records (``cnnviz.train.gradients``) or the live sizes
(``GradientsRecorded.sizes``) through these few functions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from cnnviz.design.blocks import path_label
from cnnviz.train.gradients import EXPLODING, VANISHING, GradRecord, gradient_word

VANISHED = (
    "{layer}'s gradients have vanished (mean |gradient| {size}, under {limit}): its weights "
    "barely change, so it stopped learning."
)
EXPLODED = (
    "{layer}'s gradients are exploding (mean |gradient| {size}, over {limit}): the steps are "
    "too large; lower the learning rate or add BatchNorm2d."
)
WHAT_SIZE = (
    "Gradient size: the mean |gradient| per weight of each layer, after the backward pass. "
    f"Under {VANISHING:g} it has vanished (the layer stopped learning); over {EXPLODING:g} "
    "it explodes (the steps are too large)."
)


def layer_title(layer: str, kind: str) -> str:
    """``("0", "Conv2d")`` → ``"Conv2d 1"``; inside a block ``("3.1", ...)`` → ``"... 4.2"``
    (counted from 1, as the pages number layers)."""
    try:
        where = path_label(layer)
    except ValueError:
        where = layer
    return f"{kind or 'layer'} {where}".strip()


def size_text(size: float) -> str:
    if not math.isfinite(size):
        return "not a number"
    return f"{size:.1e}" if size and (size < 1e-3 or size >= 1e3) else f"{size:.3g}"


def sentence(layer: str, kind: str, size: float) -> str | None:
    """The course's sentence for a vanishing or exploding layer; None when it is neither."""
    word = gradient_word(size)
    if word is None:
        return None
    template, limit = (VANISHED, VANISHING) if word == "vanishing" else (EXPLODED, EXPLODING)
    return template.format(layer=layer_title(layer, kind), size=size_text(size), limit=f"{limit:g}")


def flags(sizes: Iterable[dict[str, Any]]) -> list[str]:
    """The sentences for one moment's layers (``GradientsRecorded.sizes()`` rows)."""
    out = []
    for s in sizes:
        text = sentence(str(s["layer"]), str(s.get("kind", "")), float(s["grad_mean_abs"]))
        if text:
            out.append(text)
    return out


def by_moment(records: Sequence[GradRecord]) -> list[list[GradRecord]]:
    """The records grouped per moment (iteration), oldest first, each in the file's layer order."""
    groups: dict[int, list[GradRecord]] = {}
    for r in records:
        groups.setdefault(r.iteration, []).append(r)
    return [groups[i] for i in sorted(groups)]


def layers_of(records: Sequence[GradRecord]) -> list[tuple[str, str]]:
    """(path, kind) of every layer recorded, in the network's order (first seen first)."""
    seen: dict[str, str] = {}
    for r in records:
        seen.setdefault(r.layer, r.kind)
    return list(seen.items())


def latest_flags(records: Sequence[GradRecord]) -> list[str]:
    """The sentences for the last moment recorded (nothing when no layer is flagged)."""
    moments = by_moment(records)
    if not moments:
        return []
    return flags(
        {"layer": r.layer, "kind": r.kind, "grad_mean_abs": r.grad_mean_abs} for r in moments[-1]
    )


__all__ = [
    "WHAT_SIZE",
    "by_moment",
    "flags",
    "latest_flags",
    "layer_title",
    "layers_of",
    "sentence",
    "size_text",
]
