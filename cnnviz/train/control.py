"""Pause, resume and stop between mini-batches: what ``fit`` asks before every iteration."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Control:
    """Pause / resume / stop, shared between the page and the worker. Thread-safe.

    ``checkpoint()`` is what ``fit`` calls before every mini-batch: free when running,
    a cheap wait while paused, True once a stop was asked for. It also runs the
    small tasks queued with ``between_batches`` (e.g. copying the weights), so they
    never see a half-finished optimizer step.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._paused = False
        self._stop = False
        self.stop_reason: str | None = None
        self._tasks: list[Callable[[], None]] = []
        self.waits = 0  # pause-wait rounds the worker has spent blocked (tests wait on it)

    @property
    def paused(self) -> bool:
        return self._paused and not self._stop

    @property
    def stop_requested(self) -> bool:
        return self._stop

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def stop(self, reason: str | None = None) -> None:
        with self._cond:
            if not self._stop:
                self.stop_reason = reason
            self._stop = True
            self._cond.notify_all()

    def between_batches(self, task: Callable[[], None]) -> None:
        with self._cond:
            self._tasks.append(task)
            self._cond.notify_all()

    def _run_tasks(self) -> None:
        with self._cond:
            tasks, self._tasks = self._tasks, []
        for task in tasks:
            task()

    def checkpoint(self) -> bool:
        if self._tasks:
            self._run_tasks()
        if not self._paused or self._stop:
            return self._stop  # the fast path: two attribute reads
        with self._cond:
            while self._paused and not self._stop:
                self._cond.wait(timeout=0.25)
                self.waits += 1
                if self._tasks:
                    self._cond.release()
                    try:
                        self._run_tasks()
                    finally:
                        self._cond.acquire()
            return self._stop
