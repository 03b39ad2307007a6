"""How a page looks in presenter mode (``?present=1``): one stylesheet, one Plotly template.

The projector is 1024×768 (or 1280×720) and is read from the back row: every text a
class reads is at least ``MIN_PX`` pixels, charts included, and the main area has the
whole width. Two things do it, and only these two:

- ``STYLESHEET``, put on the page by ``apply_page()`` (the shared sidebar calls it on every
  run): a larger root font (Streamlit sizes its text in rem, tables drawn on a canvas too:
  0.875 rem becomes 18.4 px), the small texts (captions, widget labels, tooltips, the top
  navigation) raised to ``MIN_PX``, narrow
  page margins, and buttons and labels that wrap instead of being cut;
- ``figure(fig)``, called by ``cnnviz.ui.figures.show`` (the one way a page draws a chart):
  the figure as a new dict with ``TEMPLATE`` merged into its own template (layout text and
  the traces' ``textfont`` default to ``MIN_PX``: axis ticks, titles, legends, annotations,
  heat-map cell numbers) and every font size written into the figure raised to at least
  ``MIN_PX``; the figure passed in (often cached) is left as it was.

The sidebar folds away in presenter mode; app.py puts the navigation at the top then
(``navigation_position()``), so every page stays one click away.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from cnnviz.ui import state

MIN_PX = 18  # the smallest text a class reads off the projector
TITLE_PX = 22  # chart titles
DATAFRAME_ZOOM = 1.3  # st.dataframe's canvas text is 14 px whatever the page's font: 18.2 px
TITLE_CHARS = 40  # a chart title's longest line (22 px text in a half-width column)
ROOT_PX = 21  # the root font: body text 21 px; 0.875 rem (labels, table cells) 18.4 px

_FONT = {"size": MIN_PX}
_AXIS = {"tickfont": _FONT, "title": {"font": _FONT}, "automargin": True}
_TRACE_TEXT = {"textfont": _FONT}
TEMPLATE: dict[str, Any] = {
    "layout": {
        "font": _FONT,
        "title": {"font": {"size": TITLE_PX}},
        "legend": {"font": _FONT, "title": {"font": _FONT}},
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "annotationdefaults": {"font": _FONT},
        "hoverlabel": {"font": _FONT},
        "coloraxis": {"colorbar": {"tickfont": _FONT, "title": {"font": _FONT}}},
    },
    "data": {
        "heatmap": [{**_TRACE_TEXT, "colorbar": {"tickfont": _FONT}}],
        "bar": [{**_TRACE_TEXT, "insidetextfont": _FONT, "outsidetextfont": _FONT}],
        "scatter": [_TRACE_TEXT],
        "histogram": [_TRACE_TEXT],
        "pie": [_TRACE_TEXT],
        "table": [{"header": {"font": _FONT}, "cells": {"font": _FONT}}],
    },
}
_FONT_KEYS = frozenset(
    {"font", "tickfont", "textfont", "insidetextfont", "outsidetextfont", "titlefont"}
)
_AXIS_KEY = re.compile(r"^[xy]axis\d*$")
_COLOURED = frozenset({"heatmap", "contour", "histogram2d", "histogram2dcontour", "surface"})
_SKIP = frozenset({"x", "y", "z", "text", "customdata", "source", "ids", "hovertext", "values"})


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


def _merge(into: dict, extra: dict) -> None:
    """``extra`` deep-merged into ``into`` (lists of trace defaults merged item by item)."""
    for key, value in extra.items():
        have = into.get(key)
        if isinstance(value, dict) and isinstance(have, dict):
            _merge(have, value)
        elif isinstance(value, list) and isinstance(have, list) and have:
            for item in have:
                if isinstance(item, dict):
                    _merge(item, copy.deepcopy(value[0]))
        else:
            into[key] = copy.deepcopy(value)


def _raise_fonts(obj: Any) -> None:
    """Every ``font``-like ``size`` in ``obj`` (a figure's dict) raised to at least MIN_PX."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in _SKIP:
                continue
            if key in _FONT_KEYS and isinstance(value, dict) and "size" in value:
                size = value["size"]
                if isinstance(size, (int, float)):
                    value["size"] = max(size, MIN_PX)
                elif isinstance(size, (list, tuple)):
                    value["size"] = [
                        max(s, MIN_PX) if isinstance(s, (int, float)) else s for s in size
                    ]
            if isinstance(value, (dict, list)):
                _raise_fonts(value)
    elif isinstance(obj, list) and obj and isinstance(obj[0], dict):
        for item in obj:
            _raise_fonts(item)


def _at_least(obj: dict, key: str, px: int = MIN_PX) -> None:
    """``obj[key]["size"]`` written out, at least ``px`` (a size Plotly or Streamlit's own
    chart theme would otherwise choose: Streamlit's theme sets axis ticks at 0.75 rem)."""
    font = obj.get(key)
    if not isinstance(font, dict):
        font = obj[key] = {}
    size = font.get("size")
    if not isinstance(size, (list, tuple)):
        font["size"] = max(size or 0, px)


def _title(obj: dict, px: int = MIN_PX) -> None:
    title = obj.get("title")
    if isinstance(title, str):
        title = obj["title"] = {"text": title}
    if isinstance(title, dict) and title.get("text"):
        _at_least(title, "font", px)


def _explicit(layout: dict, data: list) -> None:
    """Every text of the figure given its size in the figure itself, not left to a theme."""
    _at_least(layout, "font")
    _title(layout, TITLE_PX)
    axes = [k for k in layout if _AXIS_KEY.match(k)]
    for key in {"xaxis", "yaxis", *axes}:
        axis = layout.get(key)
        if not isinstance(axis, dict):
            axis = layout[key] = {}
        _at_least(axis, "tickfont")
        _title(axis)
    for key in ("legend", "hoverlabel"):
        part = layout.get(key)
        if not isinstance(part, dict):
            part = layout[key] = {}
        _at_least(part, "font")
    for note in layout.get("annotations") or ():
        if isinstance(note, dict):
            _at_least(note, "font")
    for menu in [*(layout.get("sliders") or ()), *(layout.get("updatemenus") or ())]:
        if isinstance(menu, dict):
            _at_least(menu, "font")
    colorbars = [layout.get("coloraxis", {}).get("colorbar")] if "coloraxis" in layout else []
    for trace in data:
        if not isinstance(trace, dict):
            continue
        if (
            trace.get("text") is not None
            or trace.get("texttemplate")
            or "text" in str(trace.get("mode", ""))
        ):
            _at_least(trace, "textfont")
        if trace.get("type") in _COLOURED and trace.get("showscale") is not False:
            colorbars.append(trace.setdefault("colorbar", {}))
        marker = trace.get("marker")
        if isinstance(marker, dict) and marker.get("showscale"):
            colorbars.append(marker.setdefault("colorbar", {}))
    for bar in colorbars:
        if isinstance(bar, dict):
            _at_least(bar, "tickfont")
            _title(bar)


def wrap(text: str, width: int = TITLE_CHARS) -> str:
    """``text`` in lines of at most ``width`` characters (Plotly's ``<br>``), broken between
    words; a text that already has line breaks is left as it is."""
    if len(text) <= width or "<br" in text:
        return text
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _margins(layout: dict) -> None:
    """Room for the larger text above the plot: a title (wrapped: a chart in a column of a
    projector's page is ~450 px wide), or subplot titles over the panels."""
    margin = layout.setdefault("margin", {})
    title = layout.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    lines = 0
    if isinstance(title, dict) and isinstance(text, str) and text:
        title["text"] = wrap(text)
        lines = title["text"].count("<br>") + 1
    top_notes = any(
        isinstance(a, dict) and a.get("yref") == "paper" and (a.get("y") or 0) >= 1
        for a in layout.get("annotations") or ()
    )
    need = (round(TITLE_PX * 1.4 * lines) + 24 if lines else 0) + (MIN_PX + 14 if top_notes else 0)
    had = margin.get("t")
    if need and (had is None or had < need):
        margin["t"] = need
        if layout.get("height"):  # the plot keeps its own height under the taller title
            layout["height"] += max(0, need - (had if had is not None else 80))


def figure(fig: Any) -> dict | go.Figure:
    """``fig`` (a ``go.Figure`` or a figure dict) as a new dict sized for the projector.

    The figure passed in is not changed (figures are cached and shared between sessions).
    """
    out = fig.to_dict() if hasattr(fig, "to_dict") else _copy_dict(fig)
    layout = out.setdefault("layout", {})
    template = layout.get("template")
    template = copy.deepcopy(template) if isinstance(template, dict) else {}
    _merge(template, TEMPLATE)
    layout["template"] = template
    _raise_fonts(layout)
    for trace in out.get("data") or ():
        _raise_fonts(trace)
    _explicit(layout, out.get("data") or [])
    _margins(layout)
    if not out.get("data"):  # st.plotly_chart refuses a dict with no traces (a chart before
        return go.Figure(out)  # its first point): as a Figure it is an empty chart
    return out


def _copy_dict(fig: dict) -> dict:
    """A copy of a figure dict deep enough to change its fonts (data arrays are shared)."""
    out = dict(fig)
    out["layout"] = copy.deepcopy(fig.get("layout") or {})
    out["data"] = [_copy_trace(t) for t in fig.get("data") or ()]
    return out


def _copy_trace(trace: dict) -> dict:
    return {k: (v if k in _SKIP else copy.deepcopy(v)) for k, v in trace.items()}


def font_sizes(fig: dict) -> list[float]:
    """Every font size written in a figure dict (for tests: all at least MIN_PX in presenter mode)."""
    found: list[float] = []

    def walk(obj: Any) -> None:
        if isinstance(obj, dict):
            for key, value in obj.items():
                if key in _SKIP:
                    continue
                if key in _FONT_KEYS and isinstance(value, dict) and "size" in value:
                    size = value["size"]
                    found.extend(size if isinstance(size, (list, tuple)) else [size])
                walk(value)
        elif isinstance(obj, list):
            for item in obj:
                walk(item)

    walk(fig)
    return [float(s) for s in found if isinstance(s, (int, float))]
