"""Which run the presentation is about: the finished runs, newest first.

The page keeps its own choice: the newest finished run at first, or the run a
**Make a presentation** button asked for (Runs, Train, Inspect: ``entry.ASKED``); opening
or clicking runs on the other pages does not change what is being presented.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.text.escape import for_markdown
from cnnviz.train.status import Status
from cnnviz.train.store import Run, RunError, RunInfo
from cnnviz.ui import state
from cnnviz.ui.classroom import run_access
from cnnviz.ui.present.entry import ASKED

KEY = "present.run"
CHOSEN = "present.chosen"  # the page's own choice, kept while other pages are open


def _line(info: RunInfo) -> str:
    acc = (
        f", test accuracy {100 * info.test_accuracy:.1f}%" if info.test_accuracy is not None else ""
    )
    return f"{info.label or 'network'} on {info.dataset or '?'}{acc} ({info.id})"


def choose_run() -> Run | None:
    """The picked run, opened; None after saying why (no finished run yet, a broken folder,
    a link to a run that is not this person's to open)."""
    run_access.link_run()  # a link to another's unshared run: said, and dropped
    asked = st.session_state.pop(ASKED, None)  # "Make a presentation" on another page
    visible = run_access.visible_runs()
    runs = [r for r in visible if r.status == Status.FINISHED and not r.problem]
    linked = next((r for r in visible if r.id == asked), None)
    if linked is not None and linked.id not in {r.id for r in runs}:  # cannot be presented
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
    if asked in ids:
        st.session_state[KEY] = asked
    elif st.session_state.get(KEY) not in ids:  # the widget's state is dropped on other pages
        kept = st.session_state.get(CHOSEN)
        st.session_state[KEY] = kept if kept in ids else ids[0]
    by_id = {r.id: r for r in runs}
    picked = st.selectbox(
        "Run to present",
        ids,
        format_func=lambda i: _line(by_id[i]),
        key=KEY,
        help="Finished runs only: their weights, curves and test results fill the sections.",
    )
    st.session_state[CHOSEN] = picked
    if picked != state.run_id():
        state.set_run_id(picked)
    try:
        return run_access.open_run(by_id[picked])
    except RunError as e:
        st.error(for_markdown(e))
        return None
