"""Starting a training or an experiment from a page: the submission gate, seen from a session.

Every page that starts a training calls this module (Train's Start, the Runs
page's experiments, *Train again with one change* through Start, the teacher's
own trainings): it makes the ``TrainRequest`` (owner: the signed-in person on a
class server) and hands it to the server's one ``Gate``
(``cnnviz.classroom.submit``): the classroom's on a class server, else one for
this process. Refusals come back as messages that name the fix, never tracebacks.
"""

from __future__ import annotations

import threading
from typing import Any

from cnnviz.classroom.entries import QueueRefused
from cnnviz.classroom.submit import Gate, Plan, Submitted
from cnnviz.compare.experiments import ExperimentError, ExperimentKind
from cnnviz.design.spec import SpecError
from cnnviz.train.config import ConfigError, TrainConfig
from cnnviz.train.executors.settings import ClusterUnreachable
from cnnviz.train.job import Busy
from cnnviz.train.request import TrainRequest
from cnnviz.train.run_files import RunWriteError
from cnnviz.train.store import RunError, runs_root
from cnnviz.ui import challenge as challenge_ui
from cnnviz.ui import jobs as jobs_ui
from cnnviz.ui import state
from cnnviz.ui.classroom import session

_LOCK = threading.Lock()
_SINGLE: Gate | None = None  # outside class mode: this process's gate (beside its registry)


def gate() -> Gate:
    """The server's gate: the classroom's on a class server, else this process's own.

    A plain module-level singleton (as the job registry): a client's ``clear_cache``
    must not forget the experiments running here."""
    global _SINGLE
    if session.enabled():
        return session.room().gate
    with _LOCK:
        if _SINGLE is None or _SINGLE.registry is not jobs_ui.registry():
            _SINGLE = Gate(jobs_ui.registry())
        return _SINGLE


def request(spec: dict, data: Any, config: TrainConfig, label: str | None = None) -> TrainRequest:
    """This session's request: the signed-in person owns it (a class server), runs go to the runs folder."""
    me = session.me()
    return TrainRequest(
        spec,
        data,
        config,
        owner=me.id if me is not None else None,
        label=label if label is not None else (state.current_preset() or "custom"),
        runs_root=runs_root(),
        challenge=challenge_ui.current_id(),  # a run under a challenge keeps its id
    )


def start_refusals(spec: dict, data: Any, config: TrainConfig | None) -> list[str]:
    """Why Start would be refused now (the teacher's limits, the memory, your running job)."""
    if config is None or data is None:
        return []
    return gate().refusals(request(spec, data, config), with_cap=True)


def start_training(spec: dict, data: Any, config: TrainConfig) -> str | None:
    """Submit a training for this session and watch it: None, or why it was refused."""
    try:
        done = gate().submit(request(spec, data, config))
    except QueueRefused as e:
        return "Start is refused: " + " ".join(e.problems)
    except Busy as e:
        return f"⏳ {e}"
    except (SpecError, ConfigError, ClusterUnreachable, RunError) as e:  # OverBudget too
        return str(e)
    except RunWriteError as e:  # the disk is full: nothing was left behind
        return f"{e} {e.advice}"
    state.set_job_id(done.id)
    return None


def plan_experiment(
    kind: ExperimentKind | str, spec: dict, config: TrainConfig, data: Any, seeds: int,
    parent: str | None = None,
) -> tuple[Plan | None, str | None]:  # fmt: skip
    """The experiment's plan (cost, problems), or why it cannot be set up at all."""
    try:
        plan = gate().plan(
            kind, request(spec, data, config), seeds=seeds, parent=parent, with_cap=True
        )
        return plan, None
    except (ConfigError, ExperimentError) as e:
        return None, str(e)


def start_experiment(
    kind: ExperimentKind | str, spec: dict, config: TrainConfig, data: Any, seeds: int,
    parent: str | None = None,
) -> tuple[Submitted | None, str | None]:  # fmt: skip
    """Submit an experiment as one entry: ``(submitted, None)`` or ``(None, why not)``."""
    try:
        done = gate().submit_experiment(
            kind, request(spec, data, config), seeds=seeds, parent=parent
        )
    except QueueRefused as e:
        return None, "The experiment is refused: " + " ".join(e.problems)
    except (ConfigError, ExperimentError) as e:
        return None, str(e)
    return done, None


__all__ = [
    "gate",
    "plan_experiment",
    "request",
    "start_experiment",
    "start_refusals",
    "start_training",
]
