"""Students' own images on a class server: one folder per student, under a quota.

In class mode nobody types a server path: a student's ZIP is unpacked (with the
same safety checks as everywhere, ``cnnviz.data.folders.extract_zip``) into
``<runs>/classroom-uploads/<person id>/<digest>/``. Before anything is written,
``check_zip`` reads the archive's listing and refuses a ZIP that would take the
student's folder past the teacher's quota (files and megabytes), saying by how
much; ``upload_zip`` adds the server's checks (the disk floor and the student's
disk budget, ``cnnviz.classroom.disk``; the hourly and total upload budgets and
the decoded-size estimate, ``cnnviz.data.uploads``). A refused or broken upload
leaves nothing on the disk; ``listing`` and ``remove`` let a student see and
delete theirs, which frees their quota.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnviz.data import uploads as data_uploads

FOLDER_NAME = "classroom-uploads"
DONE = data_uploads.DONE  # written last in an upload's folder: it holds the images' root
NAME = ".name"  # the ZIP's file name, as the student uploaded it (shown in their list)
_SAFE_ID = re.compile(r"^[a-z]-[0-9a-f]{6,32}$")


class QuotaError(ValueError):
    """The upload would take the student past their quota; the text says by how much."""


@dataclass(frozen=True)
class Usage:
    files: int
    bytes: int


def student_folder(root: str | os.PathLike, person_id: str) -> Path:
    """The student's own upload folder (a person id is never a path: checked)."""
    if not _SAFE_ID.match(person_id):
        raise ValueError(f"not a person id: {person_id!r}")
    return Path(root) / FOLDER_NAME / person_id


def usage(folder: Path) -> Usage:
    files = total = 0
    if folder.is_dir():
        for dirpath, _dirs, names in os.walk(folder):
            for n in names:
                if n in (DONE, NAME):
                    continue
                files += 1
                with contextlib.suppress(OSError):
                    total += (Path(dirpath) / n).stat().st_size
    return Usage(files, total)


def zip_usage(data: bytes) -> Usage:
    """Files and unpacked bytes a ZIP would add (``QuotaError`` if it is not a ZIP)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    except zipfile.BadZipFile as e:
        raise QuotaError("This file is not a ZIP archive.") from e
    return Usage(len(infos), sum(i.file_size for i in infos))


def check_zip(folder: Path, data: bytes | Usage, *, max_files: int, max_mb: int) -> Usage:
    """The usage after adding this ZIP, or ``QuotaError`` naming the limit and the excess."""
    now = usage(folder)
    add = data if isinstance(data, Usage) else zip_usage(data)
    files, total = now.files + add.files, now.bytes + add.bytes
    problems = []
    if files > max_files:
        problems.append(
            f"files: {files:,} would be {files - max_files:,} over your limit of {max_files:,}"
        )
    limit = max_mb * 1024 * 1024
    if total > limit:
        problems.append(
            f"size: {total / 2**20:.1f} MB would be {(total - limit) / 2**20:.1f} MB over your "
            f"limit of {max_mb} MB"
        )
    if problems:
        raise QuotaError(
            "This ZIP does not fit in your upload space ("
            + "; ".join(problems)
            + "). Delete an older upload below, or make the ZIP smaller."
        )
    return Usage(files, total)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _done(dest: Path) -> Path | None:
    done = dest / DONE
    return Path(done.read_text()) if done.is_file() else None


def unpack(
    folder: Path,
    data: bytes,
    *,
    max_files: int,
    max_mb: int,
    name: str = "",
    estimate: data_uploads.ZipEstimate | None = None,
) -> Path:
    """Check the quota, then unpack safely into the student's folder; the images' root."""
    from cnnviz.data.folders import ZIP_MAX_TOTAL_BYTES

    dest = folder / digest(data)
    if (root := _done(dest)) is not None:  # the same ZIP again (every rerun of the page)
        return root
    before = usage(folder)
    add = Usage(estimate.files, estimate.unpacked_bytes) if estimate else zip_usage(data)
    check_zip(folder, add, max_files=max_files, max_mb=max_mb)
    room = max(max_mb * 1024 * 1024 - before.bytes, 1)
    # the bytes actually written are capped too: a header that lies about sizes cannot get past
    root = data_uploads.unpack_into(data, dest, max_total_bytes=min(ZIP_MAX_TOTAL_BYTES, room))
    with contextlib.suppress(OSError):
        (dest / NAME).write_text(" ".join(str(name).split())[:120])
    return root


def upload_zip(room: Any, person: Any, data: bytes, name: str = "") -> Path:
    """A student's ZIP into their folder, after every check (nothing written when refused):
    their quota, the disk (``room.check_room_for``) and the upload budgets."""
    folder = student_folder(room.runs_root, person.id)
    if (root := _done(folder / digest(data))) is not None:
        return root
    est = data_uploads.estimate(data)
    lim = room.limits()
    check_zip(
        folder,
        Usage(est.files, est.unpacked_bytes),
        max_files=lim.upload_files,
        max_mb=lim.upload_mb,
    )
    room.check_room_for(person, est.unpacked_bytes)
    kept = data_uploads.folder_bytes(Path(room.runs_root) / FOLDER_NAME)
    data_uploads.check_budgets(est, kept_bytes=kept, person=person.id)
    root = unpack(
        folder, data, max_files=lim.upload_files, max_mb=lim.upload_mb, name=name, estimate=est
    )
    data_uploads.charge(est, person=person.id)
    return root


@dataclass(frozen=True)
class Upload:
    key: str  # its folder's name (the ZIP's digest)
    name: str  # the ZIP's file name
    files: int
    bytes: int
    created: float


def listing(folder: Path) -> list[Upload]:
    """The student's uploads, newest first, with their names and sizes."""
    out = []
    for p in uploads(folder):
        use = usage(p)
        label = ""
        with contextlib.suppress(OSError):
            label = (p / NAME).read_text().strip()
        out.append(Upload(p.name, label or "upload", use.files, use.bytes, p.stat().st_mtime))
    return out


def uploads(folder: Path) -> list[Path]:
    """The student's unpacked uploads, newest first."""
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )


def remove(folder: Path, name: str) -> None:
    """Delete one upload of this student (only a direct child of their folder)."""
    target = (folder / name).resolve()
    if target.parent != folder.resolve() or not target.is_dir():
        raise QuotaError("That upload is not in your folder.")
    shutil.rmtree(target)


__all__ = [
    "FOLDER_NAME",
    "QuotaError",
    "Usage",
    "Upload",
    "check_zip",
    "listing",
    "remove",
    "student_folder",
    "unpack",
    "upload_zip",
    "uploads",
    "usage",
    "zip_usage",
]
