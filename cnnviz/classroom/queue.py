"""The class's fair queue: first in, first out, one job per student, started by itself.

The queue decides *when* a training starts; the job registry (and whatever
executor it uses) decides *where*. Everything comes in through the submission
gate (``cnnviz.classroom.submit``), which checks the teacher's limits and calls
``put``: here the per-student cap and the queue's length are checked, and the
entry starts at once or waits in line; a dispatcher thread starts the next
waiting entry as soon as a place is free, whether or not its owner still has the
page open. A waiting job's id is the id its ``Job`` gets, so a page that holds
the id (``?job=``) finds the live job by itself when its turn comes. An
experiment is one entry: it holds one place while its arms train one after the
other (``start_arm``), and every arm's run is its owner's::

    queue = ClassQueue(registry, db, limits=lambda: Limits())
    entry = queue.put(person, TrainRequest(...))   # the gate's call, after the limits
    queue.place(entry.id)          # 1 = next to start; None once started
    queue.wait_estimate(entry.id)  # seconds until it starts, from the running jobs' time left
    queue.control(job_id, person, Action.STOP)   # owner or teacher only
    queue.cancel(entry.id, person); queue.move(entry.id, 0, teacher)

Entries are rows in the database too: after a restart the people and their
runs are all there, and a job that was still waiting is marked as lost with
the reason (its images were in the old process's memory).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from cnnviz.classroom.db import ClassDB
from cnnviz.classroom.entries import Entry, EntryState, QueueRefused, estimate_start
from cnnviz.classroom.limits import Limits
from cnnviz.classroom.ownership import Action, NotAllowed, check
from cnnviz.classroom.people import Person, Role
from cnnviz.compare.runner import ExperimentRun
from cnnviz.train.job import Job
from cnnviz.train.jobs import JobRegistry
from cnnviz.train.request import TrainRequest


def _is_experiment(work: Any) -> bool:
    """An experiment's entry holds its ``ExperimentRun`` until the last arm ends."""
    return isinstance(work, ExperimentRun)


