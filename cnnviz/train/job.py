"""One training in a background thread: ``Job`` drives ``engine.fit`` and records its events.

A ``Job`` builds the network, opens a run folder, and drives ``engine.fit`` in a
daemon thread, recording events into lists that a page reads under a lock::

    job.progress()                                # Progress(epoch, iteration, images/s, ETA, ...)
    job.iter_metrics(), job.epoch_metrics()       # lists of dicts, copies (charts)
    job.gradient_sizes()                          # each layer's gradient size per moment
    job.status, job.final                         # Status; the FitEnded once it is over
    job.pause(); job.resume(); job.stop()         # take effect before the next mini-batch
    job.snapshot_model()                          # CPU copy of the current weights (Inspect)

Per-iteration metrics are downsampled to at most ``max_points`` (default 2,000):
when full, neighbouring points are averaged in pairs and each point then stands
for twice as many iterations (``job.points_per_iteration`` says how many).
A job nobody has looked at (``touch``) for ``idle_timeout_s`` stops itself. An executor
(``cnnviz.train.executors``) makes jobs: this thread-based ``Job``, or a ``RayJob`` polling
an actor; ``job.placement`` and ``job.queue_place`` tell whether it still waits for a worker.
The worker never imports streamlit and leaves ``torch.set_num_threads`` to the process.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cnnviz.settings.env import idle_stop_reason
from cnnviz.train.control import Control
from cnnviz.train.eta import Eta
from cnnviz.train.events import (
    BatchEnded,
    EpochEnded,
    Event,
    FitEnded,
    FitStarted,
    GradientsRecorded,
)
from cnnviz.train.ids import new_job_id
from cnnviz.train.request import TrainRequest
from cnnviz.train.status import Status
from cnnviz.train.store import RunWriter

if TYPE_CHECKING:
    from torch import nn


class Busy(RuntimeError):
    """Too many trainings are running on this server."""


def lower_priority(by: int) -> bool:
    """Raise the calling thread's niceness by ``by`` (Linux schedules threads one by one),
    so the pages' threads are served first when they need the CPU and the training takes
    the rest. False where the system does not allow it (the training runs as it is)."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + by, 19))
    except (AttributeError, OSError):
        return False
    return True


class Placement(StrEnum):
    """Where a job is, as far as its executor is concerned (a queue can show it)."""

    PENDING = "pending"  # waiting for a worker (a Ray cluster with no free resources)
    RUNNING = "running"  # a worker has it (the thread here, or an actor on the cluster)
    ENDED = "ended"


@dataclass(frozen=True)
class Progress:
    epoch: int  # current epoch, 1-based (0 before the first)
    epochs: int
    iteration: int  # iterations done
    total_iterations: int
    iterations_per_epoch: int
    images_per_s: float  # recent training speed (0 while estimating)
    elapsed_s: float
    eta_s: float | None  # None while estimating (warm-up, too few iterations yet)

    @property
    def fraction(self) -> float:
        return min(self.iteration / self.total_iterations, 1.0) if self.total_iterations else 0.0


class _Downsampled:
    """Per-iteration points, at most ``max_points``: pairs are averaged when full."""

    KEYS = ("loss", "accuracy")

    def __init__(self, max_points: int) -> None:
        self.max_points = max(int(max_points), 2)
        self.points: list[dict] = []
        self.per_point = 1
        self._bucket: list[BatchEnded] = []

    def add(self, ev: BatchEnded) -> None:
        self._bucket.append(ev)
        if len(self._bucket) < self.per_point:
            return
        n = len(self._bucket)
        last = self._bucket[-1]
        point = {"iteration": last.iteration, "epoch": last.epoch}
        for k in self.KEYS:
            point[k] = sum(getattr(e, k) for e in self._bucket) / n
        self.points.append(point)
        self._bucket = []
        if len(self.points) >= self.max_points:
            merged = []
            for a, b in zip(self.points[::2], self.points[1::2], strict=False):
                merged.append({**b, **{k: (a[k] + b[k]) / 2 for k in self.KEYS}})
            if len(self.points) % 2:
                merged.append(self.points[-1])
            self.points = merged
            self.per_point *= 2


