"""Figures for finding the minimum: a loss curve with its derivative, contours with a
gradient-descent path, and a real network's loss along a line or over a 2-D slice."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PATH = "#e6194b"


def curve_figure(
    w: Any, loss: Any, slope: Any, at: float, at_loss: float, at_slope: float, *, height: int = 300
) -> go.Figure:
    """L(w) above, dL/dw below; the tangent at ``at`` and the minimum where dL/dw = 0."""
    w, loss, slope = (np.asarray(v, dtype=float) for v in (w, loss, slope))
    fig = make_subplots(2, 1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.6, 0.4])
    fig.add_trace(go.Scatter(x=w, y=loss, name="loss L(w)", line={"color": "#1f77b4"}), 1, 1)
    span = (w.max() - w.min()) / 6
    fig.add_trace(
        go.Scatter(
            x=[at - span, at + span], y=[at_loss - at_slope * span, at_loss + at_slope * span],
            mode="lines", name=f"tangent, slope {at_slope:.2f}", line={"color": PATH, "dash": "dash"},
        ),
        1, 1,
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[at],
            y=[at_loss],
            mode="markers",
            marker={"color": PATH, "size": 10},
            showlegend=False,
        ),
        1,
        1,
    )
    fig.add_trace(
        go.Scatter(x=w, y=slope, name="derivative dL/dw", line={"color": "#9467bd"}), 2, 1
    )
    fig.add_hline(y=0, line={"color": "#94a3b8", "width": 1}, row=2, col=1)
    i = int(np.argmin(np.abs(slope)))
    fig.add_vline(
        x=float(w[i]),
        line={"color": "#4caf50", "dash": "dot"},
        annotation_text="dL/dw = 0: the minimum",
    )
    fig.update_xaxes(title_text="w", row=2, col=1)
    fig.update_layout(
        height=height,
        margin={"l": 40, "r": 10, "t": 20, "b": 30},
        legend={"orientation": "h", "y": 1.12},
    )
    return fig


def contour_figure(
    axis: Any, loss: Any, path: Any, minimum: tuple[float, float], *, height: int = 380
) -> go.Figure:
    """Loss contours over (w₁, w₂), the path of gradient descent, and a clickable grid for the start."""
    axis, loss, path = (np.asarray(v, dtype=float) for v in (axis, loss, path))
    fig = go.Figure(
        go.Contour(
            x=axis, y=axis, z=np.log1p(loss), colorscale="Blues", reversescale=True, showscale=False,
            contours={"coloring": "heatmap"}, hoverinfo="skip", ncontours=18,
        )
    )  # fmt: skip
    g = axis[::3]
    gx, gy = np.meshgrid(g, g)
    fig.add_trace(
        go.Scatter(
            x=gx.ravel(), y=gy.ravel(), mode="markers", marker={"size": 10, "opacity": 0.01},
            hovertemplate="start here: w₁ %{x:.1f}, w₂ %{y:.1f}<extra></extra>", showlegend=False, name="starts",
        )
    )  # fmt: skip
    inside = path[(np.abs(path) <= axis.max() * 1.5).all(1)] if len(path) else path
    fig.add_trace(
        go.Scatter(
            x=inside[:, 0], y=inside[:, 1], mode="lines+markers", name="gradient descent",
            line={"color": PATH}, marker={"size": 5}, hovertemplate="step %{pointNumber}<extra></extra>",
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=[minimum[0]], y=[minimum[1]], mode="markers", name="minimum",
                   marker={"symbol": "star", "size": 14, "color": "#4caf50"})
    )  # fmt: skip
    lim = [float(axis.min()), float(axis.max())]
    fig.update_layout(
        height=height, margin={"l": 40, "r": 10, "t": 10, "b": 30}, clickmode="event+select", dragmode=False,
        xaxis={"range": lim, "title": "w₁", "constrain": "domain"}, yaxis={"range": lim, "title": "w₂", "scaleanchor": "x"},
        legend={"orientation": "h", "y": -0.15}, meta={"steps": int(len(path)) - 1},
    )  # fmt: skip
    return fig


def line_figure(
    alphas: Any, losses: Any, *, chance: float | None = None, height: int = 280
) -> go.Figure:
    """A trained network's loss at θ + α·d: α = 0 is the trained weights."""
    fig = go.Figure(go.Scatter(x=list(alphas), y=list(losses), mode="lines+markers", name="loss"))
    fig.add_vline(x=0, line={"color": "#4caf50", "dash": "dot"}, annotation_text="trained weights")
    if chance is not None:
        fig.add_hline(
            y=chance,
            line={"color": "#94a3b8", "dash": "dash"},
            annotation_text="guessing: ln(classes)",
        )
    fig.update_layout(
        height=height,
        margin={"l": 40, "r": 10, "t": 20, "b": 40},
        xaxis_title="α (step along a random direction)",
        yaxis_title="loss",
    )
    return fig


def slice_figure(alphas: Any, grid: Any, *, height: int = 320) -> go.Figure:
    a = np.asarray(alphas, dtype=float)
    fig = go.Figure(
        go.Contour(
            x=a,
            y=a,
            z=np.log1p(np.asarray(grid, dtype=float)),
            colorscale="Blues",
            reversescale=True,
            showscale=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0],
            y=[0],
            mode="markers",
            marker={"symbol": "star", "size": 14, "color": "#4caf50"},
            name="trained weights",
        )
    )
    fig.update_layout(
        height=height,
        margin={"l": 40, "r": 10, "t": 10, "b": 30},
        xaxis_title="α (direction 1)",
        yaxis_title="β (direction 2)",
        yaxis={"scaleanchor": "x"},
    )
    return fig
