"""What app.py asks of the classroom: a signed-in person first, and the teacher's page for the teacher."""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom.errors import RoomError
from cnnviz.text.escape import for_markdown
from cnnviz.ui import jobs as jobs_ui
from cnnviz.ui import state
from cnnviz.ui.classroom import session

SKIP_WAIT = "cnnviz.class.skip_cookie_wait"


def require_person() -> None:
    """On a class server, draw the join form and stop until this browser has joined."""
    if not session.enabled():
        return
    try:
        person = session.me()
    except RoomError as e:  # the class database cannot be read (busy, disk full): say so
        st.error(for_markdown(e), icon=":material/database:")
        st.stop()
    pending = session.write_cookie()
    if person is not None and pending and not st.session_state.get(SKIP_WAIT):
        st.title(f"Welcome, {for_markdown(person.name)}")
        st.caption("Signing you in on this browser…")
        st.button(
            "Continue",
            key="class.signin.continue",
            help="If this page stays for more than a few seconds: your browser may block cookies, "
            "so a refresh will ask for your name again.",
            on_click=lambda: st.session_state.update({SKIP_WAIT: True}),
        )
        st.stop()
    if person is None:
        from cnnviz.ui.classroom.join import join_page

        join_page()
        st.stop()
    from cnnviz.ui.classroom.jobs import entry

    jid = state.job_id()
    # a job still waiting in the class queue is not "lost" to the pages that look for it
    st.session_state[jobs_ui.QUEUED] = {jid} if jid and entry(jid) is not None else set()


def teacher_pages() -> list:
    """The Teacher page (url ``teacher``), listed only for the teacher."""
    if not session.is_teacher():
        return []
    return [
        st.Page(
            "views/teacher.py", title="Teacher", icon=":material/co_present:", url_path="teacher"
        )
    ]
