"""Overlay alignment: one shared x-axis that is fair when mini-batch sizes differ.

Iteration numbers are not comparable between a run with mini-batches of 32 and
one with 256 (8× as many iterations per epoch). Each iteration is placed at how
much of the training set has been seen after it:

- ``XAxis.EPOCHS``: epochs as a fraction, ``(epoch - 1) + min(batch · B, N) / N``;
- ``XAxis.IMAGES``: images seen, ``(epoch - 1) · N + min(batch · B, N)``.

Smoothing is the same for every run: an exponential moving average whose time
constant is a length on that x-axis (a share of an epoch), not a number of
points, so a run with more, smaller mini-batches is not smoothed less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from cnnviz.compare.runs import RunData

MAX_POINTS = 400  # per run and line, after smoothing: a chart is about 500 pixels wide


class XAxis(StrEnum):
    EPOCHS = "epochs"  # epochs as a fraction
    IMAGES = "images"  # training images seen


@dataclass(frozen=True)
class Series:
    x: np.ndarray
    y: np.ndarray  # raw (downsampled by averaging neighbours)
    smooth: np.ndarray


def _sizes(run: RunData) -> tuple[int, int]:
    n = int(run.dataset.get("train_size") or 0)
    b = int(run.train.get("batch_size") or 1)
    return max(n, 1), max(b, 1)


def unit(run: RunData, axis: XAxis) -> float:
    """How long one epoch is on this axis for this run."""
    return 1.0 if axis == XAxis.EPOCHS else float(_sizes(run)[0])


def iteration_x(run: RunData, axis: XAxis) -> np.ndarray:
    """Where each row of ``run.iters`` lies on the shared axis."""
    it = run.iters
    n, b = _sizes(run)
    if not len(it):
        return np.zeros(0)
    epoch = it["epoch"].to_numpy(dtype=float)
    if "batch" in it and it["batch"].notna().all():
        batch = it["batch"].to_numpy(dtype=float)
    else:  # rows without a batch number: count from the global iteration
        ipe = math.ceil(n / b)
        batch = it["iteration"].to_numpy(dtype=float) - (epoch - 1) * ipe
    seen = np.minimum(batch * b, n)
    if axis == XAxis.EPOCHS:
        return (epoch - 1) + seen / n
    return (epoch - 1) * n + seen


def epoch_x(run: RunData, axis: XAxis, epochs: Any) -> np.ndarray:
    """The end of each listed epoch on the shared axis."""
    e = np.asarray(epochs, dtype=float)
    return e if axis == XAxis.EPOCHS else e * _sizes(run)[0]


def smooth(x: np.ndarray, y: np.ndarray, tau: float) -> np.ndarray:
    """EMA with a time constant ``tau`` in x units; NaN values are carried over, not mixed in."""
    out = np.empty_like(y, dtype=float)
    if not len(y):
        return out
    if tau <= 0:
        return y.astype(float)
    s = None
    prev_x = x[0]
    for i, (xi, yi) in enumerate(zip(x, y, strict=True)):
        if not math.isfinite(yi):
            out[i] = s if s is not None else yi
            continue
        if s is None:
            s = float(yi)
        else:
            a = 1.0 - math.exp(-max(xi - prev_x, 0.0) / tau)
            s += a * (yi - s)
        prev_x = xi
        out[i] = s
    return out


def _bin(x: np.ndarray, *ys: np.ndarray, max_points: int) -> tuple[np.ndarray, ...]:
    """Average neighbouring points into at most ``max_points`` (vectorized)."""
    if len(x) <= max_points:
        return (x, *ys)
    starts = np.linspace(0, len(x), max_points + 1).astype(int)[:-1]
    counts = np.diff(np.append(starts, len(x)))
    return tuple(np.add.reduceat(v.astype(float), starts) / counts for v in (x, *ys))


def loss_series(
    run: RunData, axis: XAxis, smoothing: float, *, epoch_length: float | None = None,
    max_points: int = MAX_POINTS,
) -> Series:  # fmt: skip
    """The run's loss per iteration on the shared axis, smoothed with the shared time constant.

    ``smoothing`` 0..1: the time constant is ``smoothing / 4`` of an epoch, where an epoch is
    ``epoch_length`` on the axis (pass the same one for every run; default: this run's).
    """
    x = iteration_x(run, axis)
    y = run.iters["loss"].to_numpy(dtype=float) if len(x) else np.zeros(0)
    length = epoch_length if epoch_length is not None else unit(run, axis)
    s = smooth(x, y, max(float(smoothing), 0.0) * length / 4)
    x, y, s = _bin(x, y, s, max_points=max_points)
    return Series(x, y, s)


__all__ = [
    "MAX_POINTS",
    "Series",
    "XAxis",
    "epoch_x",
    "iteration_x",
    "loss_series",
    "smooth",
    "unit",
]
