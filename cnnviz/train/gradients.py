"""The gradients file of a run folder: one JSON object per line, one line per layer per moment.

Every training records, per layer with weights, the weights' and gradients' sizes and
histograms: a few times within the first epoch (where things change fastest) and at the end
of every epoch. The file is plain JSON lines, so any tool can read it::

    {"iteration": 47, "epoch": 0.33, "layer": "3.1", "kind": "Conv2d", "params": 448,
     "weight_norm": 1.93, "grad_norm": 0.0041, "grad_mean_abs": 1.2e-05,
     "weight_hist": {"edges": [-0.31, ..., 0.29], "counts": [3, ..., 1]},
     "grad_hist": {"edges": [...], "counts": [...]}}

- ``iteration``: the global mini-batch count when recorded (1-based);
- ``epoch``: epochs done at that moment, as a fraction (0.33 = a third of the first epoch,
  2.0 = the end of the second);
- ``layer``: the layer's path in the spec ("3", or "3.1" inside a block), as the shape
  engine's rows name it; ``kind``: the layer's type (Conv2d, Linear, BatchNorm2d ...);
- ``weight_norm`` / ``grad_norm``: L2 norms over all the layer's parameters (weight and bias);
- ``grad_mean_abs``: the mean absolute gradient per parameter, the "gradient size" the
  course's words use: under ``VANISHING`` it has vanished, over ``EXPLODING`` it explodes;
- ``weight_hist`` / ``grad_hist``: ``HIST_BINS`` equal bins from the smallest to the
  largest value (``edges`` has one more entry than ``counts``).

This module is the format only (names, thresholds, reading and writing lines); the training
records through it and the pages, the exporters and the experiment read through it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

GRADIENTS_FILE = "gradients.jsonl"
HIST_BINS = 30
VANISHING = 1e-5  # mean |gradient| under this: the layer has (almost) stopped learning
EXPLODING = 10.0  # mean |gradient| over this: the steps are too large to be stable
MAX_BYTES = 64 * 1024 * 1024  # a bigger file is not read by the pages (thousands of epochs)


@dataclass(frozen=True)
class Histogram:
    edges: list[float]
    counts: list[int]

    @classmethod
    def from_dict(cls, d: Any) -> Histogram:
        if not isinstance(d, dict):
            return cls([], [])
        edges = [float(x) for x in d.get("edges") or []]
        counts = [int(x) for x in d.get("counts") or []]
        if len(edges) != len(counts) + 1:
            return cls([], [])
        return cls(edges, counts)


@dataclass(frozen=True)
class GradRecord:
    iteration: int
    epoch: float
    layer: str
    kind: str
    params: int
    weight_norm: float
    grad_norm: float
    grad_mean_abs: float
    weight_hist: Histogram = field(default_factory=lambda: Histogram([], []))
    grad_hist: Histogram = field(default_factory=lambda: Histogram([], []))

    @classmethod
    def from_dict(cls, d: dict) -> GradRecord:
        return cls(
            iteration=int(d["iteration"]),
            epoch=float(d["epoch"]),
            layer=str(d["layer"]),
            kind=str(d.get("kind", "")),
            params=int(d.get("params", 0)),
            weight_norm=_num(d.get("weight_norm")),
            grad_norm=_num(d.get("grad_norm")),
            grad_mean_abs=_num(d.get("grad_mean_abs")),
            weight_hist=Histogram.from_dict(d.get("weight_hist")),
            grad_hist=Histogram.from_dict(d.get("grad_hist")),
        )


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def gradient_word(size: float) -> str | None:
    """'vanishing' / 'exploding' for a mean |gradient|, or None when it is neither."""
    if not math.isfinite(size):
        return "exploding"
    if size < VANISHING:
        return "vanishing"
    if size > EXPLODING:
        return "exploding"
    return None


def append_records(folder: Path, records: Iterable[GradRecord]) -> None:
    """Append lines to the run's gradients file (non-finite numbers are written as null)."""
    lines = [_line(r) for r in records]
    if lines:
        with open(Path(folder) / GRADIENTS_FILE, "a", encoding="utf-8") as f:
            f.writelines(lines)


def record_dict(r: GradRecord) -> dict[str, Any]:
    """The record as one line's JSON object (non-finite numbers as None)."""
    d = asdict(r)
    for k in ("weight_norm", "grad_norm", "grad_mean_abs"):
        if not math.isfinite(d[k]):
            d[k] = None
    return d


def _line(r: GradRecord) -> str:
    return json.dumps(record_dict(r), separators=(",", ":")) + "\n"


def lines_bytes(records: Iterable[GradRecord]) -> bytes:
    """The records as the file's lines, ready to append."""
    return "".join(_line(r) for r in records).encode("utf-8")


def iter_records(folder: Path) -> Iterator[GradRecord]:
    """Every well-formed line of the run's gradients file; a torn or foreign line is skipped."""
    path = Path(folder) / GRADIENTS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    for line in text.splitlines():
        try:
            yield GradRecord.from_dict(json.loads(line))
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
            continue


def read_records(folder: Path) -> list[GradRecord]:
    return list(iter_records(folder))
