"""The submission gate: the one way a training or an experiment starts.

Train's Start, the Runs page's experiments, *Train again with one change* (it
comes back through Start), the teacher's own trainings and the command line all
call ``Gate.submit`` / ``Gate.submit_experiment``; nothing else starts a job
(``tests/test_one_gate.py`` fails on a page or command that does). The gate, in
this order:

1. refuses before anything is written (``Gate.refusals``: the memory a training
   needs, the teacher's per-job limits for a student; ``CHECKS`` is where another
   such check goes, e.g. the disk space a run needs);
2. on a class server, puts it in the class queue (``ClassQueue.put``: the
   per-student cap and the queue's length, then started at once or in turn),
   where every run it makes gets its ownership row; outside class mode (one
   person, no limits) it starts the job at once in the registry.

An experiment is ONE submission: its variants × seeds train one after the other
in the one place it holds, each within the per-job limits, at most
``Limits.max_experiment_runs`` of them; ``Gate.plan`` says what it will cost
before it starts::

    gate = Gate(registry, queue=room.queue, limits=room.limits, people=room.person)
    done = gate.submit(TrainRequest(spec, bundle, config, owner=ada.id))   # QueueRefused: why not
    plan = gate.plan(ExperimentKind.EPOCHS, request, seeds=3)
    plan.cost.words(), plan.problems                          # before the button is pressed
    done = gate.submit_experiment(ExperimentKind.EPOCHS, request, seeds=3)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnviz.classroom.entries import Entry, QueueRefused
from cnnviz.classroom.limits import Limits, job_size, over_experiment_limit, over_limits
from cnnviz.classroom.people import Person, Role
from cnnviz.classroom.queue import ClassQueue
from cnnviz.compare.experiments import ExperimentError, ExperimentKind
from cnnviz.compare.runner import ExperimentRun, RunResult, new_experiment_id
from cnnviz.train.job import Job
from cnnviz.train.jobs import JobRegistry
from cnnviz.train.memory import memory_problem
from cnnviz.train.request import TrainRequest

# A check run before anything is written: (request, the person or None, the limits or None
# outside class mode) -> problems in words. Add a check here and every path gets it.
Check = Callable[[TrainRequest, Person | None, Limits | None], list[str]]


def memory_check(request: TrainRequest, person: Person | None, limits: Limits | None) -> list[str]:
    """The memory the training needs against the server's budget (everyone, class or not)."""
    c = request.config
    problem = memory_problem(request.spec, c.batch_size, str(c.optimizer))
    return [problem] if problem else []


def limits_check(request: TrainRequest, person: Person | None, limits: Limits | None) -> list[str]:
    """The teacher's per-job limits, for a student on a class server."""
    if limits is None or person is None or person.role is not Role.STUDENT:
        return []
    size = job_size(request.spec, request.data)
    return over_limits(
        limits,
        epochs=int(request.config.epochs),
        train_images=size.train_images,
        params=size.params,
        mult_adds=size.mult_adds,
    )


CHECKS: tuple[Check, ...] = (memory_check, limits_check)


@dataclass(frozen=True)
class Cost:
    """What an experiment takes: trainings (variants × seeds) and epochs in all."""

    trainings: int
    epochs: int

    def words(self, *, in_class: bool = True) -> str:
        n, e = self.trainings, self.epochs
        where = (
            "it takes your one training place until it ends"
            if in_class
            else "it takes one training place on this server until it ends"
        )
        return (
            f"This experiment trains {n} network{'s' if n != 1 else ''}, {e} epoch"
            f"{'s' if e != 1 else ''} in all, one after the other; {where}."
        )


@dataclass(frozen=True)
class Plan:
    """An experiment before it starts: what it costs and why it would be refused."""

    experiment: ExperimentRun
    cost: Cost
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Submitted:
    """What a submission became: ``id`` is the job's (or the experiment's) id, the page keeps it."""

    id: str
    job: Job | None = None  # started at once (outside class mode)
    entry: Entry | None = None  # in the class queue: started, or waiting its turn
    experiment: ExperimentRun | None = None


