"""A student's own images on a class server: uploaded into their own folder, within a quota.

``unpack`` runs every check of ``cnnviz.classroom.uploads.upload_zip`` (quota,
disk, budgets, the decoded-size estimate) and turns each refusal into a
``QuotaError`` message; ``usage_caption`` shows the space used and the
student's uploads, each with Delete (which frees the quota).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from cnnviz.classroom import uploads
from cnnviz.classroom.errors import RoomError
from cnnviz.text.escape import for_markdown
from cnnviz.ui.classroom import session


def students_only() -> bool:
    """True when this person may not use server folders (a student on a class server)."""
    return session.is_student()


def _folder() -> Path:
    person = session.me()
    if person is None:
        raise uploads.QuotaError("Join the class first.")
    return uploads.student_folder(session.room().runs_root, person.id)


SEEN = "cnnviz.class.uploads.seen"  # the ZIP's digest -> the upload box's file ids
DELETED = "cnnviz.class.uploads.deleted"  # file ids whose upload the student deleted


def unpack(up: Any) -> Path:
    """Unpack the student's uploaded ZIP (``st.file_uploader``'s file) into their folder
    (``QuotaError`` / ``UnsafeArchive`` say why not)."""
    person = session.me()
    if person is None:
        raise uploads.QuotaError("Join the class first.")
    data, name, fid = up.getvalue(), str(up.name), str(getattr(up, "file_id", ""))
    if fid and fid in st.session_state.get(DELETED, set()):  # still in the box after Delete
        raise uploads.QuotaError(
            f"You deleted {name} from the server: upload a ZIP again to use your own images."
        )
    key = uploads.digest(data)
    st.session_state.setdefault(SEEN, {}).setdefault(key, set()).add(fid)
    folder = uploads.student_folder(session.room().runs_root, person.id)
    new = not (folder / key / uploads.DONE).is_file()
    try:
        root = uploads.upload_zip(session.room(), person, data, name)
    except RoomError as e:  # the disk floor, the student's disk budget, the database
        raise uploads.QuotaError(str(e)) from e
    if new:  # drawn again, so that the space used and the list above count this upload
        st.rerun()
    return root


def _delete(folder: Path, key: str) -> None:
    try:
        uploads.remove(folder, key)
        seen = st.session_state.get(SEEN, {}).pop(key, set())
        st.session_state[DELETED] = st.session_state.get(DELETED, set()) | seen
    except (uploads.QuotaError, OSError) as e:
        st.toast(
            for_markdown(e)
            if isinstance(e, uploads.QuotaError)
            else "That upload could not be deleted."
        )


def usage_caption() -> None:
    """How much of the student's upload space is used, and their uploads with Delete."""
    try:
        folder = _folder()
    except (uploads.QuotaError, ValueError):
        return
    use, lim = uploads.usage(folder), session.room().limits()
    st.caption(
        f"Your upload space: {use.files:,} of {lim.upload_files:,} files, "
        f"{use.bytes / 2**20:.1f} of {lim.upload_mb} MB (your uploads only; the teacher sets the limit)."
    )
    for up in uploads.listing(folder):
        row = st.container(horizontal=True, vertical_alignment="center", key=f"class_up_{up.key}")
        row.text(f"{up.name} · {up.files:,} files · {up.bytes / 2**20:.1f} MB")
        row.button(
            "Delete",
            key=f"class.upload.delete.{up.key}",
            icon=":material/delete:",
            on_click=_delete,
            args=(folder, up.key),
            help="Deletes these unpacked images from the server (frees your upload space).",
        )
