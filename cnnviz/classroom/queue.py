"""The class's fair queue: first in, first out, one job per student, started by itself.

The queue decides *when* a training starts; the job registry (and whatever
executor it uses) decides *where*. ``submit`` checks the teacher's limits and
either starts the job at once or puts it in line; a dispatcher thread starts
the next waiting job as soon as a running one ends, whether or not its owner
still has the page open. A waiting job's id is the id its ``Job`` gets, so a
page that holds the id (``?job=``) finds the live job by itself when its turn
comes::

    queue = ClassQueue(registry, db, limits=lambda: Limits())
    entry = queue.submit(person, spec, bundle, config, runs_root=..., size=JobSize(...))
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
from typing import TYPE_CHECKING, Any

from cnnviz.classroom.db import ClassDB
from cnnviz.classroom.entries import Entry, EntryState, JobSize, QueueRefused, estimate_start
from cnnviz.classroom.limits import Limits, over_limits
from cnnviz.classroom.ownership import Action, NotAllowed, check
from cnnviz.classroom.people import Person, Role
from cnnviz.train.job import Job
from cnnviz.train.jobs import JobRegistry

if TYPE_CHECKING:
    from cnnviz.data.bundle import DataBundle


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
        return self.registry.get(entry_id, touch=False) if entry_id else None

    def live_for(self, person_id: str) -> list[Entry]:
        """The person's entries that are waiting, or running / paused."""
        out = []
        for e in self.entries():
            if e.owner != person_id:
                continue
            if e.state is EntryState.WAITING:
                out.append(e)
            elif e.state is EntryState.STARTED:
                job = self.job(e.id)
                if job is not None and not job.done:
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

    # -- submitting --------------------------------------------------------------------
    def submit(
        self,
        person: Person,
        spec: dict,
        bundle: DataBundle,
        config: Any,
        *,
        runs_root: Any = None,
        label: str = "",
        size: JobSize | None = None,
    ) -> Entry:
        """Queue (or start at once) a job for ``person``; ``QueueRefused`` says why not."""
        limits = self.limits()
        size = size or JobSize()
        problems = []
        if person.role is Role.STUDENT:
            problems += over_limits(
                limits,
                epochs=int(config.epochs),
                train_images=int(size.train_images),
                params=int(size.params),
                mult_adds=int(size.mult_adds),
            )
        with self._lock:
            mine = self.live_for(person.id)
            if person.role is Role.STUDENT and len(mine) >= limits.jobs_per_student:
                n = len(mine)
                problems.append(
                    f"Jobs per student: you already have {n} training{'s' if n != 1 else ''} "
                    f"running or waiting (the class limit is {limits.jobs_per_student}). "
                    "Wait for it to end, or stop it first."
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
                id=secrets.token_hex(6),
                owner=person.id,
                owner_name=person.name,
                label=label,
                dataset=str(getattr(bundle, "name", "")),
                params=int(size.params),
                epochs=int(config.epochs),
                created=now,
                seq=now,
                payload={"spec": spec, "bundle": bundle, "config": config, "runs_root": runs_root},
            )
            self._entries[entry.id] = entry
            self._save(entry)
        self.dispatch()
        self._ensure_thread()
        return entry

    # -- the dispatcher ----------------------------------------------------------------
    def dispatch(self) -> list[Job]:
        """Start waiting jobs, first in first out, while there is room. Returns those started."""
        started = []
        with self._lock:
            self._note_ended()
            cap = self.limits().jobs_at_once
            self.registry.max_live = max(self.registry.max_live, cap)
            while True:
                queue = self.waiting()
                if not queue or len(self.registry.live()) >= cap:
                    break
                e = queue[0]
                p = e.payload
                try:
                    job = self.registry.start(
                        p["spec"],
                        p["bundle"],
                        p["config"],
                        p["runs_root"],
                        label=e.label,
                        job_id=e.id,
                    )
                except (
                    Exception
                ) as exc:  # SpecError, ConfigError, Busy, OSError: say it on the page
                    e.state, e.note = EntryState.REFUSED, f"It could not start: {exc}"
                    e.payload = {}
                    self._save(e)
                    continue
                e.state, e.started, e.run_id = EntryState.STARTED, time.time(), job.run_id
                e.payload = {}  # the job holds the data now
                self._save(e)
                self.db.execute(
                    "INSERT OR IGNORE INTO runs (run_id, owner, title, shared, created) "
                    "VALUES (?, ?, ?, 0, ?)",
                    (job.run_id, e.owner, "", e.started),
                )
                started.append(job)
        return started

    def _note_ended(self) -> None:
        for e in self._entries.values():
            if e.state is EntryState.STARTED and e.note == "":
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
        job = self.registry.get(job_id)
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
            e.state, e.note, e.payload = EntryState.CANCELLED, f"Cancelled by {who}.", {}
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
