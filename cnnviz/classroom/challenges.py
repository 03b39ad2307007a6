"""The class's challenges (SQLite): the teacher sets them, students' progress is kept per person.

Two tables of the class database (``challenges``, ``challenge_progress``; its schema is in
``classroom.db``)::

    book = ClassChallenges(room.db)
    cid = book.create(teacher, challenge)            # RoomError for anyone else
    book.get(cid), book.latest()                     # (id, Challenge) or None
    book.record(cid, ada, met=True, words="...")     # a student's design checks, as they edit
    book.progress(cid)                               # {person id: Progress}

A challenge's id is its row number as text ("7"); a run trained under it keeps
that id in its ``config.json`` (``TrainRequest.challenge``). Who met an accuracy
target is read from the run store, not from here (``cnnviz.ui.classroom.challenges``).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from cnnviz.classroom.db import ClassDB
from cnnviz.classroom.errors import RoomError
from cnnviz.classroom.people import Person
from cnnviz.design.challenge import Challenge, ChallengeError

_ID = re.compile(r"[1-9][0-9]{0,8}")


def is_class_id(text: object) -> bool:
    """A class challenge's id ("7"); anything else in ``?challenge=`` is a link."""
    return isinstance(text, str) and _ID.fullmatch(text) is not None


@dataclass(frozen=True)
class Progress:
    person: str
    met: bool
    words: str
    updated: float


class ClassChallenges:
    """The challenges of one class database."""

    def __init__(self, db: ClassDB) -> None:
        self.db = db  # its tables are in the class database's schema (classroom.db)

    def create(self, person: Person | None, challenge: Challenge) -> str:
        if person is None or not person.is_teacher:
            raise RoomError("Only the teacher can set a challenge.")
        body = json.dumps(challenge.to_dict())
        cur = self.db.execute(
            "INSERT INTO challenges (sender, body, created) VALUES (?, ?, ?)",
            (person.id, body, time.time()),
        )
        return str(cur.lastrowid)

    def get(self, cid: str) -> Challenge | None:
        if not is_class_id(cid):
            return None
        row = self.db.row("SELECT body FROM challenges WHERE id = ?", (int(cid),))
        if row is None:
            return None
        try:
            return Challenge.from_dict(json.loads(row["body"]))
        except (ChallengeError, ValueError):
            return None

    def latest(self) -> tuple[str, Challenge] | None:
        row = self.db.row("SELECT id FROM challenges ORDER BY id DESC LIMIT 1")
        if row is None:
            return None
        ch = self.get(str(row["id"]))
        return None if ch is None else (str(row["id"]), ch)

    def created(self, cid: str) -> float:
        row = self.db.row("SELECT created FROM challenges WHERE id = ?", (int(cid),))
        return float(row["created"]) if row else 0.0

    def record(self, cid: str, person: Person | None, *, met: bool, words: str) -> None:
        """A student's design checks now (the teacher's table shows them)."""
        if person is None or not is_class_id(cid):
            return
        self.db.execute(
            "INSERT OR REPLACE INTO challenge_progress (challenge, person, met, words, updated) "
            "VALUES (?, ?, ?, ?, ?)",
            (int(cid), person.id, int(bool(met)), str(words)[:300], time.time()),
        )

    def progress(self, cid: str) -> dict[str, Progress]:
        if not is_class_id(cid):
            return {}
        rows = self.db.rows("SELECT * FROM challenge_progress WHERE challenge = ?", (int(cid),))
        return {
            r["person"]: Progress(r["person"], bool(r["met"]), r["words"], float(r["updated"]))
            for r in rows
        }


__all__ = ["ClassChallenges", "Progress", "is_class_id"]
