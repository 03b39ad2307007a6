"""The residual experiment's parts: a network's twin with or without skips, and its gradients.

``twins(spec)`` gives ``(plain, with_skips)``: for a plain stack, the residual twin
wraps every two consecutive Conv2d units (Conv2d, then BatchNorm2d and an activation
if they follow it) into ``{"type": "residual", ...}``, the second unit's activation
after the block, as ResNet does; pairs are made from the end of each run of units,
so an odd first Conv2d (the stem, from the image's channels) stays outside. The
shortcut is ``identity`` where the pair keeps the shape, ``conv1x1`` where it does
not. For a spec that already has residual blocks, the plain twin unwraps them
(every block's layers put back in its place). ``twins(plain-20)`` is resnet-20.

``first_layer_gradients(run_dirs)`` reads each run's gradients file
(``cnnviz.train.gradients``) and gives the mean |gradient| of the first Conv2d
layers at the end of epoch 1 and at the end of the last epoch, averaged over the
runs (None when no run recorded them). ``gradient_words`` words them for the reading.
"""

from __future__ import annotations

import copy
import math
import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cnnviz.design.layer_kinds import LAYER_KINDS, Category
from cnnviz.design.shapes import summarize
from cnnviz.train.gradients import gradient_word, read_records

FIRST_CONVS = 3  # "the first layers": this many Conv2d, in the spec's order


class NoTwin(ValueError):
    """The network has no two Conv2d in a row to put a skip around (message says the fix)."""


def _type(layer: Any) -> str:
    return str(layer.get("type", "")).lower() if isinstance(layer, dict) else ""


def _is_activation(layer: Any) -> bool:
    kind = LAYER_KINDS.get(_type(layer))
    return kind is not None and kind.category == Category.ACTIVATION


def has_skips(spec: dict) -> bool:
    return any(_type(x) == "residual" for x in spec.get("layers", []))


def unwrap(layers: list[dict]) -> list[dict]:
    """Every residual block replaced by its own layers (nested ones too); the rest as it was."""
    out: list[dict] = []
    for x in layers:
        if _type(x) == "residual":
            out += unwrap(list(x.get("layers") or []))
        else:
            out.append(copy.deepcopy(x))
    return out


def _units(layers: list[dict]) -> list[tuple[int, int, int]]:
    """(start, end of its Conv2d+BatchNorm2d, end with its activation) of each Conv2d unit."""
    units, i = [], 0
    while i < len(layers):
        if _type(layers[i]) != "conv2d":
            i += 1
            continue
        j = i + 1
        if j < len(layers) and _type(layers[j]) == "batchnorm2d":
            j += 1
        k = j + 1 if j < len(layers) and _is_activation(layers[j]) else j
        units.append((i, j, k))
        i = k
    return units


def _pairs(units: list[tuple[int, int, int]]) -> list[tuple[tuple, tuple]]:
    """Consecutive units (nothing between them) paired from the end of each run."""
    runs: list[list[tuple[int, int, int]]] = []
    for u in units:
        if runs and runs[-1][-1][2] == u[0]:
            runs[-1].append(u)
        else:
            runs.append([u])
    pairs = []
    for run in runs:
        for n in range(len(run) % 2, len(run) - 1, 2):
            pairs.append((run[n], run[n + 1]))
    return pairs


def wrap(spec: dict) -> dict:
    """The residual twin of a plain stack (``NoTwin`` when no two Conv2d follow each other)."""
    layers = [copy.deepcopy(x) for x in spec.get("layers", [])]
    pairs = _pairs(_units(layers))
    if not pairs:
        raise NoTwin(
            "This network has no two Conv2d in a row to put a skip connection around: start "
            "from the preset plain-20 (or resnet-20) on the Design page, or add Conv2d layers."
        )
    rows = {r["path"]: r for r in summarize(spec, 1)}
    out: list[dict] = []
    i = 0
    for a, b in pairs:
        out += layers[i : a[0]]
        first, last = rows.get(str(a[0]), {}), rows.get(str(b[1] - 1), {})
        same = first.get("input_shape") == last.get("output_shape")
        out.append(
            {
                "type": "residual",
                "layers": layers[a[0] : b[1]],
                "shortcut": "identity" if same else "conv1x1",
            }
        )
        out += layers[b[1] : b[2]]
        i = b[2]
    out += layers[i:]
    return {**copy.deepcopy(spec), "layers": out}


def twins(spec: dict) -> tuple[dict, dict]:
    """(the plain stack, the same stack with skips): one of them is ``spec`` itself."""
    if has_skips(spec):
        return {**copy.deepcopy(spec), "layers": unwrap(spec.get("layers", []))}, spec
    return spec, wrap(spec)


def _path_key(path: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in path.split("."))
    except ValueError:
        return (10**9,)


def _sizes(folder: Path, n: int) -> tuple[float, float, float, float] | None:
    """(epoch 1's end, its size, the last epoch's end, its size) of one run's first n Conv2d."""
    records = [r for r in read_records(folder) if r.kind.lower() == "conv2d"]
    if not records:
        return None
    first = sorted({r.layer for r in records}, key=_path_key)[:n]
    mine = [r for r in records if r.layer in first]

    def at(epoch: float) -> float:
        vals = [r.grad_mean_abs for r in mine if abs(r.epoch - epoch) < 1e-9]
        return statistics.fmean(vals) if vals else math.nan

    whole = sorted({r.epoch for r in mine if r.epoch >= 1 - 1e-9})
    if not whole:  # stopped within the first epoch: its last moment
        last = max(r.epoch for r in mine)
        return last, at(last), last, at(last)
    one = min(whole)
    return one, at(one), whole[-1], at(whole[-1])