class Gate:
    """Every training and experiment of one server (or one command) comes in here."""

    def __init__(
        self,
        registry: JobRegistry,
        *,
        queue: ClassQueue | None = None,
        limits: Callable[[], Limits] | None = None,
        people: Callable[[str], Person | None] | None = None,
        checks: tuple[Check, ...] = CHECKS,
    ) -> None:
        self.registry = registry
        self.queue = queue  # None: outside class mode (started at once, no class limits)
        self._limits = limits
        self._people = people
        self.checks = checks
        self._experiments: dict[str, ExperimentRun] = {}  # outside class mode (the queue's, in it)

    @property
    def in_class(self) -> bool:
        return self.queue is not None

    def limits(self) -> Limits | None:
        return self._limits() if self.in_class and self._limits is not None else None

    def person(self, owner: str | None) -> Person | None:
        return self._people(owner) if owner and self._people is not None else None

    # -- 1: refuse before anything is written ------------------------------------------
    def refusals(self, request: TrainRequest, *, with_cap: bool = False) -> list[str]:
        """Every reason this training would be refused, in words (empty: it may start).

        ``with_cap``: also the per-student cap as it is now (a page showing why Start is
        off); ``submit`` checks it again, atomically, when it puts the job in line.
        """
        person = self.person(request.owner)
        if self.in_class and person is None:
            return ["Join the class first: type your name on the start page."]
        limits = self.limits()
        problems = [p for check in self.checks for p in check(request, person, limits)]
        if with_cap:
            problems += self.cap_problems(person)
        return problems

    def cap_problems(self, person: Person | None) -> list[str]:
        """The per-student cap, now: a student with a training or experiment running or waiting."""
        if not self.in_class or person is None or person.role is not Role.STUDENT:
            return []
        limits = self.limits() or Limits()
        mine = self.queue.live_for(person.id)
        if len(mine) < limits.jobs_per_student:
            return []
        what = "experiment" if any(e.trainings > 1 for e in mine) else "training"
        return [
            f"Jobs per student: your {what} is still running or waiting (the class limit is "
            f"{limits.jobs_per_student} at a time). Wait for it to end, or stop it first."
        ]

    # -- 2: in line (class) or started (single user) -----------------------------------
    def submit(
        self, request: TrainRequest, *, on_event: Callable[[Any], None] | None = None
    ) -> Submitted:
        """Start or queue one training. ``QueueRefused`` when a check or the queue refuses;
        outside class mode the registry's own errors (``Busy``, ``SpecError``, ...) pass on.
        ``on_event``: called in the worker with each event (the command line prints them)."""
        problems = self.refusals(request)
        if problems:
            raise QueueRefused(problems)
        if self.queue is None:
            job = self.registry.start(request, on_event=on_event)
            return Submitted(job.id, job=job)
        person = self.person(request.owner)
        assert person is not None  # refusals() said "join the class first" otherwise
        size = job_size(request.spec, request.data)
        entry = self.queue.put(
            person,
            request,
            label=request.label,
            params=size.params,
            epochs=int(request.config.epochs),
        )
        return Submitted(entry.id, entry=entry)

    def plan(
        self,
        kind: ExperimentKind | str,
        request: TrainRequest,
        *,
        seeds: int = 1,
        parent: str | None = None,
        on_run: Callable[[RunResult], None] | None = None,
        with_cap: bool = False,
    ) -> Plan:
        """The experiment, not started: its cost and every reason it would be refused.

        ``ExperimentError`` when it cannot be set up for this network (no Conv2d, ...).
        ``with_cap``: also the per-student cap as it is now (a page showing why it is off).
        """
        exp_id = new_experiment_id()
        try:
            exp = ExperimentRun(
                kind,
                request,
                self._arm_starter(exp_id),
                repeats=seeds,
                parent=parent,
                on_run=on_run,
                exp_id=exp_id,
            )
        except (TypeError, AttributeError, KeyError) as e:  # a damaged run's network or settings
            raise ExperimentError(f"This network or its settings cannot be read ({e}).") from None
        problems: list[str] = []
        base = self.refusals(request)
        labels: dict[str, list[str]] = {}
        for arm in exp.arms:
            arm_request = request.with_(spec=arm.spec, config=arm.config)
            for p in self.refusals(arm_request):
                labels.setdefault(p, []).append(arm.label)
        for p, arms in labels.items():
            problems.append(p if p in base else f"{p} (the variant{'s' if len(arms) > 1 else ''} "
                            f"{', '.join(arms)})")  # fmt: skip
        limits = self.limits()
        person = self.person(request.owner)
        if limits is not None and person is not None and person.role is Role.STUDENT:
            problems += over_experiment_limit(limits, arms=len(exp.arms), seeds=len(exp.seeds))
        if with_cap:
            problems += self.cap_problems(person)
        return Plan(exp, Cost(exp.total, exp.total_epochs), problems)

    def submit_experiment(
        self,
        kind: ExperimentKind | str,
        request: TrainRequest,
        *,
        seeds: int = 1,
        parent: str | None = None,
        on_run: Callable[[RunResult], None] | None = None,
    ) -> Submitted:
        """Queue (class) or start (single user) an experiment as one submission."""
        plan = self.plan(kind, request, seeds=seeds, parent=parent, on_run=on_run)
        if plan.problems:
            raise QueueRefused(plan.problems)
        exp = plan.experiment
        if self.queue is None:
            self._experiments[exp.id] = exp.start()
            return Submitted(exp.id, experiment=exp)
        person = self.person(request.owner)
        assert person is not None
        entry = self.queue.put(
            person,
            exp,
            label=f"experiment {exp.kind}: {exp.total} trainings",
            params=job_size(request.spec, request.data).params,
            epochs=plan.cost.epochs,
            trainings=exp.total,
            entry_id=exp.id,
        )
        return Submitted(entry.id, entry=entry, experiment=exp)

    def experiment(self, exp_id: str | None) -> ExperimentRun | None:
        """A submitted experiment by id (waiting, running or ended), or None."""
        if not exp_id:
            return None
        if self.queue is not None:
            return self.queue.experiment(exp_id)
        return self._experiments.get(exp_id)

    def _arm_starter(self, exp_id: str) -> Callable[[TrainRequest], Job]:
        """How the experiment starts each arm: in its own place, the run owned like any other."""
        if self.queue is None:
            return self.registry.start
        queue = self.queue
        return lambda request: queue.start_arm(exp_id, request)


__all__ = [
    "CHECKS",
    "Check",
    "Cost",
    "Gate",
    "Plan",
    "Submitted",
    "limits_check",
    "memory_check",
]
