"""Exit codes of every command, defined once, and the error that means "bad argument"."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # done (a training: finished)
    INVALID = 1  # the design is invalid or does not fit the data; a training failed
    USAGE = 2  # a bad argument, file, preset or run name
    UNAVAILABLE = 3  # the Ray cluster cannot be reached; an optional package is not installed
    STOPPED = 130  # interrupted (Ctrl-C): what was done is kept


class UsageError(Exception):
    """A bad argument, file or preset: exit 2 with this message."""
