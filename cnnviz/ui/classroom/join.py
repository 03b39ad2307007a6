"""The door of a class server: students join with a name (and the class code); the teacher unlocks.

Every refusal is a message in the page: a name taken or refused, a wrong code or
key, too many tries from this computer (with how long to wait), joining closed,
the class full, the server's disk full.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnviz.classroom.attempts import TooMany
from cnnviz.classroom.errors import RoomError
from cnnviz.classroom.people import JoinError, Person
from cnnviz.text.escape import for_markdown
from cnnviz.ui.classroom import session


def _try(attempt: Callable[[], Person]) -> None:
    try:
        session.sign_in(attempt())  # a sign-in row is written too: inside, for its message
    except TooMany as e:
        st.error(for_markdown(e), icon=":material/hourglass_top:")
    except (JoinError, RoomError) as e:
        st.error(for_markdown(e))
    else:
        st.rerun()


def join_page() -> None:
    """Drawn instead of the app until this browser has joined."""
    st.title("Join the class")
    if note := st.session_state.pop(session.NOTE, None):
        st.info(for_markdown(note), icon=":material/login:")
    r = session.room()
    if not r.joining_open():
        st.warning(
            "The teacher has closed joining for now: if you joined before, your browser "
            "signs you in by itself; otherwise ask your teacher.",
            icon=":material/lock:",
        )
    st.caption(
        "Type your name to join. Your designs, trainings and runs are yours: others in the "
        "class can look at a training you share a link to, but only you and the teacher can "
        "pause or stop it."
    )
    with st.form("class.join", border=True):
        name = st.text_input("Your name", max_chars=40, key="class.join.name")
        code = (
            st.text_input("Class code", key="class.join.code", help="Your teacher gives it to you.")
            if r.class_code
            else ""
        )
        go = st.form_submit_button("Join", type="primary", icon=":material/login:")
    if go:
        _try(lambda: r.join(name, code, client=session.client()))
    with st.expander("I am the teacher", icon=":material/school:"):
        with st.form("class.teacher", border=False):
            key = st.text_input(
                "Teacher key",
                type="password",
                key="class.join.key",
                help="Printed in the terminal when the server started (or CNNVIZ_TEACHER_KEY).",
            )
            unlock = st.form_submit_button("Unlock the teacher's view", icon=":material/key:")
        if unlock:
            _try(lambda: r.unlock_teacher(key, client=session.client()))
