"""Trainings on a class server, seen from the Train page: the queue, the limits, who may act.

Trainings are submitted through the gate (``cnnviz.ui.submit``); a queued one
is shown here: ``waiting_view(entry)`` shows "Waiting: 3rd in line,
starts in about 2 min" and switches the page to the live charts by itself when
the job's turn comes. ``may_control(job_id)`` / ``act(job, action)`` are the
ownership checks behind Pause / Resume / Stop: outside class mode everyone may.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.classroom.entries import Entry, EntryState, ordinal
from cnnviz.classroom.ownership import Action, NotAllowed, allowed
from cnnviz.text.escape import for_markdown
from cnnviz.ui import state
from cnnviz.ui.classroom import session

POLL_S = 1.0
PROJECTOR = "cnnviz.class.projector"  # the job the teacher shows on the projector (read-only)


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return "less than a minute"
    m = round(seconds / 60)
    return f"about {m} min"


def entry(job_id: str | None) -> Entry | None:
    return session.room().queue.entry(job_id) if session.enabled() and job_id else None


def waiting_entry() -> Entry | None:
    """The session's job when it is still in the queue (or was taken out of it), else None."""
    e = entry(state.job_id())
    if e is None or e.state is EntryState.STARTED:
        return None
    return e


def may_control(job_id: str) -> bool:
    """True when this person may pause, resume or stop the job (always, outside class mode)."""
    if not session.enabled():
        return True
    if st.session_state.get(PROJECTOR) == job_id:  # the teacher shows it: read-only
        return False
    e = entry(job_id)
    return allowed(session.me(), Action.STOP, e.owner if e else None)


def act(job: Any, action: str) -> None:
    """Pause / resume / stop ``job`` after the ownership check (a button callback)."""
    if not session.enabled():
        {"pause": job.pause, "resume": job.resume, "stop": job.stop}[action]()
        return
    try:
        session.room().queue.control(job.id, session.me(), Action(action))
    except NotAllowed as e:
        st.toast(for_markdown(e), icon=":material/block:")


def owner_line(job_id: str) -> str | None:
    """Whose training this is, for a page that shows it (None outside class mode)."""
    e = entry(job_id)
    if e is None:
        return None
    me = session.me()
    if st.session_state.get(PROJECTOR) == job_id:
        return f"**{for_markdown(e.owner_name)}**'s training, shown read-only (stop it from the Teacher page)."
    if me is not None and me.id == e.owner:
        return None
    if may_control(job_id):
        return f"**{for_markdown(e.owner_name)}**'s training — you can pause or stop it as the teacher."
    return (
        f"**{for_markdown(e.owner_name)}**'s training — read-only: only "
        f"{for_markdown(e.owner_name)} or the teacher "
        "can pause or stop it."
    )


def place_text(e: Entry) -> str:
    """``Waiting: 3rd in line, starts in about 2 min`` (or what became of the entry)."""
    q = session.room().queue
    place = q.place(e.id)
    if place is None:
        return e.note or str(e.state)
    eta = q.wait_estimate(e.id)
    when = (
        "starts when a training ends"
        if eta is None
        else ("starts in a moment" if eta < 5 else f"starts in {_minutes(eta)}")
    )
    return f"Waiting: {ordinal(place)} in line, {when}."


def _cancel(entry_id: str) -> None:
    try:
        session.room().queue.cancel(entry_id, session.me())
    except NotAllowed as e:
        st.toast(for_markdown(e), icon=":material/block:")


def _waiting_body(entry_id: str) -> None:
    e = session.room().queue.entry(entry_id)
    if e is None:
        return
    if e.state is EntryState.STARTED:
        st.rerun()  # its turn came: the whole page draws the live charts
    if e.state is not EntryState.WAITING:
        st.warning(for_markdown(e.note or f"This job is {e.state}."), icon=":material/cancel:")
        if st.button("New training", icon=":material/restart_alt:", key="class.wait.new"):
            state.set_job_id(None)
            st.rerun()
        return
    who = "" if e.owner == getattr(session.me(), "id", None) else f"{e.owner_name}'s job · "
    n = session.room().limits().jobs_at_once
    st.info(
        f"{for_markdown(who)}{for_markdown(place_text(e))} The server trains {n} network{'s' if n != 1 else ''} "
        "at once; this page switches to the live charts by itself when it starts "
        "(you can close the tab: the run will be yours on the Runs page).",
        icon=":material/hourglass_top:",
    )
    if allowed(session.me(), Action.CANCEL, e.owner):
        st.button(
            "Leave the queue",
            icon=":material/close:",
            key="class.wait.cancel",
            on_click=_cancel,
            args=(entry_id,),
        )


def waiting_view(e: Entry) -> None:
    """The queued job's place and wait, polled about once a second until it starts."""
    live = e.state is EntryState.WAITING
    st.fragment(_waiting_body, run_every=POLL_S if live else None)(e.id)
