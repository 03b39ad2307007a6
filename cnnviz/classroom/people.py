"""People: students who join with a name, and the teacher who unlocks with the key.

A person is a row in the database with a random id; the browser holds a signed
token for that id (``cnnviz.classroom.tokens``), never the name. Names are
unique per role (case-insensitive): a second "Ada" on another laptop is asked
to pick another name, unless the class joins with the same token again.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from cnnviz.classroom.db import ClassDB

MAX_NAME = 40
_NAME_OK = re.compile(r"^[\w][\w .'\-]*$", re.UNICODE)


class Role(StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"


class JoinError(ValueError):
    """A join or unlock the server refuses; the text says why and what to do."""


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: Role
    created: float = 0.0

    @property
    def is_teacher(self) -> bool:
        return self.role is Role.TEACHER


def clean_name(name: str) -> str:
    """The name as stored (spaces collapsed); ``JoinError`` when it cannot be a name."""
    text = " ".join(str(name or "").split())
    if not text:
        raise JoinError("Type your name to join the class.")
    if len(text) > MAX_NAME:
        raise JoinError(f"That name is {len(text)} characters long: use at most {MAX_NAME}.")
    if not _NAME_OK.match(text):
        raise JoinError("Use letters, digits, spaces, dots, apostrophes or dashes in your name.")
    return text


def _person(row: dict) -> Person:
    return Person(str(row["id"]), str(row["name"]), Role(row["role"]), float(row["created"]))


def get_person(db: ClassDB, person_id: str) -> Person | None:
    row = db.row("SELECT * FROM people WHERE id = ?", (person_id,))
    return None if row is None else _person(row)


def people(db: ClassDB, role: Role | None = None) -> list[Person]:
    if role is None:
        rows = db.rows("SELECT * FROM people ORDER BY created")
    else:
        rows = db.rows("SELECT * FROM people WHERE role = ? ORDER BY created", (str(role),))
    return [_person(r) for r in rows]


def join(db: ClassDB, name: str, code: str = "", *, class_code: str = "") -> Person:
    """A new student called ``name``; ``class_code`` is the teacher's (empty: no code needed)."""
    text = clean_name(name)
    if class_code and not hmac.compare_digest(str(code or "").strip(), class_code):
        raise JoinError("That class code is not right: ask your teacher for it.")
    taken = db.row(
        "SELECT id FROM people WHERE role = ? AND name = ? COLLATE NOCASE",
        (str(Role.STUDENT), text),
    )
    if taken is not None:
        raise JoinError(
            f"Someone in this class already joined as {text!r}: add your last name or an initial."
        )
    person = Person("s-" + secrets.token_hex(6), text, Role.STUDENT, time.time())
    db.execute(
        "INSERT INTO people (id, name, role, created) VALUES (?, ?, ?, ?)",
        (person.id, person.name, str(person.role), person.created),
    )
    return person


def unlock_teacher(db: ClassDB, key: str, *, teacher_key: str) -> Person:
    """The teacher, when ``key`` is the server's teacher key (one teacher record per server)."""
    if not teacher_key or not hmac.compare_digest(str(key or "").strip(), teacher_key):
        raise JoinError(
            "That is not the teacher key: it was printed when the server started "
            "(or set it with CNNVIZ_TEACHER_KEY)."
        )
    row = db.row("SELECT * FROM people WHERE role = ? ORDER BY created", (str(Role.TEACHER),))
    if row is not None:
        return _person(row)
    person = Person("t-" + secrets.token_hex(6), "Teacher", Role.TEACHER, time.time())
    db.execute(
        "INSERT INTO people (id, name, role, created) VALUES (?, ?, ?, ?)",
        (person.id, person.name, str(person.role), person.created),
    )
    return person


__all__ = [
    "MAX_NAME",
    "JoinError",
    "Person",
    "Role",
    "clean_name",
    "get_person",
    "join",
    "people",
    "unlock_teacher",
]
