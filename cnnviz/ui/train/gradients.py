"""Train's live view: each layer's gradient size as it trains, with the course's warnings.

The job keeps each moment's sizes (``Job.gradient_sizes``: a few in the first epoch, one
per epoch after); the figure is built once per job and moment for every watcher
(``st.cache_resource``), so the charts' fragment only looks the figure up between moments.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from cnnviz.plots.train.gradients import live_sizes_figure
from cnnviz.text.escape import for_markdown
from cnnviz.train.gradient_words import WHAT_SIZE, flags
from cnnviz.train.job import Job
from cnnviz.ui.figures import show

TITLE = "Gradient size per layer (mean absolute gradient, log scale)"
WAITING = "Each layer's gradient size appears here after the first mini-batch's backward pass."


@st.cache_resource(max_entries=64, show_spinner=False)
def _figure(job_id: str, moments: int, font: int, _job: Job) -> go.Figure:
    """The bars after the job's first ``moments`` moments (``_job`` is not hashed)."""
    return live_sizes_figure(_job.gradient_sizes()[:moments], font_size=font)


def live_panel(job: Job, *, font: int) -> None:
    """The gradient sizes of ``job``'s layers now, and a warning per vanished or exploding layer."""
    sizes = job.gradient_sizes()
    if not sizes:
        if not job.done:
            st.caption(WAITING)
        return
    st.markdown(f"**{TITLE}**")
    show(_figure(job.id, len(sizes), font, job), name="gradient-sizes", key="train.gradients.sizes")
    for text in flags(sizes[-1]):
        st.warning(for_markdown(text), icon=":material/warning:")
    st.caption(for_markdown(WHAT_SIZE))
