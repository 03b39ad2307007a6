"""People: students who join with a name, and the teacher who unlocks with the key.

A person is a row in the database with a random id; the browser holds a signed
token for that id and one *sign-in* (``cnnviz.classroom.tokens``), never the
name. Names are compared by their skeleton (``cnnviz.classroom.names``): a
second "Ada" (or "ＡＤＡ", or "Аda" with a Cyrillic А) is asked to pick another
name. The teacher can close joining, the class has a size (``Limits.class_size``),
and a removed person's sign-ins end at once (their runs stay, under their name).
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass
from enum import StrEnum

from cnnviz.classroom.db import ClassDB
from cnnviz.classroom.names import MAX_NAME, NameRefused, skeleton
from cnnviz.classroom.names import clean_name as _clean_name
from cnnviz.classroom.tokens import new_signin_id


class Role(StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"


class JoinError(ValueError):
    """A join or unlock the server refuses; the text says why and what to do."""


class WrongSecret(JoinError):
    """A wrong class code or teacher key (these count against the computer's tries)."""


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: Role
    created: float = 0.0
    removed: float | None = None

    @property
    def is_teacher(self) -> bool:
        return self.role is Role.TEACHER


def clean_name(name: str) -> str:
    """The name as stored (NFKC, spaces collapsed); ``JoinError`` when it cannot be a name."""
    try:
        return _clean_name(name)
    except NameRefused as e:
        raise JoinError(str(e)) from e


def _person(row: dict) -> Person:
    removed = row.get("removed")
    return Person(
        str(row["id"]),
        str(row["name"]),
        Role(row["role"]),
        float(row["created"]),
        None if removed is None else float(removed),
    )


def get_person(db: ClassDB, person_id: str) -> Person | None:
    """The person with this id, removed or not (``Person.removed`` says)."""
    row = db.row("SELECT * FROM people WHERE id = ?", (person_id,))
    return None if row is None else _person(row)


def people(db: ClassDB, role: Role | None = None, *, removed: bool = False) -> list[Person]:
    """The people who joined, oldest first (``removed=True``: the removed ones too)."""
    sql, args = "SELECT * FROM people WHERE 1 = 1", []
    if role is not None:
        sql, args = sql + " AND role = ?", [str(role)]
    if not removed:
        sql += " AND removed IS NULL"
    return [_person(r) for r in db.rows(sql + " ORDER BY created", args)]


def _insert(db: ClassDB, person: Person) -> None:
    db.execute(
        "INSERT INTO people (id, name, role, created, skeleton) VALUES (?, ?, ?, ?, ?)",
        (person.id, person.name, str(person.role), person.created, skeleton(person.name)),
    )


def join(
    db: ClassDB,
    name: str,
    code: str = "",
    *,
    class_code: str = "",
    class_size: int = 0,
    joining_open: bool = True,
) -> Person:
    """A new student called ``name``; ``class_code`` is the teacher's (empty: no code needed).

    Refused (``JoinError``, nothing written) when the teacher closed joining, the class is
    full (``class_size`` students; 0: no limit), the name cannot be one or looks like one
    already in the class, or the code is wrong (``WrongSecret``).
    """
    if not joining_open:
        raise JoinError("The teacher has closed joining for now: ask your teacher to open it.")
    if class_size > 0 and len(people(db, Role.STUDENT)) >= class_size:
        raise JoinError(
            f"The class is full ({class_size} student{'s' if class_size != 1 else ''}): "
            "ask your teacher to make room."
        )
    text = clean_name(name)
    if class_code and not hmac.compare_digest(
        str(code or "").strip().encode(), class_code.encode()
    ):
        raise WrongSecret("That class code is not right: ask your teacher for it.")
    mine = skeleton(text)
    for other in people(db):
        if skeleton(other.name) == mine:
            raise JoinError(
                f"Someone in this class already joined as {other.name!r}, or a name that looks "
                "just like it: add your last name or an initial."
            )
    person = Person("s-" + secrets.token_hex(6), text, Role.STUDENT, time.time())
    try:
        _insert(db, person)
    except sqlite3.IntegrityError as e:  # the same name, joined a moment ago on another laptop
        raise JoinError(
            f"Someone in this class just joined as {text!r}: add your last name or an initial."
        ) from e
    return person


def unlock_teacher(db: ClassDB, key: str, *, teacher_key: str) -> Person:
    """The teacher, when ``key`` is the server's teacher key (one teacher record per server)."""
    if not teacher_key or not hmac.compare_digest(
        str(key or "").strip().encode(), teacher_key.encode()
    ):
        raise WrongSecret(
            "That is not the teacher key: it was printed when the server started "
            "(or set it with CNNVIZ_TEACHER_KEY)."
        )
    row = db.row(
        "SELECT * FROM people WHERE role = ? AND removed IS NULL ORDER BY created",
        (str(Role.TEACHER),),
    )
    if row is not None:
        return _person(row)
    person = Person("t-" + secrets.token_hex(6), "Teacher", Role.TEACHER, time.time())
    _insert(db, person)
    return person


def remove(db: ClassDB, person_id: str) -> None:
    """Mark a student removed and end every sign-in of theirs (their runs stay)."""
    db.execute(
        "UPDATE people SET removed = ? WHERE id = ? AND removed IS NULL", (time.time(), person_id)
    )
    end_all_signins(db, person_id)


# -- sign-ins: what a token names, and Sign out takes back ----------------------------
def new_signin(db: ClassDB, person_id: str) -> str:
    sid = new_signin_id()
    db.execute(
        "INSERT INTO signins (id, person, created) VALUES (?, ?, ?)", (sid, person_id, time.time())
    )
    return sid


def signin_valid(db: ClassDB, person_id: str, signin: str) -> bool:
    row = db.row("SELECT person FROM signins WHERE id = ?", (signin,)) if signin else None
    return row is not None and row["person"] == person_id


def end_signin(db: ClassDB, signin: str) -> None:
    db.execute("DELETE FROM signins WHERE id = ?", (signin,))


def end_all_signins(db: ClassDB, person_id: str) -> None:
    db.execute("DELETE FROM signins WHERE person = ?", (person_id,))


__all__ = [
    "MAX_NAME",
    "JoinError",
    "Person",
    "Role",
    "WrongSecret",
    "clean_name",
    "end_all_signins",
    "end_signin",
    "get_person",
    "join",
    "new_signin",
    "people",
    "remove",
    "signin_valid",
    "unlock_teacher",
]
