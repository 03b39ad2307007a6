"""Whether this server runs for a class: one environment variable, read by the classroom
and the pages. The training code does not ask: the pages tell it
(``server_registry(classroom=...)``), since the classroom builds on it."""

from __future__ import annotations

import os


def class_mode(environ: dict[str, str] | None = None) -> bool:
    """True when the server runs for a class (``CNNVIZ_CLASS=1``)."""
    env = os.environ if environ is None else environ
    return str(env.get("CNNVIZ_CLASS", "")).strip().lower() in ("1", "true", "yes", "on")


__all__ = ["class_mode"]
