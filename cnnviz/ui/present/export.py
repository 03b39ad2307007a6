"""The run's content (computed once per run and weights, with a spinner) and the downloads."""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.report import build_report, file_label, presentation_file_name
from cnnviz.report.content import run_content
from cnnviz.report.html import Rendered, render_blocks
from cnnviz.report.sections import Presentation
from cnnviz.text.escape import for_markdown
from cnnviz.train.run_files import WEIGHTS
from cnnviz.train.store import RunError
from cnnviz.ui.present.entry import script_download

CACHE = "present.content"  # {run id: (weights mtime, Content, Rendered)}
LAST = "present.last_html"  # the last exported file's text (what the download holds)


def content_for(run: Any) -> tuple[Any, Rendered] | None:
    """(Content, its blocks as HTML) for ``run``, kept in this session while weights.pt is
    unchanged; None after saying what is wrong with a damaged run (nothing is exported)."""
    try:
        mtime = (run.path / WEIGHTS).stat().st_mtime_ns
    except OSError:
        mtime = -1
    cache: dict = st.session_state.setdefault(CACHE, {})
    hit = cache.get(run.id)
    if hit and hit[0] == mtime:
        return hit[1], hit[2]
    with st.spinner("Filling the sections from the run: figures, feature maps, test results…"):
        try:
            content = run_content(run)
        except RunError as e:  # a damaged run: what is wrong, in its own words
            st.error(f"This run cannot be presented. {for_markdown(e)}", icon=":material/report:")
            return None
        rendered = render_blocks(content, label=file_label(run.id))
    cache.clear()  # one run's figures at a time in a session's memory
    cache[run.id] = (mtime, content, rendered)
    return content, rendered


def downloads(run: Any, pres: Presentation, rendered: Rendered) -> None:
    shown = len(pres.shown())
    html = build_report(run, pres, content=rendered, placeholders=False)
    st.session_state[LAST] = html
    row = st.container(horizontal=True)
    with row:
        st.download_button(
            "Export HTML",
            html,
            file_name=presentation_file_name(run.id, pres.title),
            mime="text/html",
            icon=":material/download:",
            type="primary",
            key="present.export",
            disabled=shown == 0,
            help="One file that opens in any browser with no network: the report, a slide mode "
            "(Slides button, arrow keys, F for full screen, N for your notes), a print layout for PDF, and your "
            "trained network running in the page (Feature Extraction: pick, upload or draw an "
            "image and follow it through every layer).",
        )
        script_download(run, key="present.script")
    st.caption(
        f"{shown} of {len(pres.sections)} sections · {len(html.encode()) / 1e6:.1f} MB. "
        "Open the file, press **Slides** (or S) to present; print it (Ctrl+P) to save a PDF "
        "with each section on its own page."
    )
