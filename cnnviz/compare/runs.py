"""A saved run's facts as compare needs them, read once per change on disk.

``load(run)`` opens a run with the run store's reader (``cnnviz.train.store``)
and returns a frozen ``RunData``: spec, settings, dataset facts, status and the
two metrics tables. Results are cached by the files' modification times and
sizes, so a page that reruns every second does not re-parse a CSV that has not
changed; a run that is still training is re-read as soon as an epoch is written.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cnnviz.compare.lru import LruCache
from cnnviz.train.run_files import (
    BEST_WEIGHTS,
    CONFIG_FILE,
    EPOCH_METRICS,
    ITER_METRICS,
    SPEC_FILE,
    STATUS_FILE,
)
from cnnviz.train.store import RunError, files_stamp, open_run, runs_root

CACHE_SIZE = 64
_WATCHED = (STATUS_FILE, CONFIG_FILE, SPEC_FILE, ITER_METRICS, EPOCH_METRICS)
stats = {"parsed": 0, "cached": 0}  # how often load() read the files, or answered from memory
_cache: LruCache[RunData] = LruCache(CACHE_SIZE, stats, hit="cached", miss="parsed")


@dataclass(frozen=True)
class RunData:
    """Everything compare reads from one run folder (treat the tables as read-only)."""

    id: str
    path: Path
    spec: dict
    train: dict  # TrainConfig.to_dict() as saved
    dataset: dict  # name, channels, size, train_size, val_size, test_size
    normalization: dict  # kind, mean, std
    classes: list[str]
    status: dict
    iters: pd.DataFrame = field(repr=False)
    epochs: pd.DataFrame = field(repr=False)
    has_best: bool = False

    @property
    def label(self) -> str:
        return str(self.spec.get("name") or "")

    @property
    def test_accuracy(self) -> float | None:
        return _num(self.status.get("test_accuracy"))

    @property
    def best_val_accuracy(self) -> float | None:
        best = _num(self.status.get("best_val_accuracy"))
        if best is not None:
            return best
        if "val_accuracy" in self.epochs and self.epochs["val_accuracy"].notna().any():
            return float(self.epochs["val_accuracy"].max())
        return None

    @property
    def epochs_done(self) -> int:
        return int(self.status.get("epochs_done") or len(self.epochs))

    @property
    def elapsed_s(self) -> float | None:
        v = _num(self.status.get("elapsed_s"))
        if v is None and len(self.epochs) and "elapsed_s" in self.epochs:
            v = _num(self.epochs["elapsed_s"].iloc[-1])
        return v

    def confusion(self, best: bool = False) -> list[list[int]] | None:
        """confusion[true][predicted] on the test split (the last or the best weights)."""
        c = self.status.get("best_confusion" if best else "confusion")
        return c if isinstance(c, list) and c else None

    def weights_test_accuracy(self, best: bool = False) -> float | None:
        if not best:
            return self.test_accuracy
        return _num(self.status.get("best_test_accuracy"))


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def load(run: str | os.PathLike, root: str | os.PathLike | None = None) -> RunData:
    """The run named by a folder path or a folder name under the runs root; RunError if unusable."""
    opened_path = _resolve(run, root)
    key = str(opened_path.resolve())
    stamp = files_stamp(opened_path, _WATCHED)
    return _cache.get(key, lambda: _read(opened_path), stamp)


def _resolve(run: str | os.PathLike, root: str | os.PathLike | None) -> Path:
    """The folder, found as ``open_run`` finds it, without reading any file (cache hits stay cheap)."""
    p = Path(run)
    if p.is_dir():
        return p
    if p.name in ("", ".", "..") or p.name != str(run):
        raise RunError(f"No run folder at {run}.")
    p = runs_root(root) / p.name
    if not p.is_dir():
        raise RunError(f"No run called {run} under {runs_root(root)}. Pick one from the Runs list.")
    return p


def _read(path: Path) -> RunData:
    r = open_run(path)
    iters, epochs = r.metrics_iter, r.metrics_epoch
    for df in (iters, epochs):
        for col in df.columns:
            if col != "event":
                df[col] = pd.to_numeric(df[col], errors="coerce")
    if not r.spec.get("layers") and not r.config:
        raise RunError(f"Run {r.id}: spec.json and config.json hold nothing to compare.")
    return RunData(
        id=r.id,
        path=path,
        spec=r.spec,
        train=r.train_config,
        dataset=r.dataset,
        normalization=dict(r.config.get("normalization") or {}),
        classes=[str(c) for c in r.classes],
        status=dict(r.status),
        iters=iters,
        epochs=epochs,
        has_best=(path / BEST_WEIGHTS).is_file(),
    )


def clear_cache() -> None:
    _cache.clear()


__all__ = ["RunData", "clear_cache", "load", "stats"]
