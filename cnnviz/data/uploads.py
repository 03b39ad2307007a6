"""Uploaded ZIPs on the server's disk: only while they are read, and within budgets.

An upload is unpacked into its own folder under ``<data folder>/uploads``, read
into a bundle (which lives in memory), and deleted again: the disk never keeps
what students upload. Two budgets, both in MB of unpacked images:

- ``CNNVIZ_UPLOADS_TOTAL_MB`` (default 1024): all uploads being unpacked at
  once, over every session; past it, "the server is busy reading other
  uploads, try again in a minute";
- ``CNNVIZ_UPLOADS_SESSION_MB`` (default 1024): what one session may unpack in
  an hour (``charge_session(session, nbytes)`` with any mutable mapping).

Folders left behind by a crash (or by older versions, which kept them) are
swept when the next upload is unpacked (older than an hour).
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from cnnviz.data.errors import DatasetUnavailable
from cnnviz.settings.env import number

STALE_S = 3600.0
_SESSION_KEY = "cnnviz.uploads.charged"  # [(time, bytes), ...] in the session
_lock = threading.Lock()
_in_flight = 0  # unpacked bytes on disk right now, over all sessions


def _mb_env(name: str, default: int) -> int:
    return int(number(name, default, low=0, high=2**30, bad="clamp") * 2**20)


def total_budget() -> int:
    return _mb_env("CNNVIZ_UPLOADS_TOTAL_MB", 1024)


def session_budget() -> int:
    return _mb_env("CNNVIZ_UPLOADS_SESSION_MB", 1024)


def uploads_dir() -> Path:
    from cnnviz.data.registry import default_data_dir

    return default_data_dir() / "uploads"


def unpacked_size(data: bytes) -> int:
    """What the ZIP says it unpacks to (extract_zip checks the real bytes as it writes)."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return len(data)  # extract_zip will say what is wrong with it


def charge_session(session: MutableMapping[str, Any], nbytes: int) -> None:
    """Count ``nbytes`` against the session's hourly budget, or DatasetUnavailable."""
    now = time.time()
    spent = [(t, n) for t, n in session.get(_SESSION_KEY, []) if now - t < 3600]
    used = sum(n for _, n in spent)
    budget = session_budget()
    if used + nbytes > budget:
        raise DatasetUnavailable(
            f"this session has unpacked {used / 2**20:,.0f} MB of uploads in the last hour; "
            f"{nbytes / 2**20:,.0f} MB more would pass the {budget / 2**20:,.0f} MB one person "
            "may use here: wait a while, or upload fewer or smaller images."
        )
    session[_SESSION_KEY] = [*spent, (now, nbytes)]


def sweep_stale(base: Path | None = None, max_age_s: float = STALE_S) -> int:
    """Delete upload folders older than ``max_age_s``; how many were deleted."""
    base = base or uploads_dir()
    gone = 0
    with contextlib.suppress(FileNotFoundError):
        for p in base.iterdir():
            with contextlib.suppress(OSError):
                if time.time() - p.lstat().st_mtime > max_age_s:
                    if p.is_dir() and not p.is_symlink():
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        p.unlink()
                    gone += 1
    return gone


@contextlib.contextmanager
def unpacked(data: bytes, digest: str) -> Iterator[Path]:
    """Unpack ``data`` (checked by extract_zip) into a fresh folder; yield its root; delete it."""
    global _in_flight
    from cnnviz.data.folders import extract_zip

    need = unpacked_size(data)
    with _lock:
        if _in_flight and _in_flight + need > total_budget():
            raise DatasetUnavailable(
                f"the server is busy reading other people's uploads ({_in_flight / 2**20:,.0f} MB): "
                "try again in a minute."
            )
        _in_flight += need
    base = uploads_dir()
    dest = base / f"{digest}-{uuid.uuid4().hex[:8]}"
    try:
        sweep_stale(base)
        yield extract_zip(data, dest)
    finally:
        shutil.rmtree(dest, ignore_errors=True)
        with _lock:
            _in_flight -= need


__all__ = [
    "charge_session",
    "session_budget",
    "sweep_stale",
    "total_budget",
    "unpacked",
    "unpacked_size",
    "uploads_dir",
]
