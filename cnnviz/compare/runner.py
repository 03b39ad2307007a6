"""Running an experiment: every arm × seed as a normal training job, one after the other.

``ExperimentRun`` starts one job at a time through ``start_job`` (given by the
submission gate, ``cnnviz.classroom.submit``: on a class server the queue's
``start_arm``, which keeps the experiment's one place and writes each run's
owner), waits for it to end, then starts the next. When the server is at its
job cap (``Busy``) it waits and tries again, so an experiment never holds more
than one slot. While waiting it touches the job, as a watching page would. Every run is
saved as a normal run; at the end a small manifest (``.experiments/<id>.json``
under the runs root) records the arms, their runs and the reading, so the Runs
page can name the runs by their arm.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnviz.compare.experiments import Arm, ArmResult, ExperimentKind, make_arms, reading
from cnnviz.compare.residual import first_layer_gradients
from cnnviz.train.job import Busy
from cnnviz.train.request import TrainRequest
from cnnviz.train.status import Status
from cnnviz.train.store import runs_root

if TYPE_CHECKING:
    from cnnviz.data.bundle import DataBundle
    from cnnviz.train.job import Job

MANIFESTS = ".experiments"


@dataclass(frozen=True)
class RunResult:
    arm: str
    seed: int
    run_id: str
    run_dir: str
    status: Status
    test_accuracy: float | None
    epochs: tuple[dict, ...] = ()


StartJob = Callable[[TrainRequest], Any]  # one arm's request -> its started Job


def new_experiment_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


class ExperimentRun:
    """One experiment in a background thread (``start()``), or in the caller's (``run()``).

    ``request``: the starting point (spec, data, config, owner, runs folder) the arms change.
    """

    def __init__(
        self,
        kind: ExperimentKind | str,
        request: TrainRequest,
        start_job: StartJob,
        *,
        repeats: int = 1,
        poll_s: float = 0.5,
        on_run: Callable[[RunResult], None] | None = None,
        parent: str | None = None,
        exp_id: str | None = None,
    ) -> None:
        self.id = exp_id or new_experiment_id()
        self.kind = ExperimentKind(kind)
        self.request = request
        self.config = request.config.validated()
        self.spec = request.spec  # the starting point the arms change
        self.arms: list[Arm] = make_arms(self.kind, self.spec, self.config)  # ExperimentError here
        self.seeds = [self.config.seed + i for i in range(max(int(repeats), 1))]
        self.root = request.runs_root
        self.parent = parent  # the run it was started from, if any
        self._bundle, self._start_job, self._poll, self._on_run = (
            request.data, start_job, poll_s, on_run
        )  # fmt: skip
        self.results: list[RunResult] = []
        self._arm_results: list[ArmResult] = []  # at the end, what the reading read
        self.reading: str | None = None
        self.variant: dict | None = None
        self.error: str | None = None
        self.current: Job | None = None  # the job now training
        self.waiting = False  # the server is at its job cap
        self._job_ids: list[str] = []
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self.run, name=f"cnnviz-exp-{self.id}", daemon=True)

    @property
    def bundle(self) -> DataBundle:
        """The data every arm trains on."""
        return self._bundle

    @property
    def total(self) -> int:
        """Trainings it runs: every arm once per seed."""
        return len(self.arms) * len(self.seeds)

    @property
    def total_epochs(self) -> int:
        """Epochs in all, over every arm and seed."""
        return sum(int(a.config.epochs) for a in self.arms) * len(self.seeds)

    def arm_requests(self) -> list[TrainRequest]:
        """Every training it will submit, in order (arm by arm, each seed)."""
        return [self._arm_request(arm, seed) for arm in self.arms for seed in self.seeds]

    def _arm_request(self, arm: Arm, seed: int) -> TrainRequest:
        return self.request.with_(
            spec=arm.spec,
            config=arm.config.with_(seed=seed),
            label=f"{self.kind}-{arm.slug or arm.label}-seed-{seed}",  # each run its own name
        )

    @property
    def setting(self) -> str:
        """What the arms share, in words ('Adam, lr 0.001'): tells two experiments apart."""
        from cnnviz.compare.diff import word

        opt = word("optimizer", self.config.optimizer)
        lr = "" if self.kind == ExperimentKind.LEARNING_RATE else f", lr {self.config.lr:g}"
        return opt + lr

    @property
    def job_ids(self) -> list[str]:
        """Ids of the jobs it started so far."""
        return list(self._job_ids)

    @property
    def outcome(self) -> str:
        """How it ended, in words (empty while it runs)."""
        if not self.done:
            return ""
        if self.error:
            return f"failed: {self.error}"
        if self._cancel.is_set():
            return f"stopped after {len(self.results)} of {self.total} trainings"
        return f"finished: {self.total} trainings"

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def run_ids(self) -> list[str]:
        return [r.run_id for r in self.results]

    def start(self) -> ExperimentRun:
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._cancel.set()
        if self._thread.ident is None:  # never started (taken out of a queue): it is over
            self._done.set()
        job = self.current
        if job is not None:
            job.stop("Stopped with the experiment.")

    def wait(self, timeout_s: float | None = None) -> bool:
        return self._done.wait(timeout_s)

    def run(self) -> None:
        try:
            for arm in self.arms:
                for seed in self.seeds:
                    if self._cancel.is_set():
                        return
                    self._one(arm, seed)
            self._arm_results = self.arm_results()
            self.reading, self.variant = reading(self.kind, self._arm_results, self.config)
            self._save()
        except Exception as e:  # the page shows it; the thread never dies silently
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.current = None
            self._done.set()

    def _one(self, arm: Arm, seed: int) -> None:
        request = self._arm_request(arm, seed)
        while True:
            try:
                job = self._start_job(request)
                self._job_ids.append(job.id)
                break
            except Busy:
                self.waiting = True
                if self._cancel.wait(self._poll * 4):
                    return
        self.waiting = False
        self.current = job
        while not job.wait(self._poll):
            job.touch()
            if self._cancel.is_set():
                job.stop("Stopped with the experiment.")
        final = job.final
        result = RunResult(
            arm.label,
            seed,
            str(job.run_id),
            str(job.run_dir),
            Status(final.status) if final is not None else Status.FAILED,
            getattr(final, "test_accuracy", None),
            tuple(job.epoch_metrics()),
        )
        self.results.append(result)
        if self._on_run is not None:
            self._on_run(result)

    def arm_results(self) -> list[ArmResult]:
        out = []
        for arm in self.arms:
            runs = [r for r in self.results if r.arm == arm.label]
            accs = tuple(
                r.test_accuracy
                for r in runs
                if r.status == Status.FINISHED and r.test_accuracy is not None
            )
            loss: tuple[float, ...] = ()
            val: tuple[float, ...] = ()
            if arm.mark_epoch is not None:
                loss, val = _at_mark(runs, arm.mark_epoch)
            extra = {}
            if self.kind == ExperimentKind.RESIDUAL:  # the first layers' gradient sizes
                extra["gradients"] = first_layer_gradients(
                    r.run_dir for r in runs if r.status == Status.FINISHED
                )
            out.append(
                ArmResult(
                    arm.label,
                    accs,
                    sum(r.status == Status.FAILED for r in runs),
                    train_loss=loss,
                    val_accuracy=val,
                    extra=extra,
                )
            )
        return out

    def manifest(self) -> dict:
        return {
            "id": self.id,
            "kind": str(self.kind),
            "parent": self.parent,
            "setting": self.setting,
            "seeds": self.seeds,
            "arms": [
                {
                    "label": a.label,
                    "mark_epoch": a.mark_epoch,
                    "runs": [r.run_id for r in self.results if r.arm == a.label],
                }
                for a in self.arms
            ],
            "runs": [
                {
                    "run_dir": r.run_dir,
                    "label": r.arm,
                    "seed": r.seed,
                    "test_accuracy": r.test_accuracy,
                }
                for r in self.results
            ],
            "reading": self.reading,
            "variant": self.variant,
            "gradients": {
                r.label: r.extra["gradients"] for r in self._arm_results if r.extra.get("gradients")
            },  # fmt: skip
        }

    def _save(self) -> None:
        folder = runs_root(self.root) / MANIFESTS
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{self.id}.json.tmp"
        tmp.write_text(json.dumps(self.manifest(), indent=2))
        os.replace(tmp, folder / f"{self.id}.json")


def _at_mark(runs: list[RunResult], mark: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean training loss and validation accuracy at the mark and at the end, over the seeds."""
    pairs_l, pairs_v = [], []
    for r in runs:
        ep = {int(e["epoch"]): e for e in r.epochs}
        if mark in ep and ep:
            last = ep[max(ep)]
            if max(ep) > mark:
                pairs_l.append((ep[mark]["train_loss"], last["train_loss"]))
                pairs_v.append(
                    (ep[mark].get("val_accuracy") or 0.0, last.get("val_accuracy") or 0.0)
                )
    if not pairs_l:
        return (), ()
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    return (
        (mean([a for a, _ in pairs_l]), mean([b for _, b in pairs_l])),
        (mean([a for a, _ in pairs_v]), mean([b for _, b in pairs_v])),
    )


def manifests(root: str | os.PathLike | None = None) -> list[dict]:
    """Every saved experiment's manifest, newest first (unreadable ones are skipped)."""
    folder = runs_root(root) / MANIFESTS
    out = []
    for p in sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []:
        try:
            data = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            out.append(data)
    return out


def experiment_of(run_ids: list[str], root: str | os.PathLike | None = None) -> dict | None:
    """The experiment whose runs are exactly these (in any order), if there is one."""
    want = set(run_ids)
    for m in manifests(root):
        if {Path(r["run_dir"]).name for r in m.get("runs", [])} == want:
            return m
    return None


__all__ = ["ExperimentRun", "RunResult", "experiment_of", "manifests", "new_experiment_id"]
