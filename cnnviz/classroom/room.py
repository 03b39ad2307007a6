"""The classroom as a whole: one per server process in class mode.

``Classroom.open(folder)`` opens (or creates) the database in the runs folder
and ties together the people, their tokens, the queue, the teacher's limits,
the ownership of runs and the design the teacher sent to the class::

    room = Classroom.open(runs_root(), registry, teacher_key=..., class_code=...)
    ada = room.join("Ada", client="10.0.0.7")  # a student; room.token_for(ada) for the browser
    room.person_from_token(token)              # Person, or raises TokenError
    room.sign_out(token)                       # that token is refused from now on
    room.remove_person(teacher, ada.id)        # signed out everywhere, queued job cancelled
    room.check_room_for(ada, nbytes)           # DiskFull before writing (cnnviz.classroom.disk)
    room.gate.submit(TrainRequest(spec, bundle, config, owner=ada.id))   # limits, queue, owner
    room.send_design(teacher, spec, settings)  # every student's Design page shows a banner
    room.run_owner(run_id); room.share_run(run_id, ada, True); room.delete_run(run_id, ada)

Class mode is ``CNNVIZ_CLASS=1``; the teacher key comes from
``CNNVIZ_TEACHER_KEY`` or is generated at start (printed once by whoever starts
the server, kept in the database so that it stays the same after a restart),
the optional class code from ``CNNVIZ_CLASS_CODE``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnviz.classroom.attempts import Attempts
from cnnviz.classroom.db import ClassDB
from cnnviz.classroom.errors import RoomError
from cnnviz.classroom.limits import Limits
from cnnviz.classroom.membership import Membership
from cnnviz.classroom.ownership import Action, check
from cnnviz.classroom.people import Person
from cnnviz.classroom.queue import ClassQueue
from cnnviz.classroom.submit import CHECKS, Gate
from cnnviz.classroom.tokens import DEFAULT_TTL_S, new_secret
from cnnviz.train.jobs import JobRegistry

COOKIE = "cnnviz_token"  # where the browser keeps the signed token (never in the URL)


def new_teacher_key() -> str:
    """A key a teacher can read out or type: three groups of four letters/digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


@dataclass(frozen=True)
class Broadcast:
    id: int
    sender: str
    spec: dict
    settings: dict
    title: str
    sent: float


