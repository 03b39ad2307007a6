"""The door of a class server: students join with a name (and the class code); the teacher unlocks."""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom.people import JoinError
from cnnviz.text.escape import for_markdown
from cnnviz.ui.classroom import session


def join_page() -> None:
    """Drawn instead of the app until this browser has joined."""
    st.title("Join the class")
    if note := st.session_state.pop(session.NOTE, None):
        st.info(for_markdown(note), icon=":material/login:")
    r = session.room()
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
        try:
            session.sign_in(r.join(name, code))
        except JoinError as e:
            st.error(for_markdown(e))
        else:
            st.rerun()
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
            try:
                session.sign_in(r.unlock_teacher(key))
            except JoinError as e:
                st.error(for_markdown(e))
            else:
                st.rerun()
