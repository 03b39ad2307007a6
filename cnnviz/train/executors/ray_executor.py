"""Trainings on a Ray cluster: one actor per training, polled by this server.

::

    executor = RayExecutor(ExecutorSettings(kind="ray", address="auto", num_gpus=0.125))
    job = executor.create(TrainRequest(spec, bundle, config))   # a RayJob: a Job
    job.start()        # a thread here polls the actor ~5 times a second

What runs where:

- on the worker (``ray_worker.TrainingActor``): preparing the data, ``engine.fit``,
  with ``num_cpus`` CPUs and ``num_gpus`` of a GPU (a fraction: several small
  networks share one GPU); nothing is written there.
- here (``RayJob``): the run store (spec, config, metrics, ``weights.pt`` at each
  epoch's end, status), the page's metrics and progress, and the pause / resume /
  stop wishes, sent with every poll (they reach the worker within a second).

The data reach the workers once per dataset through Ray's object store (the
built-in Shapes set is drawn on the worker instead).

A new actor is a new Python process that imports torch, and then draws or receives
its data: seconds before the first mini-batch. So the executor keeps ``standby``
actors (``CNNVIZ_RAY_STANDBY``, default 1) started ahead, with the last training's
built-in data already drawn, and the next training takes one. A standby is made
only while none of this server's trainings waits for a worker and the cluster has
the room, so it never stands in a training's way: the next training takes it. It
holds its CPUs (and GPU share) while it waits, is polled like a training (its
watchdog ends it when the server is gone), and ``close()`` ends it.

Until the cluster has room for the actor, the job is ``Placement.PENDING`` with a
``queue_place``; Ray's
scheduler starts it as soon as a worker is free. A worker that dies ends the job
as failed, "the machine running this training was lost", with the finished
epochs and their weights kept. An unreachable cluster is a ``ClusterUnreachable``
naming the address (a ``ClusterRefused`` saying what to set when it asks for a token
this server did not send: ``ray_connect``), or, with ``CNNVIZ_RAY_FALLBACK=local``, a
training on this server with a note saying so.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from cnnviz.settings.env import idle_stop_reason
from cnnviz.train.config import ConfigError
from cnnviz.train.events import FitEnded
from cnnviz.train.executors.ray_connect import connect as connect_to
from cnnviz.train.executors.settings import (
    ClusterUnreachable,
    ExecutorKind,
    ExecutorSettings,
    FallbackKind,
)
from cnnviz.train.job import Job, Placement
from cnnviz.train.status import Status

if TYPE_CHECKING:
    from cnnviz.data.bundle import DataBundle
    from cnnviz.train.request import TrainRequest

log = logging.getLogger(__name__)

POLL_S = 0.2  # how often the server asks the actor for news (and sends pause / stop)
POLL_TIMEOUT_S = 30.0  # an actor that does not answer a poll for this long is lost
RETRY_AFTER_S = 30.0  # after a failed connection, try the cluster again this much later
DATA_CACHE = 4  # datasets kept in the object store
LOST = "The machine running this training was lost"
LOST_ADVICE = (
    "Start the training again. The finished epochs and their weights are kept on the Runs "
    "page; if it keeps happening, ask your teacher to check the Ray cluster's workers."
)
STANDBY_TICK_S = 2.0  # how often the keeper polls the standby actors and tops them up


@dataclass
class _Standby:
    actor: Any
    ready: Any  # the ObjectRef of actor.ready(recipe): done once the actor is ready
    recipe: dict | None  # the data it drew (or is drawing) ahead


class RayExecutor:
    """Hands trainings to a Ray cluster. Connects at the first training, not at import."""

    kind = ExecutorKind.RAY
    default_max_live = 64  # the cluster's scheduler queues what does not fit

    def __init__(self, settings: ExecutorSettings | None = None) -> None:
        self.settings = settings or ExecutorSettings(kind=ExecutorKind.RAY)
        self._lock = threading.Lock()
        self._connected = False
        self._failed: tuple[float, ClusterUnreachable] | None = None
        self._data: OrderedDict[tuple, Any] = OrderedDict()  # dataset key -> ObjectRef
        self._pending: list[RayJob] = []
        self._standby: list[_Standby] = []
        self._recipe: dict | None = None  # the last built-in data asked for: standbys draw it
        self._closed = False
        self._keeper: threading.Thread | None = None
        # held while a training gets its actor and while a standby is made: a standby is
        # never made between a training's asking and its actor (that would take its place)
        self._spawn_lock = threading.Lock()

    # -- connecting -----------------------------------------------------------------------
    def connect(self) -> None:
        """Join the cluster (or start a local instance); ``ClusterUnreachable`` names the address."""
        with self._lock:
            if self._connected:
                return
            if self._failed and time.monotonic() - self._failed[0] < RETRY_AFTER_S:
                raise self._failed[1]
            try:
                connect_to(self.settings.address)  # local: an instance that lives on
            except ClusterUnreachable as e:
                self._failed = (time.monotonic(), e)
                raise
            self._connected, self._failed = True, None
            if self.settings.standby > 0 and self._keeper is None:
                self._keeper = _start_keeper(self)

    def describe(self) -> str:
        return self.settings.describe()

    # -- making jobs ----------------------------------------------------------------------
    def create(
        self, request: TrainRequest, *, idle_timeout_s: float = 1800.0, job_id: str | None = None
    ) -> Job:
        try:
            self.connect()
        except ClusterUnreachable as e:
            if self.settings.fallback != FallbackKind.LOCAL:
                raise
            log.warning("%s Training on this server instead.", e)
            job = Job(request, idle_timeout_s=idle_timeout_s, job_id=job_id)
            job.note = f"{e.headline}, so this training runs on this server instead."
            return job
        self._check_fits()
        return RayJob(self, request, idle_timeout_s=idle_timeout_s, job_id=job_id)

    def _check_fits(self) -> None:
        """A training that asks for more than the whole cluster has would wait forever."""
        import ray

        total = ray.cluster_resources()
        s = self.settings
        for name, asked, setting in (("CPU", s.num_cpus, "CPUS"), ("GPU", s.num_gpus, "GPUS")):
            have = float(total.get(name, 0.0))
            if asked > have:
                raise ConfigError(
                    f"Each training asks for {asked:g} {name}, but the Ray cluster at "
                    f"{s.address} has {have:g} in all: lower CNNVIZ_RAY_{setting}, or add a "
                    f"worker with {'a GPU' if name == 'GPU' else 'more CPUs'} (ray start --address ...)."
                )

    # -- for RayJob -----------------------------------------------------------------------
    def payload(self, bundle: DataBundle) -> Any:
        """What the actor gets for ``bundle``: a recipe to draw it, or an object-store reference."""
        import ray

        from cnnviz.train.executors.ray_data import data_key, pack, recipe

        made = recipe(bundle)
        if made is not None:
            self._recipe = made
            return made
        key = data_key(bundle)
        with self._lock:
            ref = self._data.get(key)
            if ref is not None:
                self._data.move_to_end(key)
                return ref
        ref = ray.put(pack(bundle))  # once per dataset, outside the lock (it may be big)
        with self._lock:
            ref = self._data.setdefault(key, ref)
            while len(self._data) > DATA_CACHE:
                self._data.popitem(last=False)
        return ref

    def forget_data(self, ref: Any) -> None:
        """Drop a reference whose object was lost with its node."""
        with self._lock:
            for key, held in list(self._data.items()):
                if held is ref:
                    del self._data[key]

    def spawn(self, job_id: str) -> Any:
        """A new actor for one training (named after it), with the resources it asks for."""
        return self._new_actor(f"cnnviz-training-{job_id}")

    def actor_for(self, job_id: str) -> Any:
        """A standby actor when one is alive (the oldest), else a new one."""
        with self._spawn_lock:
            while True:
                with self._lock:
                    if not self._standby:
                        break
                    standby = self._standby.pop(0)
                if not _lost_standby(standby):  # else it died waiting: the next one
                    log.debug("training %s takes a standby actor", job_id)
                    return standby.actor
            return self.spawn(job_id)

    @property
    def standby_count(self) -> int:
        with self._lock:
            return len(self._standby)

    def top_up(self) -> int:
        """Start standby actors up to ``settings.standby`` while nothing waits and the cluster has room.

        Returns how many it started. Called by the keeper thread.
        """
        import ray

        s = self.settings
        made = 0
        while True:
            with self._spawn_lock:
                with self._lock:
                    if self._closed or not self._connected or self._pending:
                        return made
                    if len(self._standby) >= s.standby:
                        return made
                free = ray.available_resources()
                if float(free.get("CPU", 0.0)) < s.num_cpus or (
                    s.num_gpus and float(free.get("GPU", 0.0)) < s.num_gpus
                ):
                    return made
                actor = self._new_actor(f"cnnviz-standby-{uuid.uuid4().hex[:12]}")
                recipe = self._recipe
                standby = _Standby(actor, actor.ready.remote(recipe), recipe)
                with self._lock:
                    if self._closed:
                        _kill(actor)
                        return made
                    self._standby.append(standby)
            made += 1
            # the cluster reserves the actor's CPUs when it is placed, not when it is asked for:
            # wait for that before asking whether there is room for another
            ray.wait([standby.ready], timeout=30)

    def keep(self) -> None:
        """One keeper step: poll the standbys (their watchdog's heartbeat), drop dead ones, top up.

        A ready standby whose data is not the last built-in data asked for draws that.
        """
        with self._lock:
            held = list(self._standby)
        for standby in held:
            if _lost_standby(standby):
                with self._lock:
                    if standby in self._standby:
                        self._standby.remove(standby)
                continue
            recipe = self._recipe
            if recipe is not None and _is_ready(standby) and _key(standby.recipe) != recipe["key"]:
                # the trainings moved on to other built-in data: draw that one instead
                standby.ready, standby.recipe = standby.actor.ready.remote(recipe), recipe
            standby.actor.poll.remote()  # its heartbeat; the answer (nothing) is not needed
        self.top_up()

    def set_standby(self, n: int) -> None:
        """Keep ``n`` standby actors from now on (fewer: the extra ones end at once)."""
        with self._lock:
            self.settings = replace(self.settings, standby=max(int(n), 0))
            extra = self._standby[self.settings.standby :]
            del self._standby[self.settings.standby :]
            start_keeper = self._connected and self.settings.standby and self._keeper is None
        for standby in extra:
            _kill(standby.actor)
        if start_keeper:
            self._keeper = _start_keeper(self)

    def close(self) -> None:
        """End the standby actors and the keeper (the trainings go on)."""
        with self._lock:
            self._closed = True
            held, self._standby = self._standby, []
        for standby in held:
            _kill(standby.actor)

    def _new_actor(self, name: str) -> Any:
        import ray

        from cnnviz.train.executors.ray_worker import TrainingActor

        s = self.settings
        remote = ray.remote(TrainingActor).options(
            name=name,
            num_cpus=s.num_cpus,
            num_gpus=s.num_gpus,
            max_concurrency=4,  # poll, pause, stop and snapshot are served while fit runs
            max_restarts=0,
        )
        return remote.remote(idle_s=s.idle_s, threads=max(int(s.num_cpus), 1))

    def waiting(self, job: RayJob, waits: bool) -> None:
        with self._lock:
            if waits and job not in self._pending:
                self._pending.append(job)
            elif not waits and job in self._pending:
                self._pending.remove(job)

    def place(self, job: RayJob) -> int | None:
        with self._lock:
            return self._pending.index(job) + 1 if job in self._pending else None


class RayJob(Job):
    """A ``Job`` whose training runs in a Ray actor; this thread polls it and writes the run."""

    def __init__(self, executor: RayExecutor, request: TrainRequest, **kw: Any):
        self._shipped_model = request.model  # a network given as an object travels as one
        super().__init__(request, **kw)
        self._executor = executor
        self._actor: Any = None
        self._placement = Placement.PENDING
        self._weights_lock = threading.Lock()
        self.host: dict | None = None  # {"node": ip, "pid": ..., "gpus": [...]} once started

    # -- what the page sees ---------------------------------------------------------------
    @property
    def actor(self) -> Any:
        return self._actor

    @property
    def placement(self) -> Placement:
        return Placement.ENDED if self.done else self._placement

    @property
    def queue_place(self) -> int | None:
        return self._executor.place(self) if self.placement == Placement.PENDING else None

    @property
    def where(self) -> str:
        if self.host:
            return f"Ray worker {self.host.get('node')}"
        return f"the Ray cluster at {self._executor.settings.address}"

    def snapshot_model(self, timeout_s: float = 5.0) -> Any:
        """The current weights, from the actor between mini-batches; else the last epoch's."""
        import ray

        from cnnviz.design.build import build_model
        from cnnviz.train.executors.ray_worker import load_state_bytes

        state = None
        if self._actor is not None and self.placement == Placement.RUNNING:
            try:
                data = ray.get(self._actor.snapshot.remote(timeout_s), timeout=timeout_s + 5)
                state = load_state_bytes(data) if data else None
            except Exception as e:  # the actor ended or is gone: the last epoch's weights
                log.info("snapshot from the actor failed (%s); using the last epoch's", e)
        if state is None:
            with self._weights_lock:
                state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        clone = build_model(self.spec)
        clone.load_state_dict(state)
        return clone.eval()

    # -- the poller (this job's thread) ---------------------------------------------------
    def _work(self) -> None:
        import ray

        payload = None
        try:
            self._executor.waiting(self, True)
            payload = self._executor.payload(self._bundle)
            self._bundle = None  # the store has the data now
            self._actor = self._executor.actor_for(self.id)
            started = self._actor.start.remote(
                payload, self.spec, self.config.to_dict(), self._shipped_model
            )
            if self._wait_for_worker(started):
                self.host = ray.get(started)
                self._placement = Placement.RUNNING
                self._executor.waiting(self, False)
                self._drive()
        except ray.exceptions.RayTaskError as e:  # an error inside the actor's code
            self._finish(FitEnded(Status.FAILED, _task_reason(e)))
        except (ray.exceptions.RayError, TimeoutError) as e:  # the actor or its node is gone
            if isinstance(e, ray.exceptions.ObjectLostError):
                self._executor.forget_data(payload)
            self._lost(e)
        except BaseException as e:
            self._finish(FitEnded(Status.FAILED, f"{type(e).__name__}: {e}"))
        finally:
            self._executor.waiting(self, False)
            if self.final is None:
                self._finish(FitEnded(Status.FAILED, "The training ended without a final event."))
            self._bundle = None
            if self._actor is not None:
                _kill(self._actor)

    def _wait_for_worker(self, started: Any) -> bool:
        """Wait (pending) until the cluster has room; False if stopped while waiting."""
        import ray

        while True:
            ready, _ = ray.wait([started], timeout=0.25)
            if ready:
                return True
            self._check_idle()
            if self.control.stop_requested:
                reason = self.control.stop_reason or "Stopped before a worker was free."
                self._finish(FitEnded(Status.STOPPED, reason))
                return False

    def _drive(self) -> None:
        import ray

        unavailable_since: float | None = None
        while self.final is None:
            stop = self.control.stop_reason if self.control.stop_requested else None
            if stop is None and self.control.stop_requested:
                stop = "Stopped by the user before the last epoch finished."
            try:
                items = ray.get(
                    self._actor.poll.remote(self.control.paused, stop), timeout=POLL_TIMEOUT_S
                )
            except ray.exceptions.ActorUnavailableError:  # restarting or a network blip
                unavailable_since = unavailable_since or time.monotonic()
                if time.monotonic() - unavailable_since > POLL_TIMEOUT_S:
                    raise
                time.sleep(POLL_S)
                continue
            except ray.exceptions.GetTimeoutError:
                raise TimeoutError(f"no answer for {POLL_TIMEOUT_S:.0f} s") from None
            unavailable_since = None
            for item in items:
                self._handle(item)
            self._check_idle()
            if self.final is None:
                time.sleep(POLL_S)

    def _handle(self, item: tuple) -> None:
        from cnnviz.train.executors.ray_worker import load_state_bytes

        if item[0] == "begin":
            _, config, facts = item
            self.writer.begin(config, _prepared_facts(facts))
            return
        _, ev, weights = item
        if weights is not None:
            with self._weights_lock:
                self.model.load_state_dict(load_state_bytes(weights))
        if isinstance(ev, FitEnded):
            self._finish(ev, with_weights=weights is not None)
            return
        self.writer.record(ev, self.model if weights is not None else None)
        self._record(ev)

    def _finish(self, end: FitEnded, *, with_weights: bool = False) -> None:
        """Write the final status (weights too when they came) and record the final event."""
        try:
            self.writer.record(end, self.model if with_weights else None)
        except Exception as e:  # the disk is full or gone: still report how training ended
            end = FitEnded(
                end.status,
                f"{end.reason or ''} (the run folder could not be written: {e})".strip(),
                end.advice,
                end.test_loss,
                end.test_accuracy,
                end.elapsed_s,
            )
        self._record(end)

    def _lost(self, e: BaseException) -> None:
        done = len(self.epoch_metrics())
        kept = f"; {done} finished epoch{'s' if done != 1 else ''} kept" if done else ""
        last = self._last_batch.elapsed_s if self._last_batch else 0.0
        log.warning("training %s lost its actor: %s", self.id, e)
        self._finish(
            FitEnded(Status.FAILED, f"{LOST} ({_short(e)}){kept}.", LOST_ADVICE, elapsed_s=last)
        )

    def _check_idle(self) -> None:
        if time.time() - self.last_seen > self.idle_timeout_s and not self.control.stop_requested:
            self.control.stop(idle_stop_reason(self.idle_timeout_s))


class _Norm(dict):
    def to_dict(self) -> dict:
        return dict(self)


def _prepared_facts(facts: dict) -> Any:
    """What ``RunWriter.begin`` reads from a Prepared, rebuilt from the worker's facts."""
    norm = facts.get("normalization")
    return SimpleNamespace(
        dataset=facts["dataset"],
        classes=facts["classes"],
        input_shape=tuple(facts["input_shape"]),
        train_size=facts["train_size"],
        val_size=facts["val_size"],
        test_size=facts["test_size"],
        normalization=_Norm(norm) if isinstance(norm, dict) else SimpleNamespace(kind="none"),
    )


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(e).__name__}: {first[:160]}" if first else type(e).__name__


