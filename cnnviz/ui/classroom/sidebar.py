"""The sidebar's class lines: who is signed in (Sign out; the teacher also Sign out
everywhere), or the open-server warning."""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom.errors import RoomError
from cnnviz.text.escape import for_markdown
from cnnviz.ui.classroom import session

LOCAL = {"127.0.0.1", "localhost", "::1"}


def listens_beyond_localhost() -> bool:
    """True when the server accepts connections from other computers (server.address)."""
    address = str(st.get_option("server.address") or "").strip()
    return address not in LOCAL


def render() -> None:
    """Inside ``st.sidebar``."""
    if not session.enabled():
        if listens_beyond_localhost():
            st.warning(
                "This server listens beyond this computer, and it is not in class mode: "
                "**every visitor can use the server's folders** (the Data folder, "
                "your own images from a server folder, Download) and stop anyone's training. "
                "For a class, start it with `CNNVIZ_CLASS=1` (see the README, "
                "*Teaching a class*).",
                icon=":material/public:",
            )
        return
    person = session.me()
    if person is None:
        return
    role = "teacher" if person.is_teacher else "student"
    st.caption(f":material/person: Signed in as **{for_markdown(person.name)}** ({role})")
    if st.button(
        "Sign out",
        key="class.signout",
        icon=":material/logout:",
        help="Ends this sign-in on the server: the cookie in this browser no longer works.",
    ):
        _then_rerun(session.sign_out)
    if person.is_teacher and st.button(
        "Sign out everywhere",
        key="class.signout.all",
        icon=":material/devices_off:",
        help="Ends the teacher's sign-in on every computer (the projector's too), "
        "e.g. after the key was seen.",
    ):
        _then_rerun(session.sign_out_everywhere)


def _then_rerun(action) -> None:
    try:
        action()
    except RoomError as e:  # the class database could not be written: nothing ended
        st.error(for_markdown(e))
    else:
        st.rerun()
