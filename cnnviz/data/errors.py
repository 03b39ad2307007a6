"""The errors the data layer raises: each message names the cause and the fix, for the user."""

from __future__ import annotations


class DatasetUnavailable(Exception):
    """The data cannot be had: files missing, download failed, folder empty or unreadable.

    ``str(e)`` is a complete message for the page (which folder, which files, what to do).
    """


class UnsafeArchive(Exception):
    """An uploaded ZIP was refused (path escaping the folder, bomb, too big, encrypted, not a ZIP)."""
