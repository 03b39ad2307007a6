"""Room on the server's disk: a floor the server keeps free, and a budget per student.

One gate, ``check_room_for(room, person, nbytes)``, called before anything of a
person's is written: a join (a database row), an upload (its unpacked bytes) and
a training's Start (its run folder). It raises ``DiskFull`` (a ``RoomError``, a
message for the page) when

- the disk holding the runs folder would have less than ``CNNVIZ_MIN_FREE_MB``
  (default 200) free: the server keeps that for its database and the runs already
  training (the teacher is held to it too);
- a student's runs and uploads together would pass ``Limits.student_disk_mb``
  (``CNNVIZ_STUDENT_DISK_MB``, default 500; on the Teacher page).

``free_bytes`` is the one place the free space is read (tests patch it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from cnnviz.classroom.errors import RoomError
from cnnviz.classroom.uploads import student_folder
from cnnviz.data.uploads import folder_bytes
from cnnviz.settings.env import number

MB = 2**20
DEFAULT_MIN_FREE_MB = 200


class DiskFull(RoomError):
    """Not enough room on the disk, or in the person's budget; nothing was written."""


def free_bytes(path: str | os.PathLike) -> int:
    """Free bytes on the disk that holds ``path`` (its nearest existing parent)."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    return int(shutil.disk_usage(p).free)


def min_free_bytes(environ: dict[str, str] | None = None) -> int:
    mb = number(
        "CNNVIZ_MIN_FREE_MB", DEFAULT_MIN_FREE_MB, low=0, high=1e9, bad="default", env=environ
    )
    return int(mb * MB)


def used_by(room: Any, person_id: str) -> int:
    """Bytes of the person's run folders and uploads on the server's disk."""
    root = Path(room.runs_root)
    total = 0
    for r in room.db.rows("SELECT run_id FROM runs WHERE owner = ?", (person_id,)):
        folder = root / str(r["run_id"])
        if folder.parent == root:
            total += folder_bytes(folder)
    with contextlib.suppress(ValueError):  # not a student's id: no upload folder
        total += folder_bytes(student_folder(root, person_id))
    return total


def check_floor(path: str | os.PathLike, nbytes: int = 0) -> None:
    """``DiskFull`` when writing ``nbytes`` would leave less than the server's floor free."""
    free, floor = free_bytes(path), min_free_bytes()
    if free - max(int(nbytes), 0) < floor:
        raise DiskFull(
            f"The server's disk is almost full ({free / MB:,.0f} MB free; the server keeps "
            f"{floor / MB:,.0f} MB free), so nothing was saved: tell your teacher, who can free "
            "space by deleting old runs."
        )


def check_room_for(room: Any, person: Any, nbytes: int = 0) -> None:
    """``DiskFull`` unless ``nbytes`` more of ``person``'s fit: the floor, then their budget."""
    check_floor(room.runs_root, nbytes)
    if person is None or getattr(person, "is_teacher", False):
        return
    budget = int(room.limits().student_disk_mb) * MB
    used = used_by(room, person.id)
    if used + max(int(nbytes), 0) > budget:
        raise DiskFull(
            f"Your runs and uploads take {used / MB:,.1f} MB of your {budget / MB:,.0f} MB on "
            "the server"
            + (f", and this needs {nbytes / MB:,.1f} MB more" if nbytes else "")
            + ": delete old runs on the Runs page, or uploads under the upload box on the "
            "Train page."
        )


__all__ = ["DiskFull", "check_floor", "check_room_for", "free_bytes", "min_free_bytes", "used_by"]