class Job:
    """One training: a thread driving ``fit``, and what it has reported so far."""

    def __init__(
        self,
        request: TrainRequest,
        *,
        idle_timeout_s: float = 1800.0,
        max_points: int = 2000,
        job_id: str | None = None,
        nice: int = 0,
    ) -> None:
        self.id = job_id or new_job_id()  # a queue names its jobs before they start
        self.request = request.with_(data=None, model=None)  # what was asked, without the data
        self.owner = request.owner  # the person's id on a class server, else None
        self.spec = copy.deepcopy(request.spec)
        self.config = request.config.validated()
        bundle = request.data
        self.dataset = request.dataset
        self.classes = [str(c) for c in getattr(bundle, "classes", ())]
        from cnnviz.train.engine import build_seeded  # torch: not for the pages that import Job

        self.model: nn.Module = (
            request.model
            if request.model is not None
            else build_seeded(self.spec, self.config.seed)
        )  # SpecError here
        self.control = Control()
        self.idle_timeout_s = idle_timeout_s
        self.created = self.last_seen = time.time()
        self._bundle = bundle
        self._lock = threading.Lock()
        self._iter = _Downsampled(max_points)
        self._epochs: list[dict] = []
        self._grads: list[list[dict]] = []  # per moment recorded, each layer's sizes
        self._last_batch: BatchEnded | None = None
        self._eta = Eta()  # speed and time left from recent iterations (cnnviz.eta)
        self.started: FitStarted | None = None
        self.final: FitEnded | None = None
        self.writer = RunWriter(
            self.spec, label=request.label, root=request.runs_root, challenge=request.challenge
        )
        self.run_dir = self.writer.path
        self.run_id = self.writer.id
        self.note: str | None = None  # what the user should know about where it runs
        self.on_event: Callable[[Event], None] | None = None  # called in the worker, per event
        self.nice = max(int(nice), 0)  # the worker thread's niceness above the server's
        self._thread = threading.Thread(
            target=self._work, name=f"cnnviz-job-{self.id}", daemon=True
        )

    # -- the worker -------------------------------------------------------------------
    def start(self) -> Job:
        self._thread.start()
        return self

    def _work(self) -> None:
        if self.nice:
            lower_priority(self.nice)
        try:
            from cnnviz.train.engine import fit

            for ev in fit(
                self.model, self._bundle, self.config, control=self.control, writer=self.writer
            ):
                self._record(ev)
        except BaseException as e:  # fit ends every path itself; this is the last line of defence
            self._record(FitEnded(Status.FAILED, f"{type(e).__name__}: {e}"))
        finally:
            if self.final is None:
                self._record(
                    FitEnded(Status.FAILED, "The training thread ended without a final event.")
                )
            self._bundle = None  # let the data go

    def _record(self, ev: Event) -> None:
        with self._lock:
            if isinstance(ev, BatchEnded):
                self._iter.add(ev)
                self._last_batch = ev
                self._eta.batch(ev.iteration, ev.elapsed_s, self.config.batch_size)
            elif isinstance(ev, EpochEnded):
                self._eta.epoch_end(ev.elapsed_s)
                self._epochs.append({k: v for k, v in ev.to_dict().items() if k != "event"})
            elif isinstance(ev, GradientsRecorded):
                self._grads.append(ev.sizes())
            elif isinstance(ev, FitStarted):
                self.started = ev
            elif isinstance(ev, FitEnded):
                self.final = ev
        if self.on_event is not None:
            self.on_event(ev)
        if time.time() - self.last_seen > self.idle_timeout_s and not self.control.stop_requested:
            self.control.stop(idle_stop_reason(self.idle_timeout_s))

    # -- the page's side ---------------------------------------------------------------
    def touch(self) -> None:
        """Mark the job as watched (the page calls this on every poll)."""
        self.last_seen = time.time()

    def pause(self) -> None:
        if self.final is None:
            self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self, reason: str | None = None) -> None:
        self.control.stop(reason or "Stopped by the user before the last epoch finished.")

    @property
    def status(self) -> Status:
        if self.final is not None:
            return Status(str(self.final.status))
        return Status.PAUSED if self.control.paused else Status.RUNNING

    @property
    def done(self) -> bool:
        return self.final is not None

    @property
    def placement(self) -> Placement:
        """Pending (waiting for a worker), running, or ended; a thread job never waits."""
        return Placement.ENDED if self.done else Placement.RUNNING

    @property
    def queue_place(self) -> int | None:
        """1-based place among the jobs waiting for a worker; None when not waiting."""
        return None

    @property
    def where(self) -> str:
        return "this server"

    @property
    def points_per_iteration(self) -> int:
        return self._iter.per_point

    def iter_metrics(self) -> list[dict]:
        """[{iteration, epoch, loss, accuracy}], at most max_points (downsampled)."""
        with self._lock:
            return list(self._iter.points)

    def epoch_metrics(self) -> list[dict]:
        """[{epoch, train_loss, train_accuracy, val_loss, val_accuracy, elapsed_s}]."""
        with self._lock:
            return list(self._epochs)

    def gradient_sizes(self) -> list[list[dict]]:
        """Per moment recorded so far, each layer's {iteration, epoch, layer, kind,
        grad_mean_abs, grad_norm, weight_norm} (``GradientsRecorded.sizes``), oldest first."""
        with self._lock:
            return list(self._grads)

    def progress(self) -> Progress:
        with self._lock:
            s, b = self.started, self._last_batch
            if s is None:
                return Progress(0, self.config.epochs, 0, 0, 0, 0.0, 0.0, None)
            it = b.iteration if b else 0
            elapsed = b.elapsed_s if b else 0.0
            # from recent iterations, warm-up left out; None ("estimating") until there are enough
            eta = self._eta.seconds_left(s.total_iterations - it, s.epochs - len(self._epochs))
            rate = self._eta.images_per_s() or 0.0
        if self.final is not None:
            eta, elapsed = 0.0, self.final.elapsed_s
        return Progress(
            b.epoch if b else 1,
            s.epochs,
            it,
            s.total_iterations,
            s.iterations_per_epoch,
            rate,
            elapsed,
            eta,
        )

    def snapshot_model(self, timeout_s: float = 5.0) -> nn.Module:
        """A CPU copy of the network with the current weights, in eval mode (taken between batches)."""
        box: dict[str, Any] = {}
        ready = threading.Event()

        def copy_weights() -> None:
            box["state"] = {
                k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()
            }
            ready.set()

        if self._thread.is_alive() and not self.done:
            self.control.between_batches(copy_weights)
            ready.wait(timeout_s)
        if not ready.is_set():  # finished, or busy validating: the weights are not changing
            copy_weights()
        from cnnviz.design.build import build_model

        clone = build_model(self.spec)
        clone.load_state_dict(box["state"])
        return clone.eval()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the worker has ended (tests, CLI). True if it did."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while self._thread.ident is None and not self.done:  # registered, thread not yet started
            if deadline is not None and time.monotonic() >= deadline:
                return self.done
            time.sleep(0.01)
        self._thread.join(None if deadline is None else max(deadline - time.monotonic(), 0.0))
        return not self._thread.is_alive()
