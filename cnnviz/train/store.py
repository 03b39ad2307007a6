"""The run store: one folder per training run, readable even after a crash mid-run.

Root: ``$CNNVIZ_RUNS_DIR`` or ``./runs``. A run folder is named
``<YYYYmmdd-HHMMSS>-<label>-<short id>`` (label = preset or spec name) and holds:

- ``spec.json``          the network spec as trained
- ``config.json``        ``{"train": TrainConfig.to_dict(), "dataset": {name, channels, size,
                          train_size, val_size, test_size}, "classes": [...],
                          "normalization": {kind, mean, std}, "label": ...,
                          "challenge": id (only for a run trained under a challenge)}``
- ``metrics_iter.csv``   epoch, iteration, batch, loss, accuracy, images_per_s, elapsed_s
- ``metrics_epoch.csv``  epoch, train_loss, train_accuracy, val_loss, val_accuracy, elapsed_s
- ``weights.pt``         a state_dict, replaced atomically after every epoch and at the end
- ``best.pt``            the weights of the epoch with the best validation accuracy, written
                          (atomically, like weights.pt) whenever an epoch beats the best so far
- ``gradients.jsonl``    each layer's weight and gradient sizes and histograms, a few times in
                          the first epoch and at every epoch's end (``cnnviz.train.gradients``;
                          older runs have none)
- ``status.json``        {status: running|finished|stopped|failed, reason, advice,
                          test_loss, test_accuracy, epochs_done, updated, owner: {pid, host}}

CSV rows are flushed at every epoch end, so every finished epoch survives a crash.
A run left "running" by a process that is gone (a killed server) reads as
``interrupted``. Every file is read through one validating reader
(``cnnviz.train.run_checks``): a damaged run is listed with what is wrong
(``RunInfo.problem``), and ``Run.status`` / ``Run.config`` hold only values of
the right type. Writing fails with ``RunWriteError`` ("the disk is full", naming
the run, never its path) and leaves no ``*.tmp`` file behind; the last good ``weights.pt``
is kept.
``open_run(...).load_model()`` uses ``torch.load(weights_only=True)``: a file that
carries pickled code is refused with a ``RunError``, and nothing in the folder is
ever modified by reading it. A damaged ``weights.pt`` (not a readable zip archive,
as ``torch.save`` writes) is caught cheaply when listing, by ``weights_problem``,
without loading any tensors.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnviz.design import bounded_json
from cnnviz.settings.env import runs_dir
from cnnviz.train import gradients as grad_file
from cnnviz.train import run_files
from cnnviz.train.events import (
    BatchEnded,
    EpochEnded,
    Event,
    FitEnded,
    FitStarted,
    GradientsRecorded,
)
from cnnviz.train.ids import label_slug, new_run_id
from cnnviz.train.run_checks import (
    MAX_CSV_BYTES,
    MAX_JSON_CHARS,
    check_config,
    check_metrics,
    check_status,
    owner_alive,
    this_owner,
)
from cnnviz.train.run_files import (
    BEST_WEIGHTS,
    CONFIG_FILE,
    EPOCH_METRICS,
    ITER_METRICS,
    SPEC_FILE,
    STATUS_FILE,
    WEIGHTS,
    RunWriteError,
    ended_here,
    remember_final,
    write_json_atomic,
    writing,
)
from cnnviz.train.status import Status

ITER_FIELDS = ("epoch", "iteration", "batch", "loss", "accuracy", "images_per_s", "elapsed_s")
EPOCH_FIELDS = (
    "epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "elapsed_s", "lr"
)  # fmt: skip
_FILES = (SPEC_FILE, CONFIG_FILE, STATUS_FILE)
WEIGHTS_DAMAGED = "weights.pt is damaged and cannot be read"
WEIGHTS_MISSING = "weights.pt is missing from this run's folder"
WEIGHTS_NOT_YET = "no weights saved yet (no epoch finished)"
log = logging.getLogger(__name__)


class RunError(ValueError):
    """A run folder cannot be read or used. The message says which file and what to do."""


def runs_root(root: str | os.PathLike | None = None) -> Path:
    """The folder holding all runs: ``root``, else ``$CNNVIZ_RUNS_DIR``, else ``./runs``."""
    return Path(root) if root else runs_dir()


class RunWriter:
    """Writes one run folder. The engine calls ``begin`` once, then ``record`` per event.

    The folder and ``spec.json`` exist as soon as the writer does, so a job knows
    its ``run_dir`` before training starts.
    """

    def __init__(
        self,
        spec: dict,
        *,
        label: str = "",
        root: str | os.PathLike | None = None,
        challenge: str = "",
    ):
        base = runs_root(root)
        self.challenge = str(challenge or "")  # the challenge it trains under, in config.json
        label = label_slug(label or str(spec.get("name") or "net"))
        self.id = new_run_id(label)
        self.path = base / self.id
        self.label = label
        self._iter_rows: list[dict] = []
        self._epochs_done = 0
        self._best: tuple[int, float] | None = None  # (epoch, val accuracy) of best.pt
        with writing(base, "a new run's folder", where="the runs folder"):
            base.mkdir(parents=True, exist_ok=True)
            self.path.mkdir()
        try:
            write_json_atomic(self.path / SPEC_FILE, spec)
            self._status({"status": "running"})
        except RunWriteError:
            shutil.rmtree(self.path, ignore_errors=True)  # no orphan folder with a .tmp in it
            raise

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
        if self.challenge:
            data["challenge"] = self.challenge
        write_json_atomic(self.path / CONFIG_FILE, data)
        for name, fields in (
            (ITER_METRICS, ITER_FIELDS),
            (EPOCH_METRICS, EPOCH_FIELDS),
        ):
            buf = io.StringIO()
            csv.writer(buf).writerow(fields)
            with writing(self.path, name):
                run_files.write_file(self.path / name, buf.getvalue().encode())

    def record(self, event: Event, model: Any = None) -> None:
        if isinstance(event, BatchEnded):
            self._iter_rows.append(event.to_dict())
        elif isinstance(event, EpochEnded):
            self._flush_iters()
            self._append(EPOCH_METRICS, EPOCH_FIELDS, [event.to_dict()])
            if model is not None:
                self.save_weights(model)
                acc = event.val_accuracy
                if acc is not None and (self._best is None or acc > self._best[1]):
                    self.save_weights(model, BEST_WEIGHTS)
                    self._best = (event.epoch, acc)
            self._epochs_done = event.epoch
            self._status({"status": "running"})
        elif isinstance(event, FitEnded):
            d = event.to_dict()
            d.pop("event")
            try:
                self._flush_iters()
                # A failed run's weights may be NaN: keep the last good epoch's file.
                if model is not None and event.status != "failed":
                    self.save_weights(model)
            except RunWriteError as e:
                d = {**d, "status": "failed", "reason": str(e), "advice": e.advice}
                self._final(d)
                raise
            self._final(d)
        elif isinstance(event, GradientsRecorded):
            self._append_bytes(grad_file.GRADIENTS_FILE, grad_file.lines_bytes(event.records))
        elif isinstance(event, FitStarted):
            self._status({"status": "running", "started": event.to_dict()})

    def save_weights(self, model: Any, name: str = WEIGHTS) -> None:
        """Replace ``name`` atomically; on failure the previous (last good) file stays."""
        import torch

        state = {k: v.detach().to("cpu") for k, v in model.state_dict().items()}
        buf = io.BytesIO()
        torch.save(state, buf)  # in memory first: a full disk is then an OSError with errno
        tmp = self.path / f"{name}.tmp"
        with writing(self.path, name, tmp):
            run_files.write_file(tmp, buf.getbuffer())
            os.replace(tmp, self.path / name)

    def _flush_iters(self) -> None:
        if self._iter_rows:
            self._append(ITER_METRICS, ITER_FIELDS, self._iter_rows)
            self._iter_rows = []

    def _append(self, name: str, fields: tuple[str, ...], rows: list[dict]) -> None:
        buf = io.StringIO()
        csv.DictWriter(buf, fields, extrasaction="ignore").writerows(rows)
        self._append_bytes(name, buf.getvalue().encode())

    def _append_bytes(self, name: str, data: bytes) -> None:
        """Append whole lines to ``name``; on a failed write the file ends at its last whole line."""
        path = self.path / name
        with writing(self.path, name):
            size = path.stat().st_size if path.exists() else 0
            try:
                with open(path, "ab") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            except OSError:
                with contextlib.suppress(OSError):
                    os.truncate(path, size)  # no half row: the file ends at the last whole epoch
                raise

    def _with_best(self, d: dict) -> dict:
        if self._best is not None:  # the writer's own record wins over a final event's None
            d = {**d}
            for key, value in zip(("best_epoch", "best_val_accuracy"), self._best, strict=True):
                if d.get(key) is None:
                    d[key] = value
        return d

    def _status(self, d: dict) -> None:
        d = {
            **self._with_best(d),
            **d,
            "epochs_done": self._epochs_done,
            "updated": time.strftime("%Y-%m-%d %H:%M:%S"),
            "owner": this_owner(),
        }
        write_json_atomic(self.path / STATUS_FILE, d)

    def _final(self, d: dict) -> None:
        """The last status: remembered in this process if the disk cannot take it."""
        full = {
            **self._with_best(d),
            "epochs_done": self._epochs_done,
            "updated": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        try:
            write_json_atomic(self.path / STATUS_FILE, full)
        except RunWriteError as e:
            log.warning("final status of run %s not written: %s", self.id, e)
            remember_final(self.path, full)


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
    """One line of the runs list. ``problem`` is set (and other fields may be blank) for a broken folder.

    ``problems`` lists everything found wrong; ``problem`` is their summary (None if sound).
    ``status`` is a ``Status`` (a str): ``interrupted`` for a run whose trainer is gone.
    """

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
    problems: tuple[str, ...] = field(default=(), compare=False)


def list_runs(root: str | os.PathLike | None = None) -> list[RunInfo]:
    """Every run under the root, newest first. Broken folders are listed with a problem message."""
    base = runs_root(root)
    if not base.is_dir():
        return []
    out = []
    try:
        entries = list(base.iterdir())
    except OSError as e:
        log.warning("runs folder %s cannot be listed: %s", base, e)
        return []
    for p in entries:
        try:
            if p.is_dir() and not p.is_symlink() and not p.name.startswith("."):
                out.append(_info(p))
        except OSError as e:  # vanished or unreadable while listing
            log.warning("run folder %s skipped: %s", p, e)
    out.sort(key=lambda r: (r.id[:15], r.created), reverse=True)
    return out


def files_stamp(folder: Path, names: tuple[str, ...]) -> tuple:
    """(modification time, size) of each named file in ``folder``, None for a missing one:
    a cache key that changes whenever one of those files does."""
    out = []
    for name in names:
        try:
            s = os.stat(folder / name)
            out.append((s.st_mtime_ns, s.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


def _read_json(folder: Path, name: str) -> Any:
    """A run file's JSON through the bounded decoder; RunError naming the file."""
    path = folder / name
    try:
        if path.stat().st_size > MAX_JSON_CHARS:
            raise RunError(f"Run {folder.name}: {name} is too large to be a run file.")
        text = path.read_bytes()
    except FileNotFoundError:
        raise RunError(
            f"Run {folder.name}: {name} is missing; the run stopped before it was written."
        ) from None
    except OSError as e:
        raise RunError(f"Run {folder.name}: {name} cannot be read ({e.strerror or e}).") from None
    try:
        return bounded_json.loads(text, what=name, max_chars=MAX_JSON_CHARS)
    except bounded_json.JsonLimitError as e:
        raise RunError(f"Run {folder.name}: {name} cannot be read ({e}).") from None


