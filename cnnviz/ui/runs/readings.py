"""Reading the curves on a page: what the loss and accuracy show, with the next step."""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.compare.readings import Reading, read_curves


def show(readings: list[Reading]) -> None:
    for r in readings:
        st.warning(f"{r.finding}\n\n**Next:** {r.next_step}", icon=":material/troubleshoot:")


def live(job: Any) -> None:
    """During and after a training job: the diagnoses its curves support so far."""
    epochs = job.epoch_metrics()
    if not epochs and job.final is None:
        return
    end = job.final
    show(
        read_curves(
            epochs,
            job.iter_metrics(),
            classes=len(job.classes) or 10,
            normalize=str(job.config.normalize),
            status=str(end.status) if end is not None else "running",
            reason=getattr(end, "reason", None),
            planned_epochs=job.config.epochs,
        )
    )
