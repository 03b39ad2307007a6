"""Which run the presentation is about: the finished runs, newest first (the session's run preselected)."""

from __future__ import annotations

import streamlit as st

from cnnviz.text.escape import for_markdown
from cnnviz.train.status import Status
from cnnviz.train.store import Run, RunError, RunInfo
from cnnviz.ui import state
from cnnviz.ui.classroom import run_access

KEY = "present.run"


def _line(info: RunInfo) -> str:
    acc = (
        f", test accuracy {100 * info.test_accuracy:.1f}%" if info.test_accuracy is not None else ""
    )
    return f"{info.label or 'network'} on {info.dataset or '?'}{acc} ({info.id})"


def choose_run() -> Run | None:
    """The picked run, opened; None after saying why (no finished run yet, a broken folder,
    a link to a run that is not this person's to open)."""
    wanted = run_access.link_run()  # another's unshared run: said, and dropped
    visible = run_access.visible_runs()
    runs = [r for r in visible if r.status == Status.FINISHED and not r.problem]
    linked = next((r for r in visible if r.id == wanted), None)
    if linked is not None and linked.id not in {
        r.id for r in runs
    }:  # a link to a run that cannot be presented
        why = (
            for_markdown(linked.problem)
            if linked.problem
            else f"it is {for_markdown(linked.status)}, not finished"
        )
        st.warning(
            f"Run {for_markdown(linked.id)} cannot be presented: {why}. Pick a finished run below.",
            icon=":material/report:",
        )
    if not runs:
        st.info(
            "No finished run yet. Train a network on the **Train** page; when it has finished, "
            "it can be presented here."
        )
        st.page_link("views/train.py", label="Go to Train", icon=":material/monitoring:")
        return None
    ids = [r.id for r in runs]
    if wanted in ids and st.session_state.get(KEY) not in ids:
        st.session_state[KEY] = wanted
    elif st.session_state.get(KEY) not in ids:
        st.session_state[KEY] = ids[0]
    by_id = {r.id: r for r in runs}
    picked = st.selectbox(
        "Run to present",
        ids,
        format_func=lambda i: _line(by_id[i]),
        key=KEY,
        help="Finished runs only: their weights, curves and test results fill the sections.",
    )
    if picked != state.run_id():
        state.set_run_id(picked)
    try:
        return run_access.open_run(by_id[picked])
    except RunError as e:
        st.error(for_markdown(e))
        return None
