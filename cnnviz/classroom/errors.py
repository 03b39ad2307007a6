"""The classroom's refusals that are not about ownership: one home for ``RoomError``.

``RoomError`` is a class action refused for a reason the text gives (only the
teacher may, the disk is full, the database is busy); ``StorageError`` is one
raised by the database itself, already in words a student can act on.
"""

from __future__ import annotations


class RoomError(ValueError):
    """A class action refused for a reason other than ownership; the text says why."""


class StorageError(RoomError):
    """The class database could not read or write (disk full, busy); the text says what to do."""


__all__ = ["RoomError", "StorageError"]