def _task_reason(e: Any) -> str:
    cause = getattr(e, "cause", None)
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__}: {cause}"
    return _short(e)


def _is_ready(standby: _Standby) -> bool:
    import ray

    done, _ = ray.wait([standby.ready], timeout=0)
    return bool(done)


def _lost_standby(standby: _Standby) -> bool:
    """True (and the actor killed) when the standby's ``ready`` call failed: it is gone."""
    import ray

    if not _is_ready(standby):
        return False  # still starting
    try:
        ray.get(standby.ready, timeout=0)
    except Exception as e:
        log.info("a standby actor was lost (%s)", _short(e))
        _kill(standby.actor)
        return True
    return False


def _key(recipe: dict | None) -> Any:
    return recipe["key"] if recipe is not None else None


def _kill(actor: Any) -> None:
    try:
        import ray

        ray.kill(actor, no_restart=True)
    except Exception as e:  # already gone, or ray is shutting down
        log.debug("ray.kill: %s", e)


def _start_keeper(executor: RayExecutor) -> threading.Thread:
    """A daemon thread that keeps ``executor``'s standbys; it ends with the executor."""
    ref = weakref.ref(executor)

    def loop() -> None:
        time.sleep(STANDBY_TICK_S)  # the training that connected asks for its actor first
        while True:
            ex = ref()
            if ex is None or ex._closed:
                return
            try:
                ex.keep()
            except Exception as e:  # the cluster is gone for now: try again next tick
                log.info("keeping the standby actors failed: %s", _short(e))
            del ex
            time.sleep(STANDBY_TICK_S)

    def close_at_exit() -> None:
        ex = ref()
        if ex is not None:
            ex.close()

    atexit.register(close_at_exit)
    t = threading.Thread(target=loop, name="cnnviz-ray-standby", daemon=True)
    t.start()
    return t


__all__ = ["LOST", "RayExecutor", "RayJob"]
