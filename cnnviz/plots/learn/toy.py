"""Toy 2-D points and a network's decision regions (TensorFlow Playground's picture)."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

from cnnviz.data.toy import LIMIT, TOY_CLASSES

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
