"""Picking 2 to 6 runs to compare (kept in the session and in ``?compare=``)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cnnviz.train.store import RunInfo
from cnnviz.ui import state

KEY = "runs.compare"
MAX_PICK = 6


def _name(r: RunInfo) -> str:
    when = dt.datetime.fromtimestamp(r.created).strftime("%m-%d %H:%M")
    acc = "" if r.test_accuracy is None else f" · {100 * float(r.test_accuracy):.1f}%"
    problem = " · damaged" if r.problem else ""
    # the folder's short id keeps every name unique (the widget tells options apart by name)
    return f"{r.label or 'run'} · {r.dataset or '?'} · {when}{acc}{problem} · {r.id[-6:]}"


def compare_picker(runs: list[RunInfo]) -> list[str]:
    """The multiselect; returns the chosen run ids (an experiment's may be more than six)."""
    ids = [r.id for r in runs]
    by_id = {r.id: r for r in runs}
    wanted = [i for i in state.compare_ids() if i in by_id]
    if st.session_state.get(KEY + ".from") != wanted:  # set from outside (URL, an experiment)
        st.session_state[KEY] = wanted
        st.session_state[KEY + ".from"] = wanted
    chosen = st.multiselect(
        "Compare runs (pick 2 to 6)",
        ids,
        key=KEY,
        format_func=lambda i: _name(by_id[i]),
        placeholder="Choose two or more runs to see them side by side",
        help="Overlaid curves, what changed (settings and layers), per-class accuracy and "
        "confusion matrices of the runs you pick.",
    )
    if len(chosen) > MAX_PICK and chosen != wanted:
        st.warning(f"At most {MAX_PICK} runs fit side by side: the first {MAX_PICK} are shown.")
        chosen = chosen[:MAX_PICK]
    if chosen != wanted:
        state.set_compare_ids(chosen)
        st.session_state[KEY + ".from"] = chosen
    if len(chosen) == 1:
        st.caption("Pick one more run to compare.")
    return chosen