def _effective_status(folder: Path, status: dict) -> dict:
    """status.json as it stands: a final status kept in memory, or "interrupted"."""
    kept = ended_here(folder)
    if kept is not None and status.get("status") == Status.RUNNING:
        status, _ = check_status(kept)
    if status["status"] == Status.RUNNING and not owner_alive(status.get("owner")):
        status = {
            **status,
            "status": Status.INTERRUPTED,
            "reason": "Training was cut off (the server or the command stopped) after "
            f"{status['epochs_done']} finished epoch(s); those epochs and their weights are kept.",
        }
    return status


def read_status(folder: Path) -> tuple[dict, list[str]]:
    """A run's status, checked: (clean dict, problems). Never raises."""
    try:
        raw = _read_json(folder, STATUS_FILE)
    except RunError as e:
        status, _ = check_status({})
        return status, [str(e).removeprefix(f"Run {folder.name}: ")]
    status, problems = check_status(raw)
    return _effective_status(folder, status), problems


def read_config(folder: Path) -> tuple[dict, list[str]]:
    """A run's config.json, checked: (clean dict, problems). Never raises."""
    try:
        raw = _read_json(folder, CONFIG_FILE)
    except RunError as e:
        config, _ = check_config({})
        return config, [str(e).removeprefix(f"Run {folder.name}: ")]
    return check_config(raw)


