"""The events ``engine.fit`` yields, in the past tense (fastai / Lightning vocabulary).

One fit yields, in order::

    FitStarted
    (EpochStarted, BatchEnded x iterations_per_epoch, EpochEnded) x epochs
    FitEnded                      # always exactly one, always last

with a ``GradientsRecorded`` right after the ``BatchEnded`` of each mini-batch whose
gradients were recorded (a few in the first epoch, the last of every epoch; see
``cnnviz.train.gradient_recorder``), unless recording is off.

A stop or a failure cuts the sequence short, but ``FitEnded`` still comes last,
with ``status`` finished / stopped / failed, a ``reason`` and, for failures the
user can fix, ``advice`` in the course's words.

Every event is a frozen dataclass with ``to_dict()``: its fields plus an
``"event"`` name (``fit_started``, ``epoch_started``, ``batch_ended``,
``epoch_ended``; ``FitEnded`` uses its status: ``finished``, ``stopped`` or
``failed``). ``cnnviz train --json`` prints one such dict per line.

Units: accuracies are fractions 0..1, losses are mean cross-entropy per image,
times are seconds of training (time spent paused is not counted).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, ClassVar

from cnnviz.train.gradients import GradRecord, record_dict
from cnnviz.train.status import Status


@dataclass(frozen=True)
class _Event:
    EVENT: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        d = {"event": self.EVENT}
        d.update({k: (str(v) if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()})
        return d


@dataclass(frozen=True)
class FitStarted(_Event):
    """Data is on the device, the optimizer is ready, the first batch is next."""

    EVENT: ClassVar[str] = "fit_started"
    epochs: int
    iterations_per_epoch: int  # ceil(train_size / batch_size)
    train_size: int
    val_size: int
    test_size: int
    batch_size: int
    device: str  # "cpu", "cuda", "cuda:0", "mps"

    @property
    def total_iterations(self) -> int:
        return self.epochs * self.iterations_per_epoch


@dataclass(frozen=True)
class EpochStarted(_Event):
    EVENT: ClassVar[str] = "epoch_started"
    epoch: int  # 1-based


@dataclass(frozen=True)
class BatchEnded(_Event):
    """One iteration done: forward pass, loss, backward pass, optimizer step on one mini-batch."""

    EVENT: ClassVar[str] = "batch_ended"
    epoch: int  # 1-based
    iteration: int  # global, 1-based: (epoch - 1) * iterations_per_epoch + batch
    batch: int  # 1-based within the epoch
    loss: float  # this mini-batch's mean cross-entropy
    accuracy: float  # this mini-batch's accuracy, 0..1
    images_per_s: float  # training speed so far in this epoch
    elapsed_s: float  # since FitStarted, pauses excluded


@dataclass(frozen=True)
class EpochEnded(_Event):
    """Averages over the epoch's training mini-batches, and the validation split (None if empty)."""

    EVENT: ClassVar[str] = "epoch_ended"
    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    elapsed_s: float
    lr: float | None = None  # the learning rate this epoch's updates used (see lr_schedule)


@dataclass(frozen=True)
class GradientsRecorded(_Event):
    """Each layer's weights and gradients after one mini-batch's backward pass (before the
    optimizer's step): the gradients file's lines for that moment (``cnnviz.train.gradients``)."""

    EVENT: ClassVar[str] = "gradients_recorded"
    epoch: int  # 1-based
    iteration: int  # global, 1-based
    records: tuple[GradRecord, ...]  # one per layer with weights, in the network's order

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.EVENT,
            "epoch": self.epoch,
            "iteration": self.iteration,
            "records": [record_dict(r) for r in self.records],
        }

    def sizes(self) -> list[dict[str, Any]]:
        """Each layer's gradient size now: [{layer, kind, grad_mean_abs, grad_norm, weight_norm}]."""
        return [
            {
                "iteration": r.iteration,
                "epoch": r.epoch,
                "layer": r.layer,
                "kind": r.kind,
                "grad_mean_abs": r.grad_mean_abs,
                "grad_norm": r.grad_norm,
                "weight_norm": r.weight_norm,
            }
            for r in self.records
        ]


@dataclass(frozen=True)
class FitEnded(_Event):
    """The last event of every fit. Test metrics are None unless the test split was evaluated."""

    status: Status
    reason: str | None = None
    advice: str | None = None
    test_loss: float | None = None
    test_accuracy: float | None = None
    elapsed_s: float = 0.0
    # The epoch with the best validation accuracy (its weights are kept as best.pt) and
    # the test accuracy of those weights; None without a validation split.
    best_epoch: int | None = None
    best_test_accuracy: float | None = None
    stopped_early: bool = False  # early stopping ended it (patience ran out); still "finished"
    # confusion[true][predicted] counts on the test split, for the last and the best weights
    confusion: list[list[int]] | None = None
    best_confusion: list[list[int]] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["event"] = str(self.status)
        return d


Event = FitStarted | EpochStarted | BatchEnded | GradientsRecorded | EpochEnded | FitEnded

__all__ = [
    "BatchEnded",
    "EpochEnded",
    "EpochStarted",
    "Event",
    "FitEnded",
    "FitStarted",
    "GradientsRecorded",
]
