"""Figures for the convolution and max-pooling steps: the input with its window, the
numbers, and the output map with the pixel being computed (no streamlit).

``window_figure``: one panel per input channel (at most ``MAX_PANELS``); the zero
border of the padding drawn in grey around the real input, the window's cells
outlined (with dilation they are apart: the gaps), the image's own edge as a line.
``numbers_figure``: window | kernel | products side by side with every number written.
``output_figure``: the output map, the current pixel boxed; clicking a pixel selects it
(an invisible marker per pixel carries the click).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

MAX_PANELS = 4
MAX_DRAWN = 24  # input sides above this are drawn zoomed in around the window
WINDOW = "#e6194b"
PAD = "#cbd5e1"


def _panels(titles: list[str], gap: float = 0.04, ticks: bool = True) -> dict:
    """Layout for side-by-side square image panels (what make_subplots builds, in one dict:
    several times faster, which matters on every rerun of a lesson)."""
    n = len(titles)
    width = (1 - gap * (n - 1)) / n
    layout: dict = {"annotations": []}
    for k, title in enumerate(titles):
        ax = "" if k == 0 else str(k + 1)
        x0 = k * (width + gap)
        layout[f"xaxis{ax}"] = {
            "domain": [x0, x0 + width],
            "anchor": f"y{ax}",
            "constrain": "domain",
            "showticklabels": ticks,
        }
        layout[f"yaxis{ax}"] = {
            "domain": [0, 1],
            "anchor": f"x{ax}",
            "autorange": "reversed",
            "scaleanchor": f"x{ax}",
            "showticklabels": ticks and k == 0,
        }
        layout["annotations"].append(
            {
                "text": title,
                "x": x0 + width / 2,
                "y": 1.0,
                "xref": "paper",
                "yref": "paper",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12},
            }
        )
    return layout


def _crop(
    h: int, w: int, rows: tuple[int, ...], cols: tuple[int, ...], pad: int
) -> tuple[int, int, int, int]:
    """(r0, r1, c0, c1) of the region drawn: padded input, or around the window when large."""
    r0, r1, c0, c1 = -pad, h + pad, -pad, w + pad
    if h + 2 * pad > MAX_DRAWN:
        mid = (min(rows) + max(rows)) // 2
        r0 = max(-pad, mid - MAX_DRAWN // 2)
        r1 = min(h + pad, r0 + MAX_DRAWN)
    if w + 2 * pad > MAX_DRAWN:
        mid = (min(cols) + max(cols)) // 2
        c0 = max(-pad, mid - MAX_DRAWN // 2)
        c1 = min(w + pad, c0 + MAX_DRAWN)
    return r0, r1, c0, c1


def window_figure(
    x: Any,
    channels: tuple[int, ...],
    rows: tuple[int, ...],
    cols: tuple[int, ...],
    *,
    pad: int = 0,
    pick: tuple[int, int] | None = None,
    height: int = 300,
) -> go.Figure:
    """The input channels ``channels`` of ``x`` [C, H, W] with the window (rows × cols) outlined."""
    a = np.asarray(x, dtype=float)
    _, h, w = a.shape
    shown = channels[:MAX_PANELS]
    pad = max(pad, -min(min(rows), min(cols), 0), max(max(rows) - h + 1, max(cols) - w + 1, 0))
    r0, r1, c0, c1 = _crop(h, w, rows, cols, pad)
    layout = _panels([f"in {c}" if len(shown) > 2 else f"input channel {c}" for c in shown])
    traces = []
    shapes: list[dict] = []  # collected and set once: add_shape validates the layout each call
    for n, ch in enumerate(shown, start=1):
        z = np.full((r1 - r0, c1 - c0), np.nan)
        ys, xs = slice(max(r0, 0) - r0, min(r1, h) - r0), slice(max(c0, 0) - c0, min(c1, w) - c0)
        z[ys, xs] = a[ch, max(r0, 0) : min(r1, h), max(c0, 0) : min(c1, w)]
        ax = "" if n == 1 else str(n)
        traces.append(
            go.Heatmap(
                z=z, x=np.arange(c0, c1), y=np.arange(r0, r1), colorscale="Greys", reversescale=True,
                showscale=False, hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>",
                xaxis=f"x{ax}", yaxis=f"y{ax}",
            )
        )  # fmt: skip
        if pad:  # the zero border: grey outside the image's edge
            shapes.append(dict(
                type="rect", x0=c0 - 0.5, x1=c1 - 0.5, y0=r0 - 0.5, y1=r1 - 0.5,
                fillcolor=PAD, line_width=0, layer="below", xref=f"x{ax}", yref=f"y{ax}",
            ))  # fmt: skip
            shapes.append(dict(
                type="rect", x0=-0.5, x1=w - 0.5, y0=-0.5, y1=h - 0.5,
                line={"color": "#475569", "width": 1, "dash": "dot"}, xref=f"x{ax}", yref=f"y{ax}",
            ))  # fmt: skip
        for i, rr in enumerate(rows):
            for j, cc in enumerate(cols):
                picked = pick is not None and (i, j) == tuple(pick)
                cell = dict(
                    type="rect", x0=cc - 0.5, x1=cc + 0.5, y0=rr - 0.5, y1=rr + 0.5,
                    line={"color": WINDOW, "width": 3 if picked else 1.5}, xref=f"x{ax}", yref=f"y{ax}",
                )  # fmt: skip
                if picked:
                    cell["fillcolor"] = "rgba(230,25,75,0.35)"
                shapes.append(cell)
    fig = go.Figure(traces, layout)
    fig.update_layout(
        height=height, margin={"l": 30, "r": 10, "t": 30, "b": 20}, shapes=shapes,
        meta={"panels": len(shown), "channels": len(channels), "window": [list(rows), list(cols)]},
    )  # fmt: skip
    return fig


def _text(m: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: "" if not np.isfinite(v) else f"{v:.2f}")(m)


def numbers_figure(
    parts: list[tuple[str, Any]], *, pick: tuple[int, int] | None = None, height: int = 220
) -> go.Figure:
    """Small matrices side by side (e.g. window, kernel, products), every number written."""
    layout = _panels([t for t, _ in parts], gap=0.05, ticks=False)
    traces, shapes = [], []
    for n, (_, m) in enumerate(parts, start=1):
        a = np.asarray(m, dtype=float)
        finite = np.where(np.isfinite(a), a, np.nan)
        lim = float(np.nanmax(np.abs(finite))) if np.isfinite(finite).any() else 1.0
        ax = "" if n == 1 else str(n)
        traces.append(
            go.Heatmap(
                z=finite, text=_text(a), texttemplate="%{text}", textfont={"size": 12},
                colorscale="RdBu", zmid=0, zmin=-lim or -1, zmax=lim or 1, showscale=False,
                hoverinfo="skip", xgap=1, ygap=1, xaxis=f"x{ax}", yaxis=f"y{ax}",
            )
        )  # fmt: skip
        if pick is not None:
            i, j = pick
            shapes.append(dict(
                type="rect", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5,
                line={"color": WINDOW, "width": 3}, xref=f"x{ax}", yref=f"y{ax}",
            ))  # fmt: skip
    fig = go.Figure(traces, layout)
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, shapes=shapes)
    return fig


def output_figure(out: Any, row: int, col: int, *, title: str = "", height: int = 300) -> go.Figure:
    """One output channel [H_out, W_out] with pixel (row, col) boxed; click a pixel to pick it."""
    a = np.asarray(out, dtype=float)
    h, w = a.shape
    fig = go.Figure(
        go.Heatmap(
            z=a, colorscale="Viridis", showscale=False, hoverinfo="skip",
        )
    )  # fmt: skip
    ys, xs = np.mgrid[0:h, 0:w]
    fig.add_trace(  # one invisible marker per pixel: it carries the hover and the click
        go.Scatter(
            x=xs.ravel(), y=ys.ravel(), customdata=a.ravel(), mode="markers",
            marker={"size": 8, "opacity": 0.01}, showlegend=False, name="pixels",
            hovertemplate="output row %{y}, col %{x}: %{customdata:.3f} (click to compute it)<extra></extra>",
        )
    )  # fmt: skip
    fig.add_shape(
        type="rect", x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5,
        line={"color": WINDOW, "width": 3},
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", scaleanchor="x")
    fig.update_xaxes(constrain="domain")
    fig.update_layout(
        title={"text": title, "font": {"size": 13}} if title else None, height=height,
        margin={"l": 30, "r": 10, "t": 30 if title else 10, "b": 20}, clickmode="event+select",
        dragmode=False, meta={"shape": [h, w], "pixel": [row, col]},
    )  # fmt: skip
    return fig
