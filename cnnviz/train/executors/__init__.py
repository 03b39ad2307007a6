"""Where a training runs: the one place that decides.

An *executor* turns a ``TrainRequest`` (spec, data, config, ...) into a ``Job`` (``cnnviz.train.jobs``);
pages and the CLI see the same job interface whichever one made it::

    executor = executor_from_env()            # CNNVIZ_EXECUTOR=thread (default) | ray
    job = executor.create(TrainRequest(spec, bundle, config, label=...))
    job.start()                               # progress, metrics, pause/resume/stop,
                                              # snapshot_model(), final: as always

- ``ThreadExecutor``: a thread in this server process (the embedded default,
  nothing to install or set).
- ``RayExecutor`` (``cnnviz.train.executors.ray_executor``; needs the ``ray``
  extra): each training is an actor on a Ray cluster with the CPUs and the share
  of a GPU it asks for; this server polls it and writes the run store.

A queue (the classroom's) decides *when* a job starts; the executor decides
*where*. ``job.placement`` (pending / running / ended) and ``job.queue_place``
say whether it is still waiting for a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from cnnviz.train.executors.settings import (
    ClusterUnreachable,
    ExecutorKind,
    ExecutorSettings,
    FallbackKind,
    SettingError,
)
from cnnviz.train.executors.thread import ThreadExecutor

if TYPE_CHECKING:
    from cnnviz.train.request import TrainRequest


class Executor(Protocol):
    """What the job registry and the CLI need from an executor."""

    kind: ExecutorKind
    default_max_live: int  # the cap on live jobs when CNNVIZ_MAX_JOBS is not set

    def create(
        self, request: TrainRequest, *, idle_timeout_s: float = 1800.0, job_id: str | None = None
    ) -> Any: ...  # a Job, not yet started

    def describe(self) -> str: ...


def make_executor(settings: ExecutorSettings) -> Executor:
    """The executor these settings ask for. Ray's is imported only when asked for."""
    if settings.kind == ExecutorKind.RAY:
        from cnnviz.train.executors.ray_executor import RayExecutor

        return RayExecutor(settings)
    return ThreadExecutor()


def executor_from_env(**given: object) -> Executor:
    """The executor the environment (``CNNVIZ_EXECUTOR``, ``CNNVIZ_RAY_*``) asks for."""
    return make_executor(ExecutorSettings.from_env(**given))


__all__ = [
    "ClusterUnreachable",
    "Executor",
    "ExecutorKind",
    "ExecutorSettings",
    "FallbackKind",
    "SettingError",
    "ThreadExecutor",
    "executor_from_env",
    "make_executor",
]
