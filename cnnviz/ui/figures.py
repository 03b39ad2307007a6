"""Every chart in the app goes through ``show``: one PNG download at slide resolution.

Plotly's own toolbar carries a single button, *Download plot as a png*, at 2x scale
(slide resolution), with a file name that says what the picture is:
``<subject>_<what>.png``, e.g. ``lecture-7-23_confusion-matrix.png``, where the
subject is the open run's label (or the design's preset/name) and ``what`` is the
chart's ``name``. In presenter mode, Inspect's figures (``presenter=True``) get
projector-sized text like Design's and Train's.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from cnnviz.plots.pictures import as_png
from cnnviz.report import run_label
from cnnviz.ui import state

PNG_SCALE = 2  # slide resolution: a 700-pixel-wide chart saves as 1400 pixels
SCREEN_LOSSY_OVER = 150_000  # bytes: a bigger, noisy picture goes to the browser as a JPEG
PRESENTER_FONT = 18  # px, Inspect's figures in presenter mode (default Plotly text: 12)


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


def presenter_sized(fig: Any) -> Any:
    """The figure with projector-sized text (used for Inspect's figures in presenter mode)."""
    base = fig.layout.font.size or 12
    if base >= PRESENTER_FONT:
        return fig
    k = PRESENTER_FONT / base
    fig.update_layout(font_size=PRESENTER_FONT)
    for a in fig.layout.annotations or ():
        if a.font and a.font.size:
            a.font.size = round(a.font.size * k)
    if fig.layout.title and fig.layout.title.font and fig.layout.title.font.size:
        fig.layout.title.font.size = round(fig.layout.title.font.size * k)
    if fig.layout.height:
        fig.update_layout(height=round(fig.layout.height * 1.2))
    return fig


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
    subject (a run shown in a list of runs); ``presenter=True`` enlarges the text
    when presenter mode is on (figures that do not size themselves for it);
    ``full_toolbar`` keeps Plotly's zoom and pan buttons beside the download.
    """
    name = name or str(kwargs.get("key") or "chart")
    if presenter and state.teaching():
        fig = presenter_sized(fig)
    # pictures travel as PNG (a big noisy one as JPEG), not as millions of JSON numbers
    as_png(fig, lossy_over=SCREEN_LOSSY_OVER)
    return st.plotly_chart(
        fig,
        config=chart_config(name, prefix=prefix, config=config, full_toolbar=full_toolbar),
        **kwargs,
    )
