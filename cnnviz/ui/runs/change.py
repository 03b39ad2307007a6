"""Train again with one change: a run's design and settings go to Design and Train, marked.

``load_for_change(run)`` puts the run's network into the design and its settings
into the Train page's widgets (dataset, image size and count, validation split,
mini-batch, every training setting), and remembers which run this is a change
of. ``change_banner()`` says so on Design and Train. When a training started
after that ends, ``after_run(job)`` opens the comparison of the two runs.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from cnnviz.text.escape import for_markdown_code
from cnnviz.ui import state
from cnnviz.ui.train.form import TrainForm

_OPENED = "runs.change.opened"  # job ids whose comparison was opened already


def load_for_change(run: Any) -> None:
    """``run``: a ``cnnviz.train.store.Run`` (or compare's ``RunData``: .id, .spec, .train, .dataset)."""
    spec = run.spec
    train = dict(getattr(run, "train", None) or run.train_config)
    state.set_spec(spec, preset="", replace=True)
    TrainForm().load_run(train, dict(run.dataset))  # the settings form keeps these
    state.set_change_of(run.id, time.time())


def change_button(run: Any, *, key: str) -> None:
    if st.button(
        "Train again with one change",
        icon=":material/alt_route:",
        key=f"runs.change.{key}",
        help="Load this run's network and settings into Design and Train; change one thing and "
        "train: when it ends, the two runs open side by side.",
    ):
        load_for_change(run)
        st.switch_page("views/design.py")


def change_banner() -> None:
    """On Design and Train: what the current design is a change of, and how to drop that."""
    marked = state.change_of()
    if not marked:
        return
    run_id, _ = marked
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.info(
        f"A change of run {for_markdown_code(run_id)}: change one thing (a layer here, a setting on Train) and "
        "train; when it ends, the two runs open side by side.",
        icon=":material/alt_route:",
    )
    if right.button("Not a change", key="runs.change.drop", help="Forget the run this came from."):
        state.set_change_of(None)
        st.rerun()


def after_run(job: Any) -> None:
    """Train page, once a job has ended: open the comparison with the run it is a change of."""
    marked = state.change_of()
    if not marked or job is None or not job.done or not job.run_id:
        return
    parent, since = marked
    opened = st.session_state.setdefault(_OPENED, set())
    if job.created < since or job.id in opened or job.run_id == parent:
        return
    opened.add(job.id)
    state.set_change_of(None)
    state.set_compare_ids([parent, job.run_id])
    st.switch_page("views/runs.py")
