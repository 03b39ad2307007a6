"""The process-wide registry of jobs: at most ``max_live`` at once, found again by id.

::

    registry = server_registry()                  # the one per server process
    job = registry.start(request)                 # a TrainRequest; Busy, SpecError, ConfigError
    job = registry.get(job_id)                    # later reruns / after a refresh; marks it watched

At most ``max_live`` jobs (env ``CNNVIZ_MAX_JOBS``, default 2; 64 on a Ray cluster) run or
pause at once; a job nobody watched for ``idle_timeout_s`` (env ``CNNVIZ_JOB_IDLE_S``, default
30 min) stops itself. The registry's executor (``cnnviz.train.executors``) decides where a
job runs (``cnnviz.train.job``).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from cnnviz.settings.env import idle_stop_reason, integer, job_idle_s, max_jobs
from cnnviz.train.executors.settings import ExecutorKind
from cnnviz.train.job import Busy, Job
from cnnviz.train.memory import OverBudget, memory_problem
from cnnviz.train.request import TrainRequest


class JobRegistry:
    """All jobs of this server process. Thread-safe; pages share ``server_registry()``."""

    def __init__(
        self,
        max_live: int | None = None,
        idle_timeout_s: float | None = None,
        *,
        executor: Any = None,
    ) -> None:
        from cnnviz.train.executors import executor_from_env

        # where trainings run (cnnviz.train.executors): a thread here, or a Ray cluster
        self.executor = executor if executor is not None else executor_from_env()
        self.max_live = (
            max_live if max_live is not None else max_jobs(self.executor.default_max_live)
        )
        self.idle_timeout_s = idle_timeout_s if idle_timeout_s is not None else job_idle_s()
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.torch_threads: int | None = None  # set on torch once it is loaded (apply_threads)

    def apply_threads(self) -> None:
        """Give torch this server's thread count, once: called when a training starts and by
        the warm-up after it imports torch, so making the registry imports no torch."""
        n, self.torch_threads = self.torch_threads, None
        if n:
            import torch

            torch.set_num_threads(n)

    def start(
        self,
        request: TrainRequest,
        *,
        job_id: str | None = None,
        on_event: Callable[[Any], None] | None = None,
    ) -> Job:
        """Make and start the job (pages and the CLI come through ``cnnviz.classroom.submit``).

        ``on_event`` is called in the worker with every event, from the first on.
        """
        self.apply_threads()
        config = request.config
        too_big = memory_problem(request.spec, config.batch_size, str(config.optimizer))
        if too_big:  # before any memory is taken: one design must not take the server down
            raise OverBudget(too_big)
        with self._lock:
            self._reap_locked()
            live = [j for j in self._jobs.values() if not j.done]
            if len(live) >= self.max_live:
                n = len(live)
                raise Busy(
                    f"{n} training{'s are' if n != 1 else ' is'} already running on this server "
                    f"(the limit is {self.max_live}); wait for one to finish or stop one."
                )
            job = self.executor.create(
                request, idle_timeout_s=self.idle_timeout_s, job_id=job_id
            )  # ClusterUnreachable when the Ray cluster is down and no fallback is allowed
            job.on_event = on_event
            self._jobs[job.id] = job
        return job.start()

    def get(self, job_id: str | None, *, touch: bool = True) -> Job | None:
        with self._lock:
            self._reap_locked()
            job = self._jobs.get(job_id or "")
        if job is not None and touch:
            job.touch()
        return job

    def live(self) -> list[Job]:
        with self._lock:
            self._reap_locked()
            return [j for j in self._jobs.values() if not j.done]

    def reap(self, now: float | None = None) -> list[Job]:
        """Stop jobs nobody watched for idle_timeout_s; forget finished ones after that long."""
        with self._lock:
            return self._reap_locked(now)

    def _reap_locked(self, now: float | None = None) -> list[Job]:
        now = time.time() if now is None else now
        stopped = []
        for job_id, job in list(self._jobs.items()):
            idle = now - job.last_seen
            if not job.done and idle > self.idle_timeout_s and not job.control.stop_requested:
                job.stop(idle_stop_reason(self.idle_timeout_s))
                stopped.append(job)
            elif job.done and idle > 2 * self.idle_timeout_s:
                del self._jobs[job_id]  # its run stays on disk
        return stopped

    def stop_all(self, wait_s: float = 5.0) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stop("Stopped because the server is shutting down.")
        for job in jobs:
            job.wait(wait_s)


_SERVER_LOCK = threading.Lock()
_SERVER: JobRegistry | None = None


def server_registry(*, classroom: bool = False) -> JobRegistry:
    """The process-wide registry every session shares (cap from CNNVIZ_MAX_JOBS).

    ``classroom``: this server runs for a class (its trainings run below the pages,
    ``training_nice``); the first call makes the registry, so it is the one that counts.

    A plain module-level singleton, deliberately outside Streamlit's caches: any
    client can send ``clear_cache`` over the websocket, and that must not stop or
    forget other people's jobs. It lives as long as the server process.
    """
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None:
            _SERVER = JobRegistry()
            if _SERVER.executor.kind == ExecutorKind.THREAD:  # trainings share these cores
                _SERVER.torch_threads = training_threads(_cores(), _SERVER.max_live)
                _SERVER.executor.nice = training_nice(classroom=classroom)
    if "torch" in sys.modules:  # else once torch is loaded for work: the first page needs none
        _SERVER.apply_threads()
    return _SERVER


def training_threads(cores: int, max_live: int, env: str | None = None) -> int:
    """Torch threads for the trainings of a server whose jobs run in its own process.

    One core stays with the pages (and, on a laptop, the browser watching them); the
    rest are split among the trainings that may run at once. On 2 cores that is one
    thread: measured with ``bench/browser.py``, two threads trained faster with nobody
    watching (23 against 15 iterations/s) but no faster with a tab on the live charts
    (14 against 15), and three watching tabs halved it (5 against 9.5). ``env``
    (``CNNVIZ_TRAIN_THREADS``) overrides.
    """
    given = None if env is None else {"CNNVIZ_TRAIN_THREADS": env}
    threads = integer("CNNVIZ_TRAIN_THREADS", 0, low=1, high=4096, bad="default", env=given)
    return threads or max(1, (max(cores, 1) - 1) // max(max_live, 1))


def training_nice(env: str | None = None, *, classroom: bool) -> int:
    """How far below the pages the trainings in this process run (their threads' niceness).

    On a class server the pages come first: twenty students editing while two trainings
    fill both cores must still see their shapes within a second, and a page needs the
    CPU only in short bursts, so the trainings lose little. Ray's workers run lowered
    the same way (nice 15). Outside class mode the trainings run as the server does.
    ``env`` (``CNNVIZ_TRAIN_NICE``, 0-19) overrides.
    """
    given = None if env is None else {"CNNVIZ_TRAIN_NICE": env}
    default = CLASS_TRAIN_NICE if classroom else 0
    return integer("CNNVIZ_TRAIN_NICE", default, low=0, high=19, bad="clamp", env=given)


CLASS_TRAIN_NICE = 10


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may use (containers, taskset)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


__all__ = ["JobRegistry", "server_registry", "training_nice", "training_threads"]
