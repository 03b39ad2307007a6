"""The formats of training job ids and run ids, made and checked in one place.

A job id is 12 lowercase hex digits (``3f9c0a1b2c4d``); a run id is its
folder's name, ``<YYYYmmdd>-<HHMMSS>-<label>-<6 hex>`` with a label of at most
40 letters, digits, ``_ . -``. Anything else that arrives in ``?job=`` or
``?run=`` is not an id and is never looked up, shown or used in a path.
"""

from __future__ import annotations

import re
import time
import uuid

_JOB = re.compile(r"[0-9a-f]{12}")
_RUN = re.compile(r"\d{8}-\d{6}-[A-Za-z0-9_.-]{1,40}-[0-9a-f]{6}")
_LABEL_BAD = re.compile(r"[^A-Za-z0-9_.-]+")


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


def label_slug(text: str) -> str:
    """A label safe in a folder name (at most 40 characters; "net" when nothing is left)."""
    s = _LABEL_BAD.sub("-", text).strip("-.")[:40].strip("-.")
    return s or "net"


def new_run_id(label: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{label_slug(label)}-{uuid.uuid4().hex[:6]}"


def is_job_id(value: object) -> bool:
    return isinstance(value, str) and _JOB.fullmatch(value) is not None


def is_run_id(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 80 and _RUN.fullmatch(value) is not None


__all__ = ["is_job_id", "is_run_id", "label_slug", "new_job_id", "new_run_id"]
