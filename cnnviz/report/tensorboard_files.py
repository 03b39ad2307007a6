"""A saved run as TensorBoard event files: ``tensorboard --logdir DIR`` shows it.

``write_tensorboard(run, folder)`` writes ``folder/<run id>/{train,val,test}``, one
event file each, so TensorBoard draws training, validation and test on the same
charts, and several runs exported into one folder side by side:

- ``loss/iteration``, ``accuracy/iteration`` (train, step = iteration): every mini-batch;
- ``loss/epoch``, ``accuracy/epoch`` (train and val, step = epoch; test at the last epoch);
- ``learning_rate`` (train, step = epoch);
- ``weights/<layer path> <kind>`` and ``gradients/<layer path> <kind>`` (train, step =
  iteration): the histograms of every recorded moment of the run's gradients file
  (``cnnviz.train.gradients``), bucket limits its right edges, counts its counts.

Needs the ``tensorboard`` package (``pip install tensorboard``), not TensorFlow:
``TensorBoardMissing`` says so when it is not installed.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnviz.train.gradients import Histogram, read_records

if TYPE_CHECKING:
    from cnnviz.train.store import Run

INSTALL = "pip install tensorboard"


class TensorBoardMissing(RuntimeError):
    """The tensorboard package is not installed (the message names the command that installs it)."""


def _writer_parts() -> tuple[Any, Any, Any, Any]:
    try:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError:
        raise TensorBoardMissing(
            f"TensorBoard files need the tensorboard package, which is not installed: "
            f"{INSTALL} (TensorFlow is not needed), then export again."
        ) from None
    return Event, Summary, HistogramProto, EventFileWriter


def histogram_proto(h: Histogram, proto: Any) -> Any:
    """TensorBoard's histogram from equal bins: limits are the right edges, the sums from centres."""
    centres = [(a + b) / 2 for a, b in zip(h.edges, h.edges[1:], strict=False)]
    return proto(
        min=h.edges[0],
        max=h.edges[-1],
        num=sum(h.counts),
        sum=sum(c * n for c, n in zip(centres, h.counts, strict=True)),
        sum_squares=sum(c * c * n for c, n in zip(centres, h.counts, strict=True)),
        bucket_limit=h.edges[1:],
        bucket=h.counts,
    )


def _rows(df: Any) -> list[dict]:
    return df.to_dict("records") if df is not None and len(df) else []


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and math.isfinite(v)


def write_tensorboard(run: Run, folder: str | Path) -> dict[str, int]:
    """Write the run's event files under ``folder/<run id>/<split>``; how many values of each kind."""
    Event, Summary, HistogramProto, EventFileWriter = _writer_parts()
    base = Path(folder) / run.id
    writers: dict[str, Any] = {}  # made when a split has its first value

    def add(split: str, event: Any) -> None:
        if split not in writers:
            writers[split] = EventFileWriter(str(base / split))
        writers[split].add_event(event)

    counts = {"scalars": 0, "histograms": 0}
    now = time.time()

    def scalar(split: str, tag: str, step: int, value: Any) -> None:
        if _finite(value):
            summary = Summary(value=[Summary.Value(tag=tag, simple_value=float(value))])
            add(split, Event(wall_time=now, step=int(step), summary=summary))
            counts["scalars"] += 1

    try:
        for row in _rows(run.metrics_iter):
            if _finite(row.get("iteration")):
                scalar("train", "loss/iteration", row["iteration"], row.get("loss"))
                scalar("train", "accuracy/iteration", row["iteration"], row.get("accuracy"))
        last = 0
        for row in _rows(run.metrics_epoch):
            if not _finite(row.get("epoch")):
                continue
            e = int(row["epoch"])
            last = max(last, e)
            for split in ("train", "val"):
                scalar(split, "loss/epoch", e, row.get(f"{split}_loss"))
                scalar(split, "accuracy/epoch", e, row.get(f"{split}_accuracy"))
            scalar("train", "learning_rate", e, row.get("lr"))
        step = int(run.status.get("epochs_done") or last)
        scalar("test", "loss/epoch", step, run.status.get("test_loss"))
        scalar("test", "accuracy/epoch", step, run.status.get("test_accuracy"))
        for r in read_records(run.path):
            for what, h in (("weights", r.weight_hist), ("gradients", r.grad_hist)):
                if not h.counts:
                    continue
                value = Summary.Value(
                    tag=f"{what}/{r.layer} {r.kind}", histo=histogram_proto(h, HistogramProto)
                )
                event = Event(wall_time=now, step=r.iteration, summary=Summary(value=[value]))
                add("train", event)
                counts["histograms"] += 1
    finally:
        for w in writers.values():
            w.close()
    return counts


__all__ = ["INSTALL", "TensorBoardMissing", "histogram_proto", "write_tensorboard"]