def _typical(values: list[float]) -> float:
    """The geometric mean of sizes that may span decades (1e-10 and 1e-2: about 1e-6); NaN if none."""
    vals = [v for v in values if math.isfinite(v) and v > 0]
    if not vals:
        return 0.0 if any(v == 0 for v in values) else math.nan
    return math.exp(statistics.fmean(math.log(v) for v in vals))


def first_layer_gradients(run_dirs: Iterable[str | Path], n: int = FIRST_CONVS) -> dict | None:
    """Mean |gradient| of the first ``n`` Conv2d after epoch 1 and at the end, over the runs.

    ``{"layers": n, "first_epoch", "first", "last_epoch", "last", "runs", "first_runs",
    "last_runs"}``: per run the mean over its first layers (``*_runs``), over the runs
    their geometric mean (gradient sizes differ by powers of ten between seeds); None
    when none of the runs has a gradients file."""
    got = [s for s in (_sizes(Path(d), n) for d in run_dirs) if s is not None]
    if not got:
        return None
    return {
        "layers": n,
        "first_epoch": min(s[0] for s in got),
        "first": _typical([s[1] for s in got]),
        "last_epoch": max(s[2] for s in got),
        "last": _typical([s[3] for s in got]),
        "runs": len(got),
        "first_runs": [s[1] for s in got],
        "last_runs": [s[3] for s in got],
    }


def _sizes_words(typical: float, runs: list[float]) -> str:
    """``2.1e-10 (vanishing)``, and the seeds' range when they are ten times apart or more."""
    vals = [v for v in runs if math.isfinite(v)]
    notes = [w for w in (gradient_word(typical),) if w]
    if len(vals) > 1 and min(vals) > 0 and max(vals) >= 10 * min(vals):
        notes.append(f"from {min(vals):.1e} to {max(vals):.1e} over the {len(vals)} seeds")
    return f"{typical:.1e}" + (f" ({'; '.join(notes)})" if notes else "")


def _epoch(e: float) -> str:
    return f"epoch {e:g}" if float(e).is_integer() else f"{e:.2f} epochs"


def _times(r: float) -> str:
    for big, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if r >= big:
            return f"about {r / big:.0f} {word} times"
    return f"{r:.0f}×"


def gradient_words(labels: Sequence[str], grads: Sequence[dict | None]) -> str:
    """One sentence on the first layers' gradient sizes of each arm (or that none were recorded)."""
    if all(g is None for g in grads):
        return (
            " The gradient sizes were not recorded for these runs (no gradients file), so the "
            "first layers' gradients cannot be compared."
        )
    parts = []
    for label, g in zip(labels, grads, strict=True):
        if g is None:
            parts.append(f"{label}: not recorded")
            continue
        first = _sizes_words(g["first"], g.get("first_runs", []))
        if g["first_epoch"] == g["last_epoch"]:
            parts.append(f"{label} {first} at the end of {_epoch(g['first_epoch'])}")
        else:
            last = _sizes_words(g["last"], g.get("last_runs", []))
            parts.append(
                f"{label} {first} after {_epoch(g['first_epoch'])}, "
                f"{last} at the end of {_epoch(g['last_epoch'])}"
            )
    n = next(g["layers"] for g in grads if g is not None)
    text = f" Gradient size (mean |gradient|) of the first {n} Conv2d layers: " + "; ".join(parts)
    plain, skips = grads[0], grads[-1]
    if plain is not None and skips is not None:
        a, b = plain["first"], skips["first"]
        after = _epoch(min(plain["first_epoch"], skips["first_epoch"]))
        if math.isfinite(a) and math.isfinite(b) and a > 0 and b > 2 * a:
            text += (
                f". After {after}, with skips the first layers' gradients were {_times(b / a)} "
                "larger: the addition passes the gradient straight back past every block, while "
                "in the plain stack it is multiplied by each layer's weights on the way and shrinks"
            )
        elif math.isfinite(a) and math.isfinite(b):
            text += (
                f". After {after} the first layers' gradients were of similar size in both, so "
                "the plain stack's gradients did not vanish at this depth"
            )
    return text + "."


def residual_words(plain: Any, skips: Any, beyond: bool) -> str:
    """What the two arms' accuracies say about skip connections (``beyond``: beyond noise)."""
    if plain.mean is None or skips.mean is None:
        return " Too few runs finished to compare: see each run's reason on the Runs page."
    diff = 100 * (skips.mean - plain.mean)
    pts = f"{abs(diff):.1f} points"
    if beyond and diff > 0:
        return (
            f" As the course says, the skip connections let the deep stack learn: with skips it "
            f"scored {pts} higher, beyond the seeds' spread."
        )
    if beyond:
        return (
            f" This contradicts the course's claim: the plain stack scored {pts} higher than with "
            "skips, beyond the seeds' spread; at this depth and with these settings the plain "
            "stack still trains, so train longer or make it deeper."
        )
    return (
        f" The difference ({pts}) is within the seeds' spread, so this does not show the course's "
        "claim that skip connections help a deep stack: train more epochs or with more seeds."
    )


__all__ = [
    "FIRST_CONVS",
    "NoTwin",
    "first_layer_gradients",
    "gradient_words",
    "has_skips",
    "residual_words",
    "twins",
    "unwrap",
    "wrap",
]
