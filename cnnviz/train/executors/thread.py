"""The embedded executor: every training is a thread in this server process (``cnnviz.train.jobs.Job``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cnnviz.train.executors.settings import ExecutorKind

if TYPE_CHECKING:
    from cnnviz.train.request import TrainRequest


class ThreadExecutor:
    """Trains in this process. Torch's thread pool is shared by every job of the server."""

    kind = ExecutorKind.THREAD
    default_max_live = 2  # a classroom server's cores, shared by every running job

    def __init__(self, nice: int = 0) -> None:
        self.nice = nice  # each training thread's niceness above the server's

    def create(
        self, request: TrainRequest, *, idle_timeout_s: float = 1800.0, job_id: str | None = None
    ) -> Any:
        from cnnviz.train.job import Job

        return Job(request, idle_timeout_s=idle_timeout_s, job_id=job_id, nice=self.nice)

    def describe(self) -> str:
        return "this server (a training thread)"


__all__ = ["ThreadExecutor"]
