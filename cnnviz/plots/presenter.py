"""Presenter mode's one Plotly template, and every figure passed through it (no streamlit).

``figure(fig)`` (called by ``cnnviz.ui.figures.show``, the one way a page draws a chart,
when presenter mode is on) returns the figure as a new dict sized for a projector read from
the back row: ``TEMPLATE`` merged into its own template (layout text and the traces'
``textfont`` default to ``MIN_PX``: axis ticks, titles, legends, annotations, heat-map
cell numbers), every font size in it written out and at least ``MIN_PX`` (Streamlit's own
chart theme would otherwise set axis ticks at 0.75 rem), long titles wrapped and the top
margin grown for them. The figure passed in (often cached, shared between sessions) is
left as it was.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import plotly.graph_objects as go

MIN_PX = 18  # the smallest text a class reads off the projector
TITLE_PX = 22  # chart titles
TITLE_CHARS = 40  # a chart title's longest line (22 px text in a half-width column)

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
        "parcoords": [{"labelfont": _FONT, "tickfont": _FONT, "rangefont": _FONT}],
    },
}
_FONT_KEYS = frozenset(
    {"font", "tickfont", "textfont", "insidetextfont", "outsidetextfont", "titlefont",
     "labelfont", "rangefont"}
)  # fmt: skip
_AXIS_KEY = re.compile(r"^[xy]axis\d*$")
_COLOURED = frozenset({"heatmap", "contour", "histogram2d", "histogram2dcontour", "surface"})
_SKIP = frozenset({"x", "y", "z", "text", "customdata", "source", "ids", "hovertext", "values"})


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
        if trace.get("type") == "parcoords":  # its axes' names, ticks and brushed ranges
            for key in ("labelfont", "tickfont", "rangefont"):
                _at_least(trace, key)
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