class Classroom(Membership):
    """People, tokens, queue, limits, run ownership and the teacher's design, in one place.

    Joining, sign-ins and removal are ``Membership``'s (``cnnviz.classroom.membership``)."""

    def __init__(
        self,
        db: ClassDB,
        registry: JobRegistry,
        *,
        runs_root: str | os.PathLike,
        teacher_key: str,
        class_code: str = "",
        env_limits: Limits | None = None,
        token_ttl_s: float = DEFAULT_TTL_S,
        dispatcher: bool = True,
    ) -> None:
        self.db = db
        self.registry = registry
        self.runs_root = Path(runs_root)
        self.teacher_key = teacher_key
        self.class_code = class_code
        self.env_limits = env_limits or Limits()
        self.token_ttl_s = token_ttl_s
        secret = db.get_meta("secret")
        if secret is None:
            secret = new_secret()
            db.set_meta("secret", secret)
        self._secret = secret
        self.attempts = Attempts()
        self.signins_since()  # from now on every token names a sign-in
        self.queue = ClassQueue(registry, db, self.limits, dispatcher=dispatcher)
        # the one way a training or an experiment starts in this class (cnnviz.classroom.submit)
        self.gate = Gate(
            registry,
            queue=self.queue,
            limits=self.limits,
            people=self.person,
            checks=(*CHECKS, self._disk_check),
        )

    def _disk_check(self, request: Any, person: Person | None, limits: Limits | None) -> list[str]:
        """The disk floor and the student's disk budget, before a training writes anything."""
        try:
            self.check_room_for(person)
        except RoomError as e:  # DiskFull
            return [str(e)]
        return []

    @classmethod
    def open(
        cls,
        runs_root: str | os.PathLike,
        registry: JobRegistry,
        *,
        environ: dict[str, str] | None = None,
        dispatcher: bool = True,
    ) -> Classroom:
        """From the environment: the key (or a generated, remembered one), the code, the limits."""
        env = os.environ if environ is None else environ
        db = ClassDB.in_folder(runs_root)
        key = str(env.get("CNNVIZ_TEACHER_KEY", "")).strip()
        generated = False
        if not key:
            key = db.get_meta("teacher_key") or ""
            if not key:
                key, generated = new_teacher_key(), True
                db.set_meta("teacher_key", key)
        room = cls(
            db,
            registry,
            runs_root=runs_root,
            teacher_key=key,
            class_code=str(env.get("CNNVIZ_CLASS_CODE", "")).strip(),
            env_limits=Limits.from_env(env),
            dispatcher=dispatcher,
        )
        room.key_generated = generated
        return room

    key_generated = False

    # -- limits ------------------------------------------------------------------------
    def limits(self) -> Limits:
        """The environment's limits with the teacher's changes from the settings form."""
        return Limits.from_dict(self.db.get_json("limits"), self.env_limits)

    def set_limits(self, person: Person | None, limits: Limits) -> None:
        if person is None or not person.is_teacher:
            raise RoomError("Only the teacher can change the class limits.")
        self.db.set_json("limits", limits.to_dict())
        self.queue.dispatch()  # more room may start waiting jobs now

    # -- runs --------------------------------------------------------------------------
    def run_owner(self, run_id: str) -> dict[str, Any] | None:
        """``{run_id, owner, owner_name, title, shared}``, or None for a run nobody owns (CLI)."""
        row = self.db.row(
            "SELECT r.*, p.name AS owner_name FROM runs r LEFT JOIN people p ON p.id = r.owner "
            "WHERE r.run_id = ?",
            (run_id,),
        )
        return row

    def owned_runs(self) -> dict[str, dict[str, Any]]:
        rows = self.db.rows(
            "SELECT r.*, p.name AS owner_name, p.role AS owner_role FROM runs r "
            "LEFT JOIN people p ON p.id = r.owner"
        )
        return {r["run_id"]: r for r in rows}

    def claim_run(self, run_id: str, owner: Person) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO runs (run_id, owner, title, shared, created) VALUES (?, ?, '', 0, ?)",
            (run_id, owner.id, time.time()),
        )

    def _check_run(self, run_id: str, person: Person | None, action: Action) -> dict[str, Any]:
        row = self.run_owner(run_id)
        if row is None:  # trained outside the class (the command line): the teacher's to manage
            check(person, action, None, "the server's")
            return {"run_id": run_id, "owner": None}
        check(person, action, row["owner"], row.get("owner_name") or "")
        return row

    def share_run(self, run_id: str, person: Person | None, shared: bool) -> None:
        self._check_run(run_id, person, Action.SHARE)
        self.db.execute("UPDATE runs SET shared = ? WHERE run_id = ?", (int(bool(shared)), run_id))

    def rename_run(self, run_id: str, person: Person | None, title: str) -> None:
        self._check_run(run_id, person, Action.RENAME)
        text = " ".join(str(title or "").split())[:80]
        self.db.execute("UPDATE runs SET title = ? WHERE run_id = ?", (text, run_id))

    def delete_run(self, run_id: str, person: Person | None) -> None:
        """Delete the run's folder (owner or teacher); a live job's run cannot be deleted."""
        self._check_run(run_id, person, Action.DELETE)
        for job in self.registry.live():
            if job.run_id == run_id:
                raise RoomError("This run is still training: stop it first.")
        root = self.runs_root.resolve()
        target = (root / run_id).resolve()
        if target.parent != root:
            raise RoomError("That is not a run of this server.")
        if target.is_dir():
            shutil.rmtree(target)
        self.db.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))

    # -- the teacher's design, sent to the class ---------------------------------------
    def send_design(
        self, person: Person | None, spec: dict, settings: dict | None = None, title: str = ""
    ) -> Broadcast:
        if person is None or not person.is_teacher:
            raise RoomError("Only the teacher can send a design to the class.")
        now = time.time()
        cur = self.db.execute(
            "INSERT INTO broadcasts (sender, spec, settings, title, sent) VALUES (?, ?, ?, ?, ?)",
            (person.id, json.dumps(spec), json.dumps(settings or {}), title, now),
        )
        return Broadcast(int(cur.lastrowid), person.id, spec, dict(settings or {}), title, now)

    def latest_design(self) -> Broadcast | None:
        row = self.db.row("SELECT * FROM broadcasts ORDER BY id DESC LIMIT 1")
        if row is None:
            return None
        return Broadcast(
            int(row["id"]),
            str(row["sender"]),
            json.loads(row["spec"]),
            json.loads(row["settings"]),
            str(row["title"]),
            float(row["sent"]),
        )

    def close(self) -> None:
        self.queue.close()
        self.db.close()


__all__ = ["COOKIE", "Broadcast", "Classroom", "new_teacher_key"]
