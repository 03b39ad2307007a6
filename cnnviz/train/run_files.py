"""Writing a run folder's files so that a full disk is a message, not a mess.

The file names of a run folder are defined here (``SPEC_FILE`` ... ``BEST_WEIGHTS``).
``writing(folder, what, *tmp)`` turns an ``OSError`` into ``RunWriteError``
("The disk is full: weights.pt could not be written to run 2026…-a1b2c3") and
removes the named temporary files; ``write_json_atomic`` writes ``x.tmp`` then
renames it over ``x``, so a reader sees the old file or the new one, never half.
``remember_final``/``ended_here``: a run's last status that the disk could not
take, kept in this process so the run does not read "running" for as long as
the server lives.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cnnviz.train.gradients import GRADIENTS_FILE

# The files of a run folder, named once: the store writes and reads them, pages and tools look.
SPEC_FILE = "spec.json"  # the network
CONFIG_FILE = "config.json"  # the training settings and the data's facts
STATUS_FILE = "status.json"  # running / finished / stopped / failed, and the results
ITER_METRICS = "metrics_iter.csv"  # loss and accuracy per iteration
EPOCH_METRICS = "metrics_epoch.csv"  # per epoch, with validation
WEIGHTS = "weights.pt"  # the last finished epoch's weights
BEST_WEIGHTS = "best.pt"  # the best validation epoch's weights, beside weights.pt
# GRADIENTS_FILE (cnnviz.train.gradients): each layer's gradients over time; older runs lack it
RUN_FILES = (
    SPEC_FILE,
    CONFIG_FILE,
    STATUS_FILE,
    ITER_METRICS,
    EPOCH_METRICS,
    WEIGHTS,
    BEST_WEIGHTS,
    GRADIENTS_FILE,
)


class RunWriteError(RuntimeError):
    """A run folder cannot be written (the disk is full, or the folder is gone).

    ``advice`` says what to do, in the course's words.
    """

    def __init__(self, message: str, advice: str = "") -> None:
        super().__init__(message)
        self.advice = advice


DISK_FULL_ADVICE = (
    "Free some space (delete old runs you no longer need from the runs folder) and train "
    "again; the weights of the last finished epoch are kept."
)

# Final statuses this process could not write (disk full): read in their place.
_ENDED_HERE: dict[str, dict] = {}
_ENDED_LOCK = threading.Lock()


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` and make it durable (one place, so tests can fill the disk)."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


@contextlib.contextmanager
def writing(folder: Path, what: str, *tmp: Path, where: str = "") -> Iterator[None]:
    """Turn a failed write into a RunWriteError that names the run (``folder``'s name, or
    ``where``), never the server's path: the reason is shown to students; remove ``tmp``."""
    try:
        yield
    except OSError as e:
        for t in tmp:
            with contextlib.suppress(OSError):
                t.unlink(missing_ok=True)
        place = where or f"run {folder.name}"
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise RunWriteError(
                f"The disk is full: {what} could not be written to {place}.",
                DISK_FULL_ADVICE,
            ) from None
        raise RunWriteError(
            f"{what} could not be written to {place} ({e.strerror or 'error ' + str(e.errno)}).",
            "Check that the runs folder exists and can be written, then train again.",
        ) from None


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with writing(path.parent, path.name, tmp):
        write_file(tmp, json.dumps(data, indent=2, default=_jsonable).encode())
        os.replace(tmp, path)


def _jsonable(v: Any) -> Any:
    if hasattr(v, "tolist"):
        return v.tolist()
    if isinstance(v, tuple | set):
        return list(v)
    return str(v)


def remember_final(folder: Path, status: dict) -> None:
    with _ENDED_LOCK:
        _ENDED_HERE[str(folder.resolve())] = status


def ended_here(folder: Path) -> dict | None:
    with _ENDED_LOCK:
        return _ENDED_HERE.get(str(folder.resolve()))
