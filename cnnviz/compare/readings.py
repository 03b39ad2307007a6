"""Reading a curve: what the loss and accuracy say, in the course's words, with the next step.

``read_curves(...)`` looks at a run's per-epoch and per-iteration metrics (a
saved run's tables, or a live job's lists) and returns the patterns it finds:

- the loss stays at ln(classes): the network guesses uniformly;
- the loss became NaN or grew: the weights blew up;
- training accuracy far above validation: overfitting;
- training and validation still improving at the last epoch: train longer;
- the loss falls very slowly on raw 0–255 pixels: normalize.

Each ``Reading`` has the finding (with the numbers) and a concrete next step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from cnnviz.train.status import Status

if TYPE_CHECKING:
    from cnnviz.compare.runs import RunData


class Pattern(StrEnum):
    CHANCE = "chance"  # loss stuck at ln(classes)
    DIVERGED = "diverged"  # NaN or exploding loss
    OVERFITTING = "overfitting"
    STILL_IMPROVING = "still_improving"
    SLOW_RAW = "slow_raw"  # slow on raw 0-255 pixels


@dataclass(frozen=True)
class Reading:
    pattern: Pattern
    finding: str
    next_step: str

    def text(self) -> str:
        return f"{self.finding} Next: {self.next_step}"


CHANCE_TOLERANCE = 0.05  # relative distance from ln(classes)
OVERFIT_GAP = 0.15  # training accuracy minus validation accuracy
IMPROVING = 0.01  # relative fall of the validation loss over the last epoch
EXPLODED = 20  # a mini-batch loss this many times ln(classes) means the weights blew up


def _col(rows: Any, name: str) -> np.ndarray:
    if rows is None:
        return np.zeros(0)
    if hasattr(rows, "columns"):
        if name not in rows.columns:
            return np.zeros(0)
        return rows[name].to_numpy(dtype=float)
    return np.array([float(r.get(name)) if r.get(name) is not None else np.nan for r in rows])


def _pct(v: float) -> str:
    return f"{100 * v:.1f}%"


def read_curves(
    epochs: Any,
    iters: Any,
    *,
    classes: int,
    normalize: str = "standardize",
    status: str = "finished",
    reason: str | None = None,
    planned_epochs: int | None = None,
) -> list[Reading]:
    """The patterns the curves show (most urgent first); [] when nothing stands out.

    ``epochs``/``iters``: a DataFrame or a list of dicts with the run store's columns.
    """
    out: list[Reading] = []
    loss = _col(iters, "loss")
    tl, ta = _col(epochs, "train_loss"), _col(epochs, "train_accuracy")
    vl, va = _col(epochs, "val_loss"), _col(epochs, "val_accuracy")
    k = max(int(classes), 2)
    chance = math.log(k)
    reason_l = (reason or "").lower()
    finite = loss[np.isfinite(loss)]

    nan = "nan" in reason_l or "infinite" in reason_l or (len(loss) and not np.isfinite(loss).all())
    grew = len(finite) >= 8 and _mean(finite[-max(len(finite) // 8, 1) :]) > 1.5 * max(
        _mean(finite[: max(len(finite) // 8, 1)]), chance
    )
    # blew up: far above a guess AND far above where it started (raw 0–255 pixels start high)
    start = _mean(finite[: max(len(finite) // 8, 1)]) if len(finite) else float("nan")
    exploded = (
        len(finite) > 0
        and float(finite.max()) > EXPLODED * chance
        and float(finite.max()) > 2 * start
    )
    if nan or grew or exploded:
        if nan:
            what = "became NaN (not a number)"
        elif exploded:
            what = f"shot up to {float(finite.max()):,.0f} (a guess is {chance:.3f})"
        else:
            what = "grew instead of falling"
        out.append(
            Reading(
                Pattern.DIVERGED,
                f"The loss {what}: the updates are too big and the weights blew up.",
                "lower the learning rate 10× (e.g. 0.01 → 0.001), or add BatchNorm2d after each "
                "Conv2d; with raw 0–255 pixels, normalize them (÷255).",
            )
        )
        return out  # nothing else in such curves can be trusted

    if len(finite) >= 4:
        tail = finite[-max(len(finite) // 4, 2) :]
        last_acc = ta[-1] if len(ta) else None
        near = abs(_mean(tail) - chance) <= CHANCE_TOLERANCE * chance
        if near and (last_acc is None or not math.isfinite(last_acc) or last_acc < 1.5 / k):
            out.append(
                Reading(
                    Pattern.CHANCE,
                    f"The loss stays at {_mean(tail):.3f}, about ln({k}) = {chance:.3f}: the "
                    f"network guesses uniformly (every class gets probability 1/{k}), it has "
                    "not learned anything yet.",
                    "check that the learning rate is not far too small or too large (try 10× "
                    "either way), that the pixels are normalized, and that the network has Conv2d "
                    "or Linear layers with weights to learn (no ReLU right before the output).",
                )
            )
            return out

    if len(ta) and len(va) and np.isfinite(va[-1]) and ta[-1] - va[-1] > OVERFIT_GAP:
        rising = len(vl) >= 2 and np.isfinite(vl).all() and vl[-1] > np.nanmin(vl) * 1.05
        more = " and the validation loss has been rising since its best epoch" if rising else ""
        out.append(
            Reading(
                Pattern.OVERFITTING,
                f"Training accuracy {_pct(ta[-1])} is far above validation {_pct(va[-1])}{more}: "
                "the network learns the training images by heart (overfitting) instead of what "
                "generalizes.",
                "add Dropout before the Linear layers or random flips and crops (augmentation), "
                "use more training images, or stop earlier (early stopping, or open best.pt).",
            )
        )

    done = len(tl)
    if (
        done >= 2
        and (planned_epochs is None or done >= planned_epochs)
        and status == Status.FINISHED
    ):
        ref_l = vl if len(vl) and np.isfinite(vl[-2:]).all() else tl
        ref_a = va if len(va) and np.isfinite(va[-2:]).all() else ta
        fell = ref_l[-1] < ref_l[-2] * (1 - IMPROVING)
        rose = len(ref_a) < 2 or ref_a[-1] >= ref_a[-2]
        train_fell = tl[-1] < tl[-2] * (1 - IMPROVING)
        if fell and rose and train_fell and not any(r.pattern == Pattern.OVERFITTING for r in out):
            which = "validation" if ref_l is vl else "training"
            out.append(
                Reading(
                    Pattern.STILL_IMPROVING,
                    f"Both the training and the {which} loss were still falling at the last "
                    f"epoch ({ref_l[-2]:.3f} → {ref_l[-1]:.3f}): the network had not finished "
                    "learning.",
                    f"train longer: more epochs (e.g. {done} → {2 * done}).",
                )
            )

    if str(normalize) == "none" and len(finite) >= 8:
        first, last = (
            _mean(finite[: len(finite) // 8 or 1]),
            _mean(finite[-(len(finite) // 8 or 1) :]),
        )
        if last > 0.8 * first and last > 0.5 * chance:
            out.append(
                Reading(
                    Pattern.SLOW_RAW,
                    f"The loss fell very slowly ({first:.3f} → {last:.3f}) on raw 0–255 pixels: "
                    "inputs hundreds of times larger than the weights expect make the gradient "
                    "steps badly scaled.",
                    "normalize the pixels (÷255 or standardize) under Settings → Normalization.",
                )
            )
    return out


def _mean(v: Sequence[float] | np.ndarray) -> float:
    return float(np.mean(v)) if len(v) else float("nan")


def read_run(run: RunData) -> list[Reading]:
    """``read_curves`` for a saved run (``cnnviz.compare.runs.RunData``)."""
    return read_curves(
        run.epochs,
        run.iters,
        classes=len(run.classes) or 10,
        normalize=str(run.train.get("normalize", "standardize")),
        status=str(run.status.get("status", "finished")),
        reason=run.status.get("reason"),
        planned_epochs=run.train.get("epochs"),
    )


__all__ = ["Pattern", "Reading", "read_curves", "read_run"]
