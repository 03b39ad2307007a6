"""Which server folders a visitor may name, and a bounded walk through one.

A server that listens only on this computer (``server.address`` 127.0.0.1,
localhost or ::1) is the user's own: any folder they can type is theirs to
read. A server that listens beyond it (a class) is shared: a typed path could
be another student's upload, a home directory or ``/proc``. There, a visitor
may type a server folder only if the operator allowed some with
``CNNVIZ_ALLOWED_DATA_ROOTS`` (folders separated by ``:``; ``;`` on Windows),
and only inside one of them, links resolved first (a link that leads out is
refused).

``check_server_folder(typed, address=...) -> Path`` is the one check (the
class mode calls it too); it raises ``FolderRefused`` with a message saying
why and what to do instead. ``walk_files(root)`` lists the files under a
folder without following links, and stops at ``MAX_WALK_ENTRIES`` entries,
``MAX_WALK_DEPTH`` levels or ``MAX_WALK_SECONDS`` seconds with a
``FolderRefused`` that names the bound.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from cnnviz.data.errors import DatasetUnavailable
from cnnviz.settings.env import path_list

LOCAL_ADDRESSES = frozenset({"127.0.0.1", "localhost", "::1"})
ENV_ROOTS = "CNNVIZ_ALLOWED_DATA_ROOTS"
MAX_WALK_ENTRIES = 100_000  # files and folders looked at under one folder
MAX_WALK_DEPTH = 6  # class folder = depth 1; deeper sub-folders are rarely images
MAX_WALK_SECONDS = 20.0


class FolderRefused(DatasetUnavailable):
    """A server folder a visitor may not read here, or one too big to walk."""


def is_local_address(address: str | None) -> bool:
    """Whether the server listens on this computer only ("" means every interface)."""
    return (address or "").strip().strip("[]").lower() in LOCAL_ADDRESSES


def allowed_roots() -> list[Path]:
    """The operator's allowed folders (``$CNNVIZ_ALLOWED_DATA_ROOTS``), resolved; [] if none."""
    roots = []
    for part in path_list(ENV_ROOTS):
        try:
            roots.append(Path(part).expanduser().resolve(strict=True))
        except OSError:
            continue  # a root that does not exist allows nothing
    return roots


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check_server_folder(typed: str | os.PathLike, *, address: str | None) -> Path:
    """The folder a visitor typed, resolved, if they may read it here; else FolderRefused."""
    text = os.fspath(typed).strip()
    if not text or "\x00" in text:
        raise FolderRefused("type the folder that holds one sub-folder per class")
    path = Path(text).expanduser()
    if is_local_address(address):
        return path
    roots = allowed_roots()
    if not roots:
        raise FolderRefused(
            "this server is shared (it listens beyond this computer), so folders on it cannot be "
            "typed here: upload a ZIP of your images instead. (The person running the server can "
            f"allow folders with {ENV_ROOTS}.)"
        )
    shown = ", ".join(str(r) for r in roots)
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise FolderRefused(
            f"the folder {text} does not exist here: folders can be read only inside {shown}"
        ) from None
    if not any(_inside(real, r) for r in roots):
        raise FolderRefused(
            f"{text} is outside the folders this server allows ({shown}); links out of them are "
            "not followed: put your images inside one, or upload a ZIP"
        )
    return real


def walk_files(
    root: Path,
    *,
    max_entries: int = MAX_WALK_ENTRIES,
    max_depth: int = MAX_WALK_DEPTH,
    max_seconds: float = MAX_WALK_SECONDS,
) -> list[Path]:
    """Every regular file under ``root`` (sorted), links not followed; FolderRefused past a bound."""
    t0 = time.monotonic()
    out: list[Path] = []
    seen = 0
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    seen += 1
                    if seen > max_entries:
                        raise FolderRefused(
                            f"{root} holds more than {max_entries:,} files and folders, the most "
                            "one folder may have here: use a smaller folder"
                        )
                    if time.monotonic() - t0 > max_seconds:
                        raise FolderRefused(
                            f"reading {root} took more than {max_seconds:.0f} s, the most allowed "
                            "here: use a smaller folder (or one on a faster disk)"
                        )
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        if depth + 1 >= max_depth:
                            raise FolderRefused(
                                f"{root} has folders more than {max_depth} levels deep, the most "
                                "allowed here: keep one sub-folder per class with the images inside"
                            )
                        stack.append((Path(entry.path), depth + 1))
                    elif entry.is_file(follow_symlinks=False):
                        out.append(Path(entry.path))
        except PermissionError:
            continue  # a folder we may not read holds nothing for us
        except FileNotFoundError:
            continue
    return sorted(out)


__all__ = [
    "ENV_ROOTS",
    "FolderRefused",
    "allowed_roots",
    "check_server_folder",
    "is_local_address",
    "walk_files",
]
