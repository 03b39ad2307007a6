"""The server's training jobs, seen from a page (Train, Runs, Inspect, Learn, the class pages).

Watching, attaching and forgetting a job live here; starting one is the
submission gate's (``cnnviz.ui.submit``).

One ``JobRegistry`` per server process (``cnnviz.train.jobs.server_registry``):
every session (browser tab) shares it, so a refresh or a second tab finds the
same job by its id (kept in the session and in ``?job=``, see ``cnnviz.ui.state``).
It is not in ``st.cache_resource``: a client's ``clear_cache`` (the menu's
"Clear cache", or a crafted websocket message) clears Streamlit's caches for
every session, and that must not stop anybody's training.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnviz.classroom.mode import class_mode
from cnnviz.text.escape import for_markdown
from cnnviz.train.job import Job
from cnnviz.train.jobs import JobRegistry, server_registry
from cnnviz.ui import state

QUEUED = "cnnviz.class.queued"  # a class server: the session's job id is waiting in the queue
_LOST = "cnnviz.job_lost"  # id of a job named in the URL/session that this server does not know


def registry() -> JobRegistry:
    """The process-wide registry (cap from CNNVIZ_MAX_JOBS, idle timeout from the environment)."""
    return server_registry(classroom=class_mode())


def current_job() -> Job | None:
    """The job this session watches, or None. A stale id (server restarted) is dropped with a note."""
    jid = state.job_id()
    if not jid:
        return None
    job = registry().get(jid)
    if job is None and jid not in st.session_state.get(QUEUED, ()):
        st.session_state[_LOST] = jid
        state.set_job_id(None)
    return job


def lost_job_notice() -> str | None:
    """A one-time message when the session named a job this server no longer has."""
    jid = st.session_state.pop(_LOST, None)
    if not jid:
        return None
    return (
        f"Training job {for_markdown(jid)} is not running on this server any more (the server was restarted, "
        "or the job was cleaned up). Its saved epochs, if any, are on the **Runs** page."
    )


def forget() -> None:
    """Stop watching the job (it keeps its saved run); the page shows the config again."""
    state.set_job_id(None)


def attach(job_id: str) -> None:
    """Watch ``job_id`` from this tab (its live view, Pause / Stop, the URL)."""
    state.set_job_id(job_id)


def running_elsewhere(offered: Callable[[str], bool] = lambda job_id: True) -> list[Job]:
    """The trainings running on this server that this tab does not watch, each with a
    button to watch it here (a fresh tab, a refresh without ?job=, another browser).

    ``offered(job_id)`` picks which: on a class server the page passes the person's own
    (the teacher's: everyone's); the class's other trainings are on the Runs page.
    """
    others = [job for job in registry().live() if offered(job.id)]
    for job in others:
        p = job.progress()
        where = f"epoch {p.epoch}/{p.epochs}" if p.total_iterations else "starting"
        with st.container(border=True):
            st.info(
                f"A training is running on this server: "
                f"**{for_markdown(getattr(getattr(job, 'writer', None), 'label', '') or job.run_id)}** on "
                f"{for_markdown(job.dataset or 'its data')}, {where} (job `{job.id}`).",
                icon=":material/directions_run:",
            )
            st.button(
                "Watch this training here",
                key=f"train.attach.{job.id}",
                icon=":material/visibility:",
                on_click=attach,
                args=(job.id,),
            )
    return others
