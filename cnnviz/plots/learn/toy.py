"""Toy 2-D points and a network's decision regions (TensorFlow Playground's picture)."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from cnnviz.data.catalog import TOY_CLASSES
from cnnviz.data.toy import LIMIT

CLASS_COLORS = ("#f59322", "#0877bd")  # orange (class 0), blue (class 1): the Playground's
REGION_SCALE = [[0.0, "#f8c48a"], [0.5, "#f7f7f7"], [1.0, "#8cc0e4"]]


def toy_figure(
    points: Any,
    labels: Any,
    *,
    regions: Any = None,
    title: str = "",
    height: int = 360,
    classes: tuple[str, ...] = TOY_CLASSES,
) -> go.Figure:
    """The points coloured by class; ``regions`` ([G, G] P(class 1) on a grid over
    ``[-LIMIT, LIMIT]²``) drawn under them as a heat map."""
    p = np.asarray(points, dtype=float)
    y = np.asarray(labels).astype(int)
    fig = go.Figure()
    if regions is not None:
        r = np.asarray(regions, dtype=float)
        axis = np.linspace(-LIMIT, LIMIT, r.shape[0])
        fig.add_trace(
            go.Heatmap(
                x=axis, y=axis, z=r, zmin=0, zmax=1, colorscale=REGION_SCALE, showscale=False,
                hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>P(blue) %{z:.2f}<extra></extra>",
            )
        )  # fmt: skip
    for k, name in enumerate(classes[:2]):
        m = y == k
        fig.add_trace(
            go.Scattergl(
                x=p[m, 0], y=p[m, 1], mode="markers", name=f"class {k} ({name})",
                marker={"color": CLASS_COLORS[k], "size": 5, "line": {"width": 0.5, "color": "white"}},
                hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<extra>" + name + "</extra>",
            )
        )  # fmt: skip
    lim = [-LIMIT, LIMIT]
    fig.update_layout(
        title={"text": title} if title else None,
        height=height,
        margin={"l": 40, "r": 10, "t": 40 if title else 10, "b": 30},
        legend={"orientation": "h", "y": -0.12},
        xaxis={"range": lim, "title": "x₁", "constrain": "domain"},
        yaxis={"range": lim, "title": "x₂", "scaleanchor": "x"},
        meta={"points": int(len(y)), "regions": regions is not None},
    )
    return fig


def epoch_figure(n: int, batches: list[Any], current: int, *, height: int = 260) -> go.Figure:
    """Every training index as a cell: drawn in an earlier iteration, in this one, or still to come."""
    width = int(np.ceil(np.sqrt(n * 2)))  # wider than tall
    rows = int(np.ceil(n / width))
    z = np.full(rows * width, np.nan)
    it = np.zeros(rows * width, dtype=int)
    state = np.zeros(n)
    for b, idx in enumerate(batches):
        i = np.asarray(idx, dtype=int)
        it[i] = b + 1
        state[i] = 1.0 if b == current else (0.45 if b < current else 0.0)
    z[:n] = state
    fig = go.Figure(
        go.Heatmap(
            z=z.reshape(rows, width), customdata=it.reshape(rows, width),
            colorscale=[[0, "#e2e8f0"], [0.45, "#93c5fd"], [1, "#e6194b"]], zmin=0, zmax=1, showscale=False,
            xgap=1 if width < 80 else 0, ygap=1 if width < 80 else 0,
            hovertemplate="index %{x} + %{y}·" + str(width) + "<br>drawn in iteration %{customdata}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_yaxes(
        autorange="reversed", showticklabels=False, automargin=True,
        title={"text": f"row = index ÷ {width}", "standoff": 4},
    )  # fmt: skip
    fig.update_xaxes(
        showticklabels=False, side="top", automargin=True,
        title={"text": f"column = index mod {width} (index 0 top left, {n - 1:,} last)", "standoff": 4},
    )  # fmt: skip
    fig.update_layout(
        height=height,
        margin={"l": 30, "r": 10, "t": 30, "b": 10},
        meta={"cells": n, "width": width},
    )
    return fig
