"""The run store: one folder per training run, readable even after a crash mid-run.

Root: ``$CNNVIZ_RUNS_DIR`` or ``./runs``. A run folder is named
``<YYYYmmdd-HHMMSS>-<label>-<short id>`` (label = preset or spec name) and holds:

- ``spec.json``          the network spec as trained
- ``config.json``        ``{"train": TrainConfig.to_dict(), "dataset": {name, channels, size,
                          train_size, val_size, test_size}, "classes": [...],
                          "normalization": {kind, mean, std}, "label": ...}``
- ``metrics_iter.csv``   epoch, iteration, batch, loss, accuracy, images_per_s, elapsed_s
- ``metrics_epoch.csv``  epoch, train_loss, train_accuracy, val_loss, val_accuracy, elapsed_s
- ``weights.pt``         a state_dict, replaced atomically after every epoch and at the end
- ``best.pt``            the weights of the epoch with the best validation accuracy, written
                          (atomically, like weights.pt) whenever an epoch beats the best so far
- ``status.json``        {status: running|finished|stopped|failed, reason, advice,
                          test_loss, test_accuracy, epochs_done, updated}

CSV rows are flushed at every epoch end, so every finished epoch survives a crash.
``open_run(...).load_model()`` uses ``torch.load(weights_only=True)``: a file that
carries pickled code is refused with a ``RunError``, and nothing in the folder is
ever modified by reading it. A damaged ``weights.pt`` (not a readable zip archive,
as ``torch.save`` writes) is caught cheaply when listing, by ``weights_problem``,
without loading any tensors.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnviz.train.events import BatchEnded, EpochEnded, Event, FitEnded, FitStarted

ITER_FIELDS = ("epoch", "iteration", "batch", "loss", "accuracy", "images_per_s", "elapsed_s")
EPOCH_FIELDS = (
    "epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "elapsed_s", "lr"
)  # fmt: skip
_FILES = ("spec.json", "config.json", "status.json")
WEIGHTS_DAMAGED = "weights.pt is damaged and cannot be read"
WEIGHTS_MISSING = "weights.pt is missing from this run's folder"
WEIGHTS_NOT_YET = "no weights saved yet (no epoch finished)"
BEST_WEIGHTS = "best.pt"  # the best validation epoch's weights, beside weights.pt
log = logging.getLogger(__name__)


class RunError(ValueError):
    """A run folder cannot be read or used. The message says which file and what to do."""


def runs_root(root: str | os.PathLike | None = None) -> Path:
    """The folder holding all runs: ``root``, else ``$CNNVIZ_RUNS_DIR``, else ``./runs``."""
    return Path(root or os.environ.get("CNNVIZ_RUNS_DIR") or "runs")


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:40]
    return s or "net"


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_jsonable))
    os.replace(tmp, path)


def _jsonable(v: Any) -> Any:
    if hasattr(v, "tolist"):
        return v.tolist()
    if isinstance(v, tuple | set):
        return list(v)
    return str(v)


class RunWriter:
    """Writes one run folder. The engine calls ``begin`` once, then ``record`` per event.

    The folder and ``spec.json`` exist as soon as the writer does, so a job knows
    its ``run_dir`` before training starts.
    """

    def __init__(self, spec: dict, *, label: str = "", root: str | os.PathLike | None = None):
        base = runs_root(root)
        base.mkdir(parents=True, exist_ok=True)
        label = _slug(label or str(spec.get("name") or "net"))
        self.id = f"{time.strftime('%Y%m%d-%H%M%S')}-{label}-{uuid.uuid4().hex[:6]}"
        self.path = base / self.id
        self.path.mkdir()
        self.label = label
        self._iter_rows: list[dict] = []
        self._epochs_done = 0
        self._best: tuple[int, float] | None = None  # (epoch, val accuracy) of best.pt
        _write_json_atomic(self.path / "spec.json", spec)
        self._status({"status": "running"})

    def begin(self, config: dict, prepared: Any) -> None:
        """Write config.json: the training config, dataset facts, classes and normalization."""
        norm = prepared.normalization
        data = {
            "train": config,
            "dataset": {
                "name": prepared.dataset,
                "channels": prepared.input_shape[0],
                "size": list(prepared.input_shape[1:]),
                "train_size": prepared.train_size,
                "val_size": prepared.val_size,
                "test_size": prepared.test_size,
                "source": getattr(prepared, "source", ""),  # the folder the images came from
            },
            "classes": list(prepared.classes),
            "normalization": norm.to_dict()
            if hasattr(norm, "to_dict")
            else {
                "kind": str(getattr(norm, "kind", "none")),
                "mean": _floats(getattr(norm, "mean", ())),
                "std": _floats(getattr(norm, "std", ())),
            },
            "label": self.label,
        }
        _write_json_atomic(self.path / "config.json", data)
        for name, fields in (
            ("metrics_iter.csv", ITER_FIELDS),
            ("metrics_epoch.csv", EPOCH_FIELDS),
        ):
            with open(self.path / name, "w", newline="") as f:
                csv.writer(f).writerow(fields)

    def record(self, event: Event, model: Any = None) -> None:
        if isinstance(event, BatchEnded):
            self._iter_rows.append(event.to_dict())
        elif isinstance(event, EpochEnded):
            self._flush_iters()
            self._append("metrics_epoch.csv", EPOCH_FIELDS, [event.to_dict()])
            if model is not None:
                self.save_weights(model)
                acc = event.val_accuracy
                if acc is not None and (self._best is None or acc > self._best[1]):
                    self.save_weights(model, BEST_WEIGHTS)
                    self._best = (event.epoch, acc)
            self._epochs_done = event.epoch
            self._status({"status": "running"})
        elif isinstance(event, FitEnded):
            self._flush_iters()
            # A failed run's weights may be NaN: keep the last good epoch's file.
            if model is not None and event.status != "failed":
                self.save_weights(model)
            d = event.to_dict()
            d.pop("event")
            self._status(d)
        elif isinstance(event, FitStarted):
            self._status({"status": "running", "started": event.to_dict()})

    def save_weights(self, model: Any, name: str = "weights.pt") -> None:
        import torch

        state = {k: v.detach().to("cpu") for k, v in model.state_dict().items()}
        tmp = self.path / f"{name}.tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.path / name)

    def _flush_iters(self) -> None:
        if self._iter_rows:
            self._append("metrics_iter.csv", ITER_FIELDS, self._iter_rows)
            self._iter_rows = []

    def _append(self, name: str, fields: tuple[str, ...], rows: list[dict]) -> None:
        with open(self.path / name, "a", newline="") as f:
            w = csv.DictWriter(f, fields, extrasaction="ignore")
            w.writerows(rows)
            f.flush()
            os.fsync(f.fileno())

    def _status(self, d: dict) -> None:
        if self._best is not None:  # the writer's own record wins over a final event's None
            d = {**d}
            for key, value in zip(("best_epoch", "best_val_accuracy"), self._best, strict=True):
                if d.get(key) is None:
                    d[key] = value
        d = {**d, "epochs_done": self._epochs_done, "updated": time.strftime("%Y-%m-%d %H:%M:%S")}
        _write_json_atomic(self.path / "status.json", d)


def _floats(v: Any) -> list[float] | None:
    if v is None:
        return None
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, int | float):
        return [float(v)]
    return [float(x) for x in v]


@dataclass(frozen=True)
class RunInfo:
    """One line of the runs list. ``problem`` is set (and other fields may be blank) for a broken folder."""

    id: str
    path: Path
    label: str
    dataset: str
    status: str
    test_accuracy: float | None
    epochs_done: int
    epochs: int | None
    created: float  # folder mtime, seconds since the epoch
    problem: str | None = None


def list_runs(root: str | os.PathLike | None = None) -> list[RunInfo]:
    """Every run under the root, newest first. Broken folders are listed with a problem message."""
    base = runs_root(root)
    if not base.is_dir():
        return []
    out = []
    for p in base.iterdir():
        if p.is_dir() and not p.name.startswith("."):
            out.append(_info(p))
    out.sort(key=lambda r: (r.id[:15], r.created), reverse=True)
    return out


def _info(p: Path) -> RunInfo:
    created = p.stat().st_mtime
    problem = None
    status: dict = {}
    config: dict = {}
    try:
        status = json.loads((p / "status.json").read_text())
        config = json.loads((p / "config.json").read_text())
    except FileNotFoundError as e:
        problem = f"{Path(e.filename).name} is missing: this run stopped before training began"
    except (OSError, ValueError) as e:
        problem = f"unreadable run files ({e})"
    if not problem:
        problem = weights_problem(p / "weights.pt", status if isinstance(status, dict) else {})
    epochs = config.get("train", {}).get("epochs") if isinstance(config, dict) else None
    return RunInfo(
        id=p.name,
        path=p,
        label=str(config.get("label", "")) if isinstance(config, dict) else "",
        dataset=str(config.get("dataset", {}).get("name", "")) if isinstance(config, dict) else "",
        status=str(status.get("status", "unknown")) if isinstance(status, dict) else "unknown",
        test_accuracy=status.get("test_accuracy") if isinstance(status, dict) else None,
        epochs_done=int(status.get("epochs_done", 0)) if isinstance(status, dict) else 0,
        epochs=epochs if isinstance(epochs, int) else None,
        created=created,
        problem=problem,
    )


def weights_problem(path: Path, status: dict | None = None) -> str | None:
    """Why ``weights.pt`` at ``path`` cannot be used, in plain words; None if it looks fine.

    Cheap (no tensor is read): ``torch.save`` writes a zip archive, so the file must be
    non-empty, a zip, with a readable central directory naming a ``data.pkl``. A missing
    file is "not yet" while no epoch has finished, else "missing" (deleted).
    """
    status = status or {}
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        done = status.get("epochs_done") or 0
        finished = status.get("status") in ("finished", "stopped", "failed")
        return WEIGHTS_MISSING if done or finished else WEIGHTS_NOT_YET
    except OSError as e:
        log.warning("weights.pt at %s cannot be read: %s", path, e)
        return WEIGHTS_DAMAGED
    try:
        if size == 0 or not zipfile.is_zipfile(path):
            return WEIGHTS_DAMAGED
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (OSError, zipfile.BadZipFile, ValueError) as e:
        log.warning("weights.pt at %s is not a readable archive: %s", path, e)
        return WEIGHTS_DAMAGED
    if not any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return WEIGHTS_DAMAGED
    return None


class Run:
    """A saved run, opened read-only."""

    def __init__(self, path: Path):
        self.path = path
        self.id = path.name
        self.spec: dict = self._json("spec.json")
        self.config: dict = self._json("config.json")
        try:
            self.status: dict = self._json("status.json")
        except RunError:
            self.status = {"status": "unknown"}
        self.classes: list[str] = list(self.config.get("classes", []))

    def _json(self, name: str) -> dict:
        try:
            data = json.loads((self.path / name).read_text())
        except FileNotFoundError:
            raise RunError(
                f"Run {self.id}: {name} is missing; the run stopped before it was written."
            ) from None
        except (OSError, ValueError) as e:
            raise RunError(f"Run {self.id}: {name} cannot be read ({e}).") from None
        if not isinstance(data, dict):
            raise RunError(f"Run {self.id}: {name} does not hold a JSON object.")
        return data

    @property
    def train_config(self) -> dict:
        return dict(self.config.get("train", {}))

    @property
    def dataset(self) -> dict:
        return dict(self.config.get("dataset", {}))

    @property
    def normalization(self) -> Any:
        """A ``cnnviz.datasets.Normalization`` rebuilt from config.json."""
        from cnnviz.data.pipeline import Normalization

        n = self.config.get("normalization") or {}
        try:
            return Normalization.from_dict(
                {"kind": "none", **{k: v for k, v in n.items() if v is not None}}
            )
        except (TypeError, ValueError) as e:
            raise RunError(
                f"Run {self.id}: the normalization in config.json cannot be read ({e})."
            ) from None

    def _csv(self, name: str, fields: tuple[str, ...]) -> Any:
        import pandas as pd

        try:
            return pd.read_csv(self.path / name)
        except (FileNotFoundError, pd.errors.EmptyDataError):
            return pd.DataFrame(columns=list(fields))
        except (OSError, ValueError) as e:
            raise RunError(f"Run {self.id}: {name} cannot be read ({e}).") from None

    @property
    def metrics_iter(self) -> Any:
        return self._csv("metrics_iter.csv", ITER_FIELDS)

    @property
    def metrics_epoch(self) -> Any:
        return self._csv("metrics_epoch.csv", EPOCH_FIELDS)

    def load_state_dict(self, weights: str = "weights.pt") -> dict:
        """The saved state_dict: ``weights.pt`` (the last epoch) or ``best.pt`` (best validation)."""
        import pickle

        import torch

        path = self.path / weights
        damaged = (
            f"{weights} in {self.id} is damaged and cannot be read: "
            "train again, or delete this run folder."
        )
        problem = weights_problem(path, self.status)
        if problem == WEIGHTS_NOT_YET:
            raise RunError(
                f"Run {self.id} has no {weights} yet: no epoch finished. Train it again."
            )
        if problem == WEIGHTS_MISSING:
            raise RunError(
                f"{weights} is missing from the folder of run {self.id}: train again, "
                "or delete this run folder."
            )
        if problem:
            raise RunError(damaged)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            raise RunError(
                f"Run {self.id}: {weights} carries more than tensors (pickled code), so it was "
                "refused for safety. Only load files you trust."
            ) from None
        except Exception as e:  # corrupt data inside a well-formed archive
            log.warning("%s of run %s cannot be loaded: %s", weights, self.id, e)
            raise RunError(damaged) from None
        if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()
        ):
            raise RunError(f"Run {self.id}: weights.pt does not hold a state_dict of tensors.")
        return state

    @property
    def has_best(self) -> bool:
        """Whether the run kept its best validation epoch's weights (best.pt)."""
        return (self.path / BEST_WEIGHTS).is_file()

    def load_model(self, weights: str = "weights.pt") -> Any:
        """The network with the saved weights (``weights.pt`` or ``best.pt``), on the CPU, in eval mode."""
        from cnnviz.design.build import build_model
        from cnnviz.design.spec import SpecError

        try:
            model = build_model(self.spec)
        except SpecError as e:
            raise RunError(f"Run {self.id}: its spec.json no longer builds ({e}).") from None
        try:
            model.load_state_dict(self.load_state_dict(weights))
        except RuntimeError as e:
            raise RunError(
                f"Run {self.id}: weights.pt does not match spec.json ({str(e).splitlines()[0]})."
            ) from None
        return model.eval()


def open_run(run: str | os.PathLike, root: str | os.PathLike | None = None) -> Run:
    """Open a run by folder path or by id (folder name under the runs root)."""
    p = Path(run)
    if not p.is_dir():
        name = Path(run).name
        if name in ("", ".", "..") or name != str(run):
            raise RunError(f"No run folder at {run}.")
        p = runs_root(root) / name
    if not p.is_dir():
        raise RunError(f"No run called {run} under {runs_root(root)}. Pick one from the Runs list.")
    return Run(p)


__all__ = [
    "BEST_WEIGHTS",
    "WEIGHTS_DAMAGED",
    "WEIGHTS_MISSING",
    "WEIGHTS_NOT_YET",
    "RunError",
    "RunInfo",
    "Run",
    "RunWriter",
    "list_runs",
    "open_run",
    "runs_root",
    "weights_problem",
]