class ClassQueue:
    """Waiting jobs in order, and the dispatcher that starts them."""

    def __init__(
        self,
        registry: JobRegistry,
        db: ClassDB,
        limits: Callable[[], Limits],
        *,
        poll_s: float = 0.5,
        dispatcher: bool = True,
    ) -> None:
        self.registry = registry
        self.db = db
        self.limits = limits
        self.poll_s = poll_s
        self._lock = threading.RLock()
        self._entries: dict[str, Entry] = {}
        self._durations: list[float] = []  # seconds of jobs that ended here (wait estimates)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._use_thread = dispatcher
        self._arm_jobs: set[str] = set()  # live jobs that are an experiment's arms (its place)
        self._forget_restarted()

    # -- persistence -------------------------------------------------------------------
    def _forget_restarted(self) -> None:
        self.db.execute(
            "UPDATE queue SET state = ?, note = ? WHERE state = ?",
            (
                str(EntryState.LOST),
                "The server restarted before this job's turn came: start it again.",
                str(EntryState.WAITING),
            ),
        )

    _COLUMNS = (
        "id", "owner", "state", "seq", "label", "dataset", "params", "epochs",
        "created", "started", "run_id", "note",
    )  # fmt: skip

    def _save(self, e: Entry) -> None:
        values = [str(e.state) if c == "state" else getattr(e, c) for c in self._COLUMNS]
        marks = ", ".join("?" * len(self._COLUMNS))
        self.db.execute(
            f"INSERT OR REPLACE INTO queue ({', '.join(self._COLUMNS)}) VALUES ({marks})", values
        )

    # -- what is where -----------------------------------------------------------------
    def entry(self, entry_id: str | None) -> Entry | None:
        with self._lock:
            return self._entries.get(entry_id or "")

    def waiting(self) -> list[Entry]:
        with self._lock:
            return sorted(
                (e for e in self._entries.values() if e.state is EntryState.WAITING),
                key=lambda e: e.seq,
            )

    def entries(self) -> list[Entry]:
        """Every entry this process has seen, oldest first."""
        with self._lock:
            return sorted(self._entries.values(), key=lambda e: e.created)

    def place(self, entry_id: str) -> int | None:
        """1-based place in line, or None when it is not waiting."""
        for i, e in enumerate(self.waiting(), start=1):
            if e.id == entry_id:
                return i
        return None

    def job(self, entry_id: str | None) -> Job | None:
        """The entry's live job: the training, or the arm an experiment is training now."""
        e = self.entry(entry_id)
        if e is not None and _is_experiment(e.work):
            return e.work.current
        return self.registry.get(entry_id, touch=False) if entry_id else None

    def experiment(self, entry_id: str | None) -> Any:
        """The ``ExperimentRun`` of an experiment's entry (None for a training)."""
        e = self.entry(entry_id)
        return e.work if e is not None and _is_experiment(e.work) else None

    def _done(self, e: Entry) -> bool:
        if _is_experiment(e.work):
            return bool(e.work.done)
        job = self.job(e.id)
        return job is None or job.done

    def live_for(self, person_id: str) -> list[Entry]:
        """The person's entries that are waiting, or running / paused."""
        out = []
        for e in self.entries():
            if e.owner != person_id:
                continue
            if e.state is EntryState.WAITING or e.state is EntryState.STARTED and not self._done(e):
                out.append(e)
        return out

    def typical_duration(self) -> float | None:
        """How long a job here takes: the mean of ended ones, else of running ones' projections."""
        with self._lock:
            if self._durations:
                recent = self._durations[-10:]
                return sum(recent) / len(recent)
        guesses = []
        for job in self.registry.live():
            p = job.progress()
            if p.eta_s is not None:
                guesses.append(p.elapsed_s + p.eta_s)
        return sum(guesses) / len(guesses) if guesses else None

    def wait_estimate(self, entry_id: str) -> float | None:
        """Seconds until the entry starts, or None (not waiting, or nothing to go on yet)."""
        place = self.place(entry_id)
        if place is None:
            return None
        left = [job.progress().eta_s for job in self.registry.live()]
        return estimate_start(left, self.limits().jobs_at_once, place - 1, self.typical_duration())

    # -- putting in line (the submission gate's side: cnnviz.classroom.submit) ----------
    def put(
        self,
        person: Person,
        work: Any,
        *,
        label: str = "",
        params: int = 0,
        epochs: int = 0,
        trainings: int = 1,
        entry_id: str | None = None,
    ) -> Entry:
        """Queue (or start at once) ``work`` for ``person``; ``QueueRefused`` says why not.

        ``work``: a ``TrainRequest``, or an ``ExperimentRun`` (one entry whose arms run one
        after the other in its place). Only the gate calls this, after the teacher's limits:
        here are the per-student cap and the queue's length, checked and taken at once.
        """
        limits = self.limits()
        problems = []
        with self._lock:
            mine = self.live_for(person.id)
            if person.role is Role.STUDENT and len(mine) >= limits.jobs_per_student:
                n = len(mine)
                problems.append(
                    f"Jobs per student: you already have {n} training{'s' if n != 1 else ''} "
                    f"or experiment{'s' if n != 1 else ''} running or waiting (the class limit "
                    f"is {limits.jobs_per_student}). Wait for it to end, or stop it first."
                )
            n_wait = len(self.waiting())
            if n_wait >= limits.queue_length:
                problems.append(
                    f"Queue length: {n_wait} jobs are already waiting (the class limit is "
                    f"{limits.queue_length}). Try again when the line is shorter."
                )
            if problems:
                raise QueueRefused(problems)
            now = time.time()
            entry = Entry(
                id=entry_id or secrets.token_hex(6),
                owner=person.id,
                owner_name=person.name,
                label=label,
                dataset=str(getattr(getattr(work, "data", None), "name", "")),
                params=int(params),
                epochs=int(epochs),
                created=now,
                seq=now,
                work=work,
                trainings=int(trainings),
            )
            self._entries[entry.id] = entry
            self._save(entry)
        self.dispatch()
        self._ensure_thread()
        return entry

    def own(self, run_id: str, owner: str) -> None:
        """The ownership row of a run this queue started (``Classroom.run_owner`` reads it)."""
        self.db.execute(
            "INSERT OR IGNORE INTO runs (run_id, owner, title, shared, created) "
            "VALUES (?, ?, '', 0, ?)",
            (run_id, owner, time.time()),
        )

    def start_arm(self, entry_id: str, request: TrainRequest) -> Job:
        """Start one arm of the experiment ``entry_id`` in the place the experiment holds."""
        job = self.registry.start(request, job_id=None)
        with self._lock:
            self._arm_jobs.add(job.id)
        self.own(job.run_id, str(request.owner))
        return job

    # -- the dispatcher ----------------------------------------------------------------
    def _in_use(self) -> int:
        """Places taken: running experiments (between arms too) and every other live job."""
        running = [
            e.work
            for e in self._entries.values()
            if e.state is EntryState.STARTED and _is_experiment(e.work) and not e.work.done
        ]
        jobs = [j for j in self.registry.live() if j.id not in self._arm_jobs]
        return len(running) + len(jobs)

    def dispatch(self) -> list[Any]:
        """Start waiting entries, first in first out, while there is room. Returns those started
        (a ``Job``, or an ``ExperimentRun``)."""
        started: list[Any] = []
        with self._lock:
            self._note_ended()
            cap = self.limits().jobs_at_once
            self.registry.max_live = max(self.registry.max_live, cap)
            while True:
                queue = self.waiting()
                if not queue or self._in_use() >= cap:
                    break
                e = queue[0]
                try:
                    if _is_experiment(e.work):
                        work = e.work.start()  # its arms come back through start_arm
                    else:
                        work = self.registry.start(e.work, job_id=e.id)
                except (
                    Exception
                ) as exc:  # SpecError, ConfigError, Busy, OSError: say it on the page
                    e.state, e.note, e.work = EntryState.REFUSED, f"It could not start: {exc}", None
                    self._save(e)
                    continue
                e.state, e.started = EntryState.STARTED, time.time()
                if not _is_experiment(work):
                    e.run_id, e.work = work.run_id, None  # the job holds the data now
                    self.own(work.run_id, e.owner)
                self._save(e)
                started.append(work)
        return started

    def _note_ended(self) -> None:
        for e in self._entries.values():
            if e.state is EntryState.STARTED and e.note == "":
                if _is_experiment(e.work):
                    if e.work.done:
                        e.note = e.work.outcome
                        self._arm_jobs.difference_update(e.work.job_ids)
                        self.db.execute(
                            "UPDATE queue SET ended = ?, note = ? WHERE id = ?",
                            (time.time(), e.note, e.id),
                        )
                    continue
                job = self.registry.get(e.id, touch=False)
                if job is not None and job.done:
                    e.note = str(job.status)
                    self._durations.append(job.final.elapsed_s if job.final else 0.0)
                    self.db.execute(
                        "UPDATE queue SET ended = ?, note = ? WHERE id = ?",
                        (time.time(), e.note, e.id),
                    )

    def _ensure_thread(self) -> None:
        if not self._use_thread or (self._thread is not None and self._thread.is_alive()):
            return
        self._thread = threading.Thread(target=self._loop, name="cnnviz-class-queue", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.dispatch()
            except Exception:  # never let the dispatcher die: the next tick tries again
                time.sleep(self.poll_s)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    # -- owner and teacher actions -----------------------------------------------------
    def _owned(self, job_id: str) -> tuple[str | None, str]:
        e = self.entry(job_id)
        return (e.owner, e.owner_name) if e is not None else (None, "")

    def control(self, job_id: str, person: Person | None, action: Action) -> None:
        """Pause, resume or stop a running job; ``NotAllowed`` unless owner or teacher."""
        action = Action(action)
        owner, name = self._owned(job_id)
        check(person, action, owner, name)
        exp = self.experiment(job_id)
        if exp is not None and action is Action.STOP:
            exp.cancel()  # the arm now training stops, and no further arm starts
            return
        job = self.job(job_id) if exp is not None else self.registry.get(job_id)
        if job is None:
            return
        if action is Action.PAUSE:
            job.pause()
        elif action is Action.RESUME:
            job.resume()
        elif action is Action.STOP:
            who = "the teacher" if person is not None and person.is_teacher else "its owner"
            job.stop(f"Stopped by {who} before the last epoch finished.")
        else:
            raise ValueError(f"{action} is not a job control")

    def cancel(self, entry_id: str, person: Person | None) -> None:
        """Take a waiting job out of the line (its owner or the teacher)."""
        with self._lock:
            e = self.entry(entry_id)
            if e is None or e.state is not EntryState.WAITING:
                raise NotAllowed("This job is not waiting in the queue any more.")
            check(person, Action.CANCEL, e.owner, e.owner_name)
            who = "the teacher" if person is not None and person.is_teacher else "its owner"
            if _is_experiment(e.work):
                e.work.cancel()  # never started: it is over (a page waiting on it sees that)
            e.state, e.note, e.work = EntryState.CANCELLED, f"Cancelled by {who}.", None
            self._save(e)

    def move(self, entry_id: str, to_place: int, person: Person | None) -> None:
        """Put a waiting job at ``to_place`` (1 = next) in line: teacher only."""
        with self._lock:
            e = self.entry(entry_id)
            if e is None or e.state is not EntryState.WAITING:
                raise NotAllowed("This job is not waiting in the queue any more.")
            check(person, Action.MOVE, e.owner, e.owner_name)
            line = self.waiting()
            others = [w for w in line if w.id != entry_id]
            i = min(max(int(to_place) - 1, 0), len(others))
            base = line[0].seq
            for k, w in enumerate([*others[:i], e, *others[i:]]):
                w.seq = base + k * 1e-3  # keep the order, renumbered
                self._save(w)
        self.dispatch()


__all__ = ["ClassQueue"]
