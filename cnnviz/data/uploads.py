"""Uploaded ZIPs: what one will cost, known before a byte is written, and two budgets.

``estimate(data)`` reads the archive's listing and each image's header (Pillow
opens an image lazily: its width, height and channels, no pixel decoded), so a
ZIP of a few kilobytes that would decode into gigabytes (a "ZIP bomb" of large
one-colour PNGs) is refused before anything is unpacked or decoded. Two budgets,
both in MB (environment):

- ``CNNVIZ_UPLOADS_SESSION_MB`` (default 1024): decoded image megabytes (width ×
  height × channels of every image, from the headers) one person may upload in
  an hour: a student on a class server, a browser session otherwise;
- ``CNNVIZ_UPLOADS_TOTAL_MB`` (default 1024): unpacked uploads kept on the
  server's disk, everybody's together; past it, an upload is refused until
  older ones are deleted (a student deletes theirs under the upload box).

``unpack_into(data, dest)`` unpacks (``cnnviz.data.folders.extract_zip``) and
leaves nothing behind when it fails part-way; ``unpack_kept`` is the single-user
path (kept under ``<data folder>/uploads``, the same ZIP unpacked once).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import threading
import time
import zipfile
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cnnviz.data.errors import UnsafeArchive
from cnnviz.settings.env import number

HOUR_S = 3600.0
DONE = ".unpacked"  # written last in an upload's folder: it holds the images' root
_SESSION_KEY = "cnnviz.uploads.charged"  # [(time, decoded bytes), ...] in a session
_lock = threading.Lock()
_people: dict[str, list[tuple[float, int]]] = {}  # person id -> [(time, decoded bytes)]


class UploadRefused(UnsafeArchive):
    """An upload refused before it was unpacked (over a budget); the text says which."""


@dataclass(frozen=True)
class ZipEstimate:
    files: int  # entries that are files
    images: int  # of them, images whose header could be read
    unpacked_bytes: int  # on disk once unpacked (the listing's sizes)
    decoded_bytes: int  # width × height × channels of every image (the headers)


def _mb_env(name: str, default: int) -> int:
    return int(number(name, default, low=0, high=2**30, bad="clamp") * 2**20)


def total_budget() -> int:
    return _mb_env("CNNVIZ_UPLOADS_TOTAL_MB", 1024)


def session_budget() -> int:
    return _mb_env("CNNVIZ_UPLOADS_SESSION_MB", 1024)


def uploads_dir() -> Path:
    from cnnviz.data.registry import default_data_dir

    return default_data_dir() / "uploads"


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under ``folder`` (0 when it is missing); links are not followed."""
    total = 0
    for dirpath, _dirs, names in os.walk(folder):
        for n in names:
            with contextlib.suppress(OSError):
                total += (Path(dirpath) / n).lstat().st_size
    return total


def _header_bytes(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int | None:
    """width × height × channels from the image's header (None: not an image we read)."""
    from PIL import Image, UnidentifiedImageError

    from cnnviz.data.image_formats import IMAGE_SUFFIXES, open_user_image

    if PurePosixPath(info.filename).suffix.lower() not in IMAGE_SUFFIXES:
        return None
    try:
        with zf.open(info) as raw, open_user_image(raw) as im:  # lazy: the header only
            return int(im.width) * int(im.height) * len(im.getbands())
    except Image.DecompressionBombError as e:
        raise UploadRefused(
            f"ZIP refused: {info.filename!r} is an image of over "
            f"{2 * Image.MAX_IMAGE_PIXELS:,} pixels: upload smaller images."
        ) from e
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, zipfile.BadZipFile):
        return None  # the loader skips it unread too


