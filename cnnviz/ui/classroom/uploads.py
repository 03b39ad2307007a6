"""A student's own images on a class server: uploaded into their own folder, within a quota."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cnnviz.classroom import uploads
from cnnviz.ui.classroom import session


def students_only() -> bool:
    """True when this person may not use server folders (a student on a class server)."""
    return session.is_student()


def _folder() -> Path:
    person = session.me()
    if person is None:
        raise uploads.QuotaError("Join the class first.")
    return uploads.student_folder(session.room().runs_root, person.id)


def unpack(data: bytes) -> Path:
    """Unpack the student's ZIP into their folder (``QuotaError`` / ``UnsafeArchive`` say why not)."""
    lim = session.room().limits()
    return uploads.unpack(_folder(), data, max_files=lim.upload_files, max_mb=lim.upload_mb)


def usage_caption() -> None:
    """How much of the student's upload space is used."""
    try:
        folder = _folder()
    except (uploads.QuotaError, ValueError):
        return
    use, lim = uploads.usage(folder), session.room().limits()
    st.caption(
        f"Your upload space: {use.files:,} of {lim.upload_files:,} files, "
        f"{use.bytes / 2**20:.1f} of {lim.upload_mb} MB (your uploads only; the teacher sets the limit)."
    )
