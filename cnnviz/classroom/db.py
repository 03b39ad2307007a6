"""The classroom's database: one SQLite file (stdlib ``sqlite3``) beside the runs.

It keeps what must survive a server restart: the server's token secret, the
people who joined, who owns which run (and whether it is shared with the
class), the queue's entries, the teacher's limits and the design sent to the
class. One connection per process, used under a lock (the server's pages and
the queue's dispatcher run in different threads); WAL mode so a reader never
waits for a writer.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

FILE_NAME = "classroom.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS people (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS people_name ON people (role, name COLLATE NOCASE);
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
"""


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
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(SCHEMA)

    @classmethod
    def in_folder(cls, folder: str | os.PathLike) -> ClassDB:
        return cls(Path(folder) / FILE_NAME)

    def execute(self, sql: str, args: tuple | list = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, args)

    def rows(self, sql: str, args: tuple | list = ()) -> list[dict[str, Any]]:
        with self._lock:
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


__all__ = ["FILE_NAME", "ClassDB"]