def estimate(data: bytes, *, max_members: int | None = None) -> ZipEstimate:
    """Files, unpacked bytes and decoded bytes of a ZIP, from its listing and image headers."""
    from cnnviz.data.folders import ZIP_MAX_MEMBERS

    cap = ZIP_MAX_MEMBERS if max_members is None else max_members
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise UnsafeArchive(
            "this is not a ZIP file: upload a .zip of a folder with one sub-folder per class."
        ) from e
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > cap:
            raise UnsafeArchive(
                f"the ZIP has {len(infos):,} entries; at most {cap:,} are accepted: "
                "upload fewer images."
            )
        images = decoded = 0
        for info in infos:
            n = _header_bytes(zf, info)
            if n is not None:
                images, decoded = images + 1, decoded + n
    return ZipEstimate(len(infos), images, sum(i.file_size for i in infos), decoded)


def _spent(entries: list[tuple[float, int]]) -> list[tuple[float, int]]:
    now = time.time()
    return [(t, n) for t, n in entries if now - t < HOUR_S]


def check_budgets(
    est: ZipEstimate,
    *,
    kept_bytes: int,
    person: str | None = None,
    session: MutableMapping[str, Any] | None = None,
) -> None:
    """``UploadRefused`` when ``est`` is over the hourly budget of ``person`` (a class
    server) or ``session``, or would take the kept uploads (``kept_bytes``) past the total."""
    with _lock:
        if person is not None:
            used = sum(n for _, n in _spent(_people.get(person, [])))
        else:
            used = sum(n for _, n in _spent((session or {}).get(_SESSION_KEY, [])))
    budget, mb = session_budget(), 2**20
    if used + est.decoded_bytes > budget:
        raise UploadRefused(
            f"ZIP refused before unpacking: its {est.images:,} images decode to "
            f"{est.decoded_bytes / mb:,.1f} MB, and with the {used / mb:,.1f} MB you uploaded "
            f"in the last hour that passes the {budget / mb:,.0f} MB one person may upload in "
            "an hour: upload fewer or smaller images, or wait."
        )
    total = total_budget()
    if kept_bytes + est.unpacked_bytes > total:
        raise UploadRefused(
            f"The server's upload space is full ({kept_bytes / mb:,.1f} MB of "
            f"{total / mb:,.0f} MB kept; this ZIP unpacks to {est.unpacked_bytes / mb:,.1f} MB): "
            "delete an upload you no longer need, or ask the teacher."
        )


def charge(
    est: ZipEstimate,
    *,
    person: str | None = None,
    session: MutableMapping[str, Any] | None = None,
) -> None:
    """Count an unpacked upload against ``person``'s (or ``session``'s) hourly budget."""
    entry = (time.time(), est.decoded_bytes)
    with _lock:
        if person is not None:
            _people[person] = [*_spent(_people.get(person, [])), entry]
        elif session is not None:
            session[_SESSION_KEY] = [*_spent(session.get(_SESSION_KEY, [])), entry]


def unpack_into(data: bytes, dest: Path, *, max_total_bytes: int | None = None) -> Path:
    """``extract_zip`` into ``dest`` (a new folder); on any failure nothing is left there."""
    from cnnviz.data.folders import ZIP_MAX_TOTAL_BYTES, extract_zip

    cap = ZIP_MAX_TOTAL_BYTES if max_total_bytes is None else max_total_bytes
    if dest.exists():
        shutil.rmtree(dest, ignore_errors=True)
    try:
        root = extract_zip(data, dest, max_total_bytes=cap)
        (dest / DONE).write_text(str(root))
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return root


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def unpack_kept(data: bytes, session: MutableMapping[str, Any] | None = None) -> Path:
    """Single-user path: unpack under ``<data folder>/uploads/<digest>`` within the budgets."""
    base = uploads_dir()
    dest = base / digest(data)
    if (dest / DONE).is_file():  # the same ZIP again (every rerun of the page)
        return Path((dest / DONE).read_text())
    est = estimate(data)
    check_budgets(est, kept_bytes=folder_bytes(base), session=session)
    root = unpack_into(data, dest)
    charge(est, session=session)
    return root


__all__ = [
    "DONE",
    "UploadRefused",
    "ZipEstimate",
    "charge",
    "check_budgets",
    "digest",
    "estimate",
    "folder_bytes",
    "session_budget",
    "total_budget",
    "unpack_into",
    "unpack_kept",
    "uploads_dir",
]
