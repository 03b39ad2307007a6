"""The classroom's database: one SQLite file (stdlib ``sqlite3``) beside the runs.

It keeps what must survive a server restart: the server's token secret, the
people who joined, who owns which run (and whether it is shared with the
class), the queue's entries, the teacher's limits and the design sent to the
class. One connection per process, used under a lock (the server's pages and
the queue's dispatcher run in different threads); WAL mode so a reader never
waits for a writer. SQLite's own failures (the disk is full, the file is locked)
come out as ``StorageError``, a message for the page, never a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cnnviz.classroom.errors import StorageError

FILE_NAME = "classroom.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS people (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS signins (
    id TEXT PRIMARY KEY,
    person TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS signins_person ON signins (person);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    shared INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS queue (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    state TEXT NOT NULL,
    seq REAL NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    dataset TEXT NOT NULL DEFAULT '',
    params INTEGER NOT NULL DEFAULT 0,
    epochs INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    ended REAL,
    run_id TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS broadcasts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    spec TEXT NOT NULL,
    settings TEXT NOT NULL,
    title TEXT NOT NULL,
    sent REAL NOT NULL
);
-- predict, then reveal (classroom.questions): the teacher's questions and each student's answer
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '[]',
    setup TEXT NOT NULL DEFAULT '{}',
    right TEXT,
    state TEXT NOT NULL,
    asked REAL NOT NULL,
    deadline REAL NOT NULL,
    revealed REAL,
    experiment TEXT
);
CREATE TABLE IF NOT EXISTS answers (
    question INTEGER NOT NULL,
    student TEXT NOT NULL,
    answer TEXT NOT NULL,
    answered REAL NOT NULL,
    PRIMARY KEY (question, student)
);
-- challenges (classroom.challenges) and who has met them
CREATE TABLE IF NOT EXISTS challenges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    body TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS challenge_progress (
    challenge INTEGER NOT NULL,
    person TEXT NOT NULL,
    met INTEGER NOT NULL,
    words TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL,
    PRIMARY KEY (challenge, person)
);
"""


# columns added after the first release: (table, column, declaration)
_ADDED = (
    ("people", "skeleton", "TEXT NOT NULL DEFAULT ''"),  # the name as compared (see people)
    ("people", "removed", "REAL"),  # when the teacher removed them (their runs stay)
)
# one active person per role and compared name (a removed name may be taken again)
_INDEXES = """
DROP INDEX IF EXISTS people_name;
CREATE UNIQUE INDEX IF NOT EXISTS people_skeleton ON people (role, skeleton)
    WHERE removed IS NULL AND skeleton != '';
"""


def _message(e: sqlite3.Error) -> str:
    text = str(e).lower()
    if "full" in text or "disk i/o" in text:
        return (
            "The server's disk is full, so nothing was saved: tell your teacher "
            "(they free space by deleting old runs)."
        )
    if "locked" in text or "busy" in text:
        return "The class database is busy: try again in a moment."
    return "The class database could not be read or written: tell your teacher."


@contextmanager
def guarded() -> Iterator[None]:
    """SQLite's operational failures as ``StorageError`` (a constraint error stays itself)."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except sqlite3.Error as e:
        raise StorageError(_message(e)) from e


class ClassDB:
    """A thread-safe handle on the classroom database file."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            os.fspath(self.path), check_same_thread=False, isolation_level=None, timeout=10
        )
        self._conn.row_factory = sqlite3.Row
        with self._lock, guarded():
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(SCHEMA)
            for table, column, decl in _ADDED:
                have = {r[1] for r in self._conn.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
            self._conn.executescript(_INDEXES)

    @classmethod
    def in_folder(cls, folder: str | os.PathLike) -> ClassDB:
        return cls(Path(folder) / FILE_NAME)

    def execute(self, sql: str, args: tuple | list = ()) -> sqlite3.Cursor:
        with self._lock, guarded():
            return self._conn.execute(sql, args)

    def rows(self, sql: str, args: tuple | list = ()) -> list[dict[str, Any]]:
        with self._lock, guarded():
            return [dict(r) for r in self._conn.execute(sql, args).fetchall()]

    def row(self, sql: str, args: tuple | list = ()) -> dict[str, Any] | None:
        found = self.rows(sql, args)
        return found[0] if found else None

    # -- meta: small named values (the secret, the limits) -----------------------------
    def get_meta(self, key: str) -> str | None:
        r = self.row("SELECT value FROM meta WHERE key = ?", (key,))
        return None if r is None else str(r["value"])

    def set_meta(self, key: str, value: str) -> None:
        self.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def get_json(self, key: str) -> Any:
        raw = self.get_meta(key)
        return None if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any) -> None:
        self.set_meta(key, json.dumps(value))

    def close(self) -> None:
        with self._lock:
            self._conn.close()


__all__ = ["FILE_NAME", "ClassDB", "guarded"]
