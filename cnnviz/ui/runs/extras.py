"""One run's extras on the Runs page: its curve reading, Train again with one change, experiments."""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.train.status import Status
from cnnviz.compare.readings import read_run
from cnnviz.text.escape import for_markdown
from cnnviz.train.store import RunError
from cnnviz.ui.classroom import run_access
from cnnviz.ui.runs import change, readings
from cnnviz.ui.runs import experiments as exp_ui


def change_button(run: Any, *, key: str) -> None:
    change.change_button(run, key=key)


def after_charts(run: Any) -> None:
    """The curves' diagnoses, then the experiments that start from this run."""
    try:
        data = run_access.run_data(run)
    except RunError as e:
        st.caption(f"No reading of the curves: {for_markdown(e)}")
        return
    readings.show(read_run(data))
    with st.expander("Experiments from this run", icon=":material/science:"):
        exp_ui.experiment_buttons(
            data.spec, data.train, data=data.dataset, key=data.id, parent=data.id
        )


def after_training(job: Any, bundle: Any) -> None:
    """Train page, below the live view: the comparison for a change, and what to try next."""
    change.after_run(job)
    exp_ui.progress_panel()
    if job is None or not job.done or job.status == Status.FAILED or not job.run_id:
        return
    if run_access.why_not(job.run_id) is not None:  # watching another's training: not theirs
        return
    with st.expander("What next: one change, or an experiment", icon=":material/science:"):
        try:
            change.change_button(run_access.open_run(job.run_id), key=f"train.{job.id}")
        except RunError as e:
            st.caption(for_markdown(e))
        if bundle is not None:
            exp_ui.experiment_buttons(
                job.spec,
                job.config.to_dict(),
                data=bundle,
                key=f"train.{job.id}",
                parent=job.run_id,
            )
