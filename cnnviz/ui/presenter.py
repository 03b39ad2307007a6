"""How a page looks in presenter mode (``?present=1``): one stylesheet, one Plotly template.

The projector is 1024×768 (or 1280×720) and is read from the back row: every text a
class reads is at least ``MIN_PX`` pixels, charts included, and the main area has the
whole width. Two things do it, and only these two:

- ``STYLESHEET``, put on the page by ``apply_page()`` (the shared sidebar calls it on every
  run): a larger root font (Streamlit sizes its text in rem: 0.875 rem becomes 18.4 px), the
  small texts (captions, widget labels, tooltips, the top navigation) raised to ``MIN_PX``,
  tables drawn on a canvas (14 px) zoomed, narrow page margins, and buttons, labels and
  segmented controls that wrap instead of being cut;
- ``cnnviz.plots.presenter.figure(fig)``, called by ``cnnviz.ui.figures.show`` (the one way
  a page draws a chart): the figure through one Plotly template, no font under ``MIN_PX``.

The sidebar folds away in presenter mode; app.py puts the navigation at the top then
(``navigation_position()``), so every page stays one click away.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.plots.presenter import MIN_PX
from cnnviz.ui import state

DATAFRAME_ZOOM = 1.3  # st.dataframe's canvas text is 14 px whatever the page's font: 18.2 px
ROOT_PX = 21  # the root font: body text 21 px; 0.875 rem (labels, table cells) 18.4 px


def navigation_position() -> str:
    """Where app.py puts the page links: at the top in presenter mode (the sidebar is folded)."""
    return "top" if state.teaching() else "sidebar"


STYLESHEET = f"""
<style>
/* Streamlit sizes its text in rem: a larger root scales body text and headings alike. */
html {{ font-size: {ROOT_PX}px; }}
/* the main area takes the projector's width: narrow margins */
[data-testid="stMainBlockContainer"] {{ padding-left: 1rem; padding-right: 1rem;
  padding-top: 3.5rem; max-width: 100%; }}
/* small texts that Streamlit draws under 1rem: raised to the back row's minimum */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *,
[data-testid="stWidgetLabel"], [data-testid="stWidgetLabel"] *,
[data-testid="stMarkdownContainer"] small, [data-testid="stTooltipContent"],
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *, [data-testid="stMetricDelta"],
[data-testid="stTable"] *, [data-testid="stExpander"] summary *, [role="tab"] *,
[data-testid="stCode"] code, [data-testid="stCode"] pre, code,
[data-testid="stTopNavLink"] *, [data-testid="stSidebarNavLink"] *, [data-testid="stPageLink"] *,
[data-baseweb="select"] *, [data-baseweb="tag"] *, [data-tag] *, [data-baseweb="input"] input,
input, textarea, button, button *, [data-testid="stSliderTickBarMin"],
[data-testid="stSliderTickBarMax"], [data-testid="stSliderThumbValue"],
[data-testid="stNumberInputContainer"] *, [data-testid="stFileUploaderDropzoneInstructions"] *,
[data-testid="stHeadingWithActionElements"] a, [data-testid="stAlertContentInfo"] *,
[data-testid="stDownloadButton"] *, [data-testid="stProgress"] *, [data-testid="stStatusWidget"] *,
[data-testid="stMarkdownContainer"] {{ font-size: max({MIN_PX}px, 1em) !important; }}
[data-testid="stCaptionContainer"] {{ font-size: {MIN_PX}px !important; }}
/* buttons and labels keep their words: they wrap instead of being cut */
button, button p, button div, [data-testid="stWidgetLabel"] p, [role="tab"] p {{
  white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; overflow-wrap: anywhere; }}
button {{ min-width: max-content; }}
[data-testid="stButtonGroup"] > div {{ flex-wrap: wrap; overflow: visible !important; }}
[data-tag], [data-tag] span {{ white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; max-width: none !important; height: auto !important; }}
[data-testid="stExpander"] summary p {{ white-space: normal !important; }}
/* formulas: KaTeX writes sub- and superscripts at 0.5 to 0.7 of its size */
.katex {{ font-size: 1.3em !important; }}
.katex .sizing, .katex .mtight {{ font-size: max({MIN_PX}px, 0.7em) !important; }}
/* tables drawn on a canvas (st.dataframe) write 14 px: the table's box is zoomed, and made
   narrower by as much, so that it still fits the column it is in */
[data-testid="stElementContainer"]:has([data-testid="stDataFrame"]) {{
  zoom: {DATAFRAME_ZOOM}; width: calc(100% / {DATAFRAME_ZOOM}) !important; }}
</style>
"""


def apply_page() -> None:
    """Presenter mode's stylesheet and folded sidebar, on every run (no-op in normal mode)."""
    if not state.teaching():
        return
    st.set_page_config(initial_sidebar_state="collapsed")
    st.html(STYLESHEET)
