"""The circles-and-lines picture of one Linear layer, each line labelled with its weight."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

POSITIVE, NEGATIVE = "#0877bd", "#f59322"


def linear_diagram(
    weight: Any, *, highlight: tuple[int, int] | None = None, height: int = 300
) -> go.Figure:
    """Inputs on the left, outputs on the right; line j←k carries W[j, k] (hover: its place in W)."""
    w = np.asarray(weight, dtype=float)
    n_out, n_in = w.shape
    y_in = np.linspace(0, 1, n_in) if n_in > 1 else np.array([0.5])
    y_out = np.linspace(0, 1, n_out) if n_out > 1 else np.array([0.5])
    fig = go.Figure()
    lim = float(np.abs(w).max()) or 1.0
    mids_x, mids_y, texts, hovers = [], [], [], []
    for j in range(n_out):
        for k in range(n_in):
            on = highlight is not None and tuple(highlight) == (j, k)
            fig.add_trace(
                go.Scatter(
                    x=[0, 1], y=[y_in[k], y_out[j]], mode="lines", hoverinfo="skip", showlegend=False,
                    line={"color": POSITIVE if w[j, k] >= 0 else NEGATIVE,
                          "width": 6 if on else 1 + 3 * abs(w[j, k]) / lim},
                    opacity=1 if on or highlight is None else 0.35,
                )
            )  # fmt: skip
            t = 0.3 + 0.4 * (k + 0.5) / n_in  # stagger the labels along the lines
            mids_x.append(t)
            mids_y.append(y_in[k] + (y_out[j] - y_in[k]) * t)
            texts.append(f"{w[j, k]:g}")
            hovers.append(
                f"W[{j}, {k}] = {w[j, k]:g}: row {j} (output h{j}), column {k} (input x{k})"
            )
    fig.add_trace(
        go.Scatter(
            x=mids_x, y=mids_y, mode="text", text=texts, textfont={"size": 12},
            hovertext=hovers, hoverinfo="text", showlegend=False,
        )
    )  # fmt: skip
    for xs, ys, label, color in ((0, y_in, "x", "#4caf50"), (1, y_out, "h", "#9467bd")):
        fig.add_trace(
            go.Scatter(
                x=[xs] * len(ys), y=ys, mode="markers+text", text=[f"{label}{i}" for i in range(len(ys))],
                textposition="middle left" if xs == 0 else "middle right",
                marker={"size": 28, "color": color}, hoverinfo="skip", showlegend=False,
            )
        )  # fmt: skip
    fig.update_xaxes(visible=False, range=[-0.2, 1.2])
    fig.update_yaxes(visible=False, range=[-0.15, 1.15])
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        plot_bgcolor="white",
        meta={"lines": n_in * n_out},
    )
    return fig
