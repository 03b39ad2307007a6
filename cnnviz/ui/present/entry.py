"""The ways into the Present page and the training script, for the other pages (one line each there)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.text.escape import for_markdown
from cnnviz.ui import state

PAGE = "views/present.py"
ASKED = state.PRESENT_ASKED  # the run a button (or the session's link) asked Present to show


def presentation_button(run_id: str | None, *, key: str, disabled: bool = False) -> None:
    """**Make a presentation** of ``run_id``: opens the Present page with that run."""
    if st.button(
        "Make a presentation",
        icon=":material/co_present:",
        key=key,
        disabled=disabled or not run_id,
        help="Lay this run out in the course's sections (Overview … World Applications), "
        "add your texts and names, and export one HTML file with slides that opens offline.",
    ):
        state.set_run_id(run_id)
        st.session_state[ASKED] = run_id
        st.switch_page(PAGE)


def script_download(run: Any, *, key: str) -> None:
    """Download the run's whole training as ``train.py`` (also runs under torchrun)."""
    from cnnviz.report import file_label
    from cnnviz.train.script import training_script

    try:
        text = training_script(run)
    except (ValueError, KeyError) as e:
        st.caption(f"This run cannot be exported as a training script: {for_markdown(e)}")
        return
    st.download_button(
        "Training as train.py",
        text,
        file_name=f"{file_label(run.id)}_train.py",
        mime="text/x-python",
        icon=":material/code:",
        key=key,
        help="One runnable Python file: Dataset, DataLoader, the network, loss and optimizer, "
        "the epoch loop and the test. `python train.py`, or `torchrun --nproc_per_node=2 train.py`.",
    )
