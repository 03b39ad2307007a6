"""Every chart in the app goes through ``show``: one PNG download at slide resolution.

Plotly's own toolbar carries a single button, *Download plot as a png*, at 2x scale
(slide resolution), with a file name that says what the picture is:
``<subject>_<what>.png``, e.g. ``lecture-7-23_confusion-matrix.png``, where the
subject is the open run's label (or the design's preset/name) and ``what`` is the
chart's ``name``. In presenter mode every figure is sized for the projector here, by
``cnnviz.plots.presenter.figure`` (one Plotly template, every font at least 18 px).
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from cnnviz.plots import presenter as projector
from cnnviz.plots.pictures import as_png
from cnnviz.report import run_label
from cnnviz.ui import state

PNG_SCALE = 2  # slide resolution: a 700-pixel-wide chart saves as 1400 pixels
SCREEN_LOSSY_OVER = 150_000  # bytes: a bigger, noisy picture goes to the browser as a JPEG


def slug(text: str) -> str:
    """A file-name-safe, lower-case version of ``text`` ('Confusion matrix' -> 'confusion-matrix')."""
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s[:60] or "chart"


def subject() -> str:
    """What the charts on this page are about: the open run's label, else the design's name."""
    run = state.run_id()
    if run:
        return slug(run_label(run))
    spec = st.session_state.get(state.SPEC) or {}
    return slug(spec.get("name") or state.current_preset() or "cnnviz")


def file_name(name: str, prefix: str | None = None) -> str:
    """The PNG's file name without the extension: ``<prefix or subject()>_<name>``."""
    return f"{slug(prefix) if prefix else subject()}_{slug(name)}"


def chart_config(
    name: str,
    *,
    prefix: str | None = None,
    config: dict | None = None,
    full_toolbar: bool = False,
) -> dict[str, Any]:
    """Plotly config for one chart: the PNG download (2x, named) in its toolbar.

    The toolbar holds only that button unless ``full_toolbar`` (zoom, pan... too).
    """
    cfg = dict(config or {})
    cfg.pop("displayModeBar", None)  # the download button is always offered
    cfg.setdefault("displaylogo", False)
    if not full_toolbar:
        cfg.setdefault("modeBarButtons", [["toImage"]])
    cfg["toImageButtonOptions"] = {
        "format": "png",
        "scale": PNG_SCALE,
        "filename": file_name(name, prefix),
    }
    return cfg


def show(
    fig: Any,
    *,
    name: str | None = None,
    prefix: str | None = None,
    config: dict | None = None,
    presenter: bool = False,
    full_toolbar: bool = False,
    **kwargs: Any,
) -> Any:
    """``st.plotly_chart`` with a named 2x PNG download; returns what it returns (selections).

    ``name`` says what the chart is ('confusion-matrix'; default: the widget key); ``prefix`` overrides the
    subject (a run shown in a list of runs); ``presenter`` is kept for old callers: in
    presenter mode every figure gets the projector's template and text sizes;
    ``full_toolbar`` keeps Plotly's zoom and pan buttons beside the download.
    """
    name = name or str(kwargs.get("key") or "chart")
    # pictures travel as PNG (a big noisy one as JPEG), not as millions of JSON numbers
    as_png(fig, lossy_over=SCREEN_LOSSY_OVER)
    if state.teaching():
        fig = projector.figure(fig)  # a sized copy: the figure may be cached
    return st.plotly_chart(
        fig,
        config=chart_config(name, prefix=prefix, config=config, full_toolbar=full_toolbar),
        **kwargs,
    )