def _summary(problems: list[str]) -> str | None:
    if not problems:
        return None
    if len(problems) == 1:
        return problems[0]
    return f"{problems[0]} (and {len(problems) - 1} more: {'; '.join(problems[1:])})"


def _spec_problems(folder: Path) -> list[str]:
    from cnnviz.design.spec import SpecError, check_spec_structure

    if not (folder / SPEC_FILE).is_file():
        return ["spec.json is missing: the network of this run is unknown"]
    try:
        spec = _read_json(folder, SPEC_FILE)
        check_spec_structure(spec)
    except RunError as e:
        return [str(e).removeprefix(f"Run {folder.name}: ").rstrip(".")]
    except SpecError as e:
        return [f"spec.json does not hold a network ({e})"]
    return []


def _csv_header_problem(path: Path, key: str) -> str | None:
    """Cheap check of a metrics CSV for the list: text, with its ``key`` column in the header."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        return None  # no rows yet
    except OSError as e:
        return f"{path.name} cannot be read ({e.strerror or e})"
    if not head:
        return None
    try:
        first = head.split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        return f"{path.name} is not text"
    if "\x00" in first or key not in [c.strip().strip('"') for c in first.split(",")]:
        return f"{path.name} has no {key} column"
    return None


def _info(p: Path) -> RunInfo:
    created = p.stat().st_mtime
    status, problems = read_status(p)
    config, config_problems = read_config(p)
    problems += config_problems
    problems += _spec_problems(p)
    for name, key in ((ITER_METRICS, "iteration"), (EPOCH_METRICS, "epoch")):
        bad = _csv_header_problem(p / name, key)
        if bad:
            problems.append(bad)
    best = p / BEST_WEIGHTS  # optional (no validation split: none); damaged is a problem
    if best.exists() and weights_problem(best, status) == WEIGHTS_DAMAGED:
        problems.append(f"{BEST_WEIGHTS} is damaged and cannot be read")
    weights = weights_problem(p / WEIGHTS, status)
    if weights and not (weights == WEIGHTS_NOT_YET and problems):
        problems.append(weights)
    epochs = config["train"].get("epochs")
    return RunInfo(
        id=p.name,
        path=p,
        label=config["label"],
        dataset=str(config["dataset"].get("name", "")),
        status=status["status"],
        test_accuracy=status["test_accuracy"],
        epochs_done=status["epochs_done"],
        epochs=epochs if isinstance(epochs, int) and not isinstance(epochs, bool) else None,
        created=created,
        problem=_summary(problems),
        problems=tuple(problems),
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
    """A saved run, opened read-only; every file checked (``problems`` says what is wrong).

    Raises ``RunError`` only when the run cannot be used at all (spec.json or
    config.json missing or not JSON objects); wrong values inside are replaced by
    blanks and listed in ``problems``.
    """

    def __init__(self, path: Path):
        self.path = path
        self.id = path.name
        spec = _read_json(path, SPEC_FILE)
        if not isinstance(spec, dict):
            raise RunError(f"Run {self.id}: spec.json does not hold a JSON object.")
        self.spec: dict = spec
        if not (path / CONFIG_FILE).is_file():
            raise RunError(
                f"Run {self.id}: config.json is missing; the run stopped before it was written."
            )
        self.config, self.problems = read_config(path)
        self.status, status_problems = read_status(path)
        self.problems = [*self.problems, *status_problems]
        self.classes: list[str] = list(self.config["classes"])

    @property
    def train_config(self) -> dict:
        return dict(self.config["train"])

    @property
    def dataset(self) -> dict:
        return dict(self.config["dataset"])

    @property
    def normalization(self) -> Any:
        """A ``cnnviz.data.pipeline.Normalization`` rebuilt from config.json."""
        from cnnviz.data.pipeline import Normalization

        n = self.config["normalization"]
        try:
            return Normalization.from_dict({"kind": "none", **n})
        except (TypeError, ValueError) as e:
            raise RunError(
                f"Run {self.id}: the normalization in config.json cannot be read ({e})."
            ) from None

    def _csv(self, name: str, fields: tuple[str, ...], key: str) -> Any:
        import pandas as pd

        path = self.path / name
        try:
            if path.stat().st_size > MAX_CSV_BYTES:
                raise RunError(f"Run {self.id}: {name} is too large to be read.")
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        except (FileNotFoundError, pd.errors.EmptyDataError):
            return pd.DataFrame({f: pd.Series(dtype=float) for f in fields})
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:
            raise RunError(
                f"Run {self.id}: {name} cannot be read ({str(e).splitlines()[0][:200]})."
            ) from None
        clean, problems = check_metrics(df, name, fields, key)
        for problem in problems:
            if problem not in self.problems:
                self.problems.append(problem)
        if key not in df.columns:
            raise RunError(f"Run {self.id}: {problems[0]}; its charts cannot be drawn.")
        return clean

    @property
    def metrics_iter(self) -> Any:
        """Per-iteration metrics, numbers only (text in a cell is a problem, shown as a gap)."""
        return self._csv(ITER_METRICS, ITER_FIELDS, "iteration")

    @property
    def metrics_epoch(self) -> Any:
        """Per-epoch metrics, numbers only (text in a cell is a problem, shown as a gap)."""
        return self._csv(EPOCH_METRICS, EPOCH_FIELDS, "epoch")

    def load_state_dict(self, weights: str = WEIGHTS) -> dict:
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

    def gradient_records(self) -> list[Any]:
        """The gradients file's records (``cnnviz.train.gradients.GradRecord``); [] for a run
        trained before gradients were recorded, or with recording off."""
        path = self.path / grad_file.GRADIENTS_FILE
        try:
            if path.stat().st_size > grad_file.MAX_BYTES:
                raise RunError(
                    f"Run {self.id}: {grad_file.GRADIENTS_FILE} is too large to be read."
                )
        except FileNotFoundError:
            return []
        except OSError as e:
            raise RunError(
                f"Run {self.id}: {grad_file.GRADIENTS_FILE} cannot be read ({e.strerror})."
            ) from None
        return grad_file.read_records(self.path)

    @property
    def has_best(self) -> bool:
        """Whether the run kept its best validation epoch's weights (best.pt)."""
        return (self.path / BEST_WEIGHTS).is_file()

    def load_model(self, weights: str = WEIGHTS) -> Any:
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
    "files_stamp",
    "read_config",
    "read_status",
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
