"""The circles-and-lines picture of one Linear layer, each line labelled with its weight."""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go

POSITIVE, NEGATIVE = "#0877bd", "#f59322"


X_RANGE, Y_RANGE = (-0.2, 1.2), (-0.15, 1.15)
LABEL_PX = 18  # labels are kept apart at the projector's text size (the largest they are drawn)
MIN_WIDTH_PX = 560  # the narrowest plot the lesson draws (a 1024-px projector, sidebar folded)
MARGIN_PX = 10


def label_box(x: float, y: float, text: str, *, height: int, width: int = MIN_WIDTH_PX) -> tuple:
    """(left, bottom, right, top) in pixels of a label centred at (x, y) in data units, drawn at
    ``LABEL_PX``: ~0.6 em a character and 1.3 em tall, plus a pixel of padding."""
    sx = (width - 2 * MARGIN_PX) / (X_RANGE[1] - X_RANGE[0])
    sy = (height - 2 * MARGIN_PX) / (Y_RANGE[1] - Y_RANGE[0])
    cx, cy = (x - X_RANGE[0]) * sx, (y - Y_RANGE[0]) * sy
    half_w, half_h = 0.3 * LABEL_PX * len(text) + 2, 0.65 * LABEL_PX + 1
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_places(
    lines: list[tuple[float, float]], texts: list[str], *, height: int
) -> list[tuple[float, float]]:
    """A point on each line (from (0, y0) to (1, y1)) for its label, no two labels' boxes
    overlapping: each label takes the free place nearest the middle of its stretch of the
    line (labels of one input spread along x; the steepest lines placed first)."""
    ts = [0.14 + 0.72 * i / 60 for i in range(61)]  # clear of the circles at both ends
    placed: list[tuple] = []
    out: list[tuple[float, float] | None] = [None] * len(lines)
    order = sorted(range(len(lines)), key=lambda i: -abs(lines[i][1] - lines[i][0]))
    n = max(1, len(lines))
    for i in order:
        y0, y1 = lines[i]
        want = 0.25 + 0.5 * (i + 0.5) / n
        best = None
        for t in sorted(ts, key=lambda t: abs(t - want)):
            box = label_box(t, y0 + (y1 - y0) * t, texts[i], height=height)
            if not any(_overlap(box, b) for b in placed):
                best = (t, box)
                break
        if best is None:  # no free place: the middle, said by the hover anyway
            t = want
            best = (t, label_box(t, y0 + (y1 - y0) * t, texts[i], height=height))
        placed.append(best[1])
        out[i] = (best[0], y0 + (y1 - y0) * best[0])
    return [p for p in out if p is not None]


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
    texts, hovers, lines = [], [], []
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
            lines.append((float(y_in[k]), float(y_out[j])))
            texts.append(f"{w[j, k]:g}")
            hovers.append(
                f"W[{j}, {k}] = {w[j, k]:g}: row {j} (output h{j}), column {k} (input x{k})"
            )
    places = label_places(lines, texts, height=height)
    fig.add_trace(  # invisible points under the labels: the hover text
        go.Scatter(
            x=[p[0] for p in places], y=[p[1] for p in places], mode="markers",
            marker={"size": 18, "opacity": 0}, hovertext=hovers, hoverinfo="text", showlegend=False,
        )
    )  # fmt: skip
    for (x, y), text in zip(places, texts, strict=True):
        fig.add_annotation(
            x=x, y=y, text=text, showarrow=False, font={"size": 12},
            bgcolor="rgba(255,255,255,0.85)", borderpad=1,
        )  # fmt: skip
    for xs, ys, label, color in ((0, y_in, "x", "#4caf50"), (1, y_out, "h", "#9467bd")):
        fig.add_trace(
            go.Scatter(
                x=[xs] * len(ys), y=ys, mode="markers+text", text=[f"{label}{i}" for i in range(len(ys))],
                textposition="middle left" if xs == 0 else "middle right",
                marker={"size": 28, "color": color}, hoverinfo="skip", showlegend=False,
            )
        )  # fmt: skip
    fig.update_xaxes(visible=False, range=list(X_RANGE))
    fig.update_yaxes(visible=False, range=list(Y_RANGE))
    fig.update_layout(
        height=height,
        margin={"l": MARGIN_PX, "r": MARGIN_PX, "t": MARGIN_PX, "b": MARGIN_PX},
        plot_bgcolor="white",
        meta={"lines": n_in * n_out},
    )
    return fig
