"""Comparison figures (plotly, no streamlit): overlaid curves, per-class accuracy, confusion matrices.

Every figure takes the runs in one order with one colour each (``colours(n)``),
so a run has the same colour in every chart and in the legend. Each builder
takes ``RunData``-like objects (``cnnviz.compare.runs``) and the labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cnnviz.compare.align import XAxis, epoch_x, loss_series, unit
from cnnviz.text.escape import for_plotly

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
X_TITLES = {
    XAxis.EPOCHS: "epochs (share of the training set seen)",
    XAxis.IMAGES: "training images seen",
}
HEIGHT = 320  # two charts side by side fit a 1024×768 projector


def colours(n: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _frame(font_size: int, height: int = HEIGHT) -> dict:
    return {
        "font": {"size": font_size},
        "height": height + 8 * (font_size - 12),
        "margin": {"l": 55, "r": 15, "t": 10, "b": 40},
        "showlegend": False,  # the page draws one legend for all charts, in the runs' colours
        "hovermode": "x unified",
    }


def loss_overlay(
    runs: Sequence[Any],
    labels: Sequence[str],
    *,
    axis: XAxis = XAxis.EPOCHS,
    smoothing: float = 0.6,
    marks: Sequence[float] = (),
    font_size: int = 12,
    cols: Sequence[str] | None = None,
) -> go.Figure:
    """Loss per iteration of every run on the shared x-axis: faint raw, bold smoothed."""
    labels = [for_plotly(x) for x in labels]  # legend names: text, not HTML
    axis = XAxis(axis)
    cols = list(cols) if cols else colours(len(runs))
    length = unit(runs[0], axis) if runs else 1.0  # one smoothing length for all
    data = []
    for r, label, c in zip(runs, labels, cols, strict=True):
        s = loss_series(r, axis, smoothing, epoch_length=length)
        if not len(s.x):
            continue
        data.append(go.Scatter(x=s.x, y=s.y, mode="lines", line={"color": _rgba(c, 0.25), "width": 1},
                               name=label, hoverinfo="skip", showlegend=False))  # fmt: skip
        data.append(go.Scatter(x=s.x, y=s.smooth, mode="lines", line={"color": c, "width": 2.5},
                               name=label, hovertemplate="%{y:.3f}"))  # fmt: skip
    layout = {
        **_frame(font_size),
        "xaxis": {"title": {"text": X_TITLES[axis]}, "rangemode": "tozero"},
        "yaxis": {"title": {"text": "loss (smoothed)"}, "rangemode": "tozero"},
        "shapes": [_vline(m) for m in marks],
    }
    return go.Figure(data=data, layout=layout)


def _vline(x: float) -> dict:
    return {"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "yref": "paper",
            "line": {"dash": "dash", "color": "grey", "width": 1.5}}  # fmt: skip


def accuracy_overlay(
    runs: Sequence[Any],
    labels: Sequence[str],
    *,
    axis: XAxis = XAxis.EPOCHS,
    best: bool = False,
    marks: Sequence[float] = (),
    font_size: int = 12,
    cols: Sequence[str] | None = None,
) -> go.Figure:
    """Training (dotted) and validation (solid) accuracy per epoch; each run's test accuracy as a star.

    ``best``: the star shows the test accuracy of the best validation epoch's weights (best.pt), at
    that epoch; otherwise the last weights', at the end. Best epochs are circled either way.
    """
    labels = [for_plotly(x) for x in labels]  # legend names: text, not HTML
    axis = XAxis(axis)
    data = []
    for r, label, c in zip(runs, labels, cols or colours(len(runs)), strict=True):
        ep = r.epochs
        if not len(ep):
            continue
        x = epoch_x(r, axis, ep["epoch"])
        lr = ep["lr"].to_numpy(dtype=float) if "lr" in ep else np.full(len(ep), np.nan)
        varies = len(set(lr[np.isfinite(lr)])) > 1  # a schedule: the rate in the hover text
        text = np.array([f"lr {v:.3g}" for v in lr]) if varies else None
        for col, dash, kind in (
            ("train_accuracy", "dot", "training"),
            ("val_accuracy", "solid", "validation"),
        ):
            if col in ep and ep[col].notna().any():
                data.append(go.Scatter(
                    x=x, y=ep[col].to_numpy(dtype=float) * 100, mode="lines+markers", text=text,
                    line={"color": c, "dash": dash, "width": 2}, marker={"size": 5},
                    name=f"{label} ({kind})",
                    hovertemplate="%{y:.1f}% %{text}" if varies else "%{y:.1f}%",
                ))  # fmt: skip
        be = r.status.get("best_epoch")
        if be is not None and "val_accuracy" in ep:
            row = ep[ep["epoch"] == be]
            if len(row) and row["val_accuracy"].notna().all():
                data.append(go.Scatter(
                    x=epoch_x(r, axis, [be]), y=[float(row["val_accuracy"].iloc[0]) * 100],
                    mode="markers", marker={"color": c, "size": 13, "symbol": "circle-open",
                                            "line": {"width": 2.5}},
                    name=f"{label}: best validation, epoch {be}", hovertemplate="best %{y:.1f}%",
                ))  # fmt: skip
        acc = r.weights_test_accuracy(best)
        if acc is not None:
            at = [be] if best and be is not None else [float(ep["epoch"].max())]
            data.append(go.Scatter(
                x=epoch_x(r, axis, at), y=[acc * 100], mode="markers",
                marker={"color": c, "size": 15, "symbol": "star", "line": {"color": "white", "width": 1}},
                name=f"{label}: test", hovertemplate="test %{y:.1f}%",
            ))  # fmt: skip
    last = max((float(r.epochs["epoch"].max()) for r in runs if len(r.epochs)), default=1.0)
    layout = {
        **_frame(font_size),
        "xaxis": {
            "title": {"text": X_TITLES[axis] if axis == XAxis.IMAGES else "epoch"},
            "dtick": 1 if axis == XAxis.EPOCHS and last <= 20 else None,
        },
        "yaxis": {"title": {"text": "accuracy (%)"}, "range": [0, 101]},
        "shapes": [_vline(m) for m in marks],
    }
    return go.Figure(data=data, layout=layout)


def lr_overlay(
    runs: Sequence[Any],
    labels: Sequence[str],
    *,
    font_size: int = 12,
    cols: Sequence[str] | None = None,
) -> go.Figure | None:
    """Learning rate per epoch when any run used a schedule (None otherwise)."""
    labels = [for_plotly(x) for x in labels]  # legend names: text, not HTML
    if not any(str(r.train.get("lr_schedule", "none")) != "none" for r in runs):
        return None
    data = []
    for r, label, c in zip(runs, labels, cols or colours(len(runs)), strict=True):
        if "lr" in r.epochs and r.epochs["lr"].notna().any():
            data.append(go.Scatter(x=r.epochs["epoch"].to_numpy(dtype=float),
                                   y=r.epochs["lr"].to_numpy(dtype=float), mode="lines+markers",
                                   line={"color": c, "shape": "hv"}, name=label))  # fmt: skip
    layout = {**_frame(font_size, 200), "xaxis": {"title": {"text": "epoch"}},
              "yaxis": {"title": {"text": "learning rate"}, "type": "log"}}  # fmt: skip
    return go.Figure(data=data, layout=layout)


def per_class_figure(
    per_class: dict[str, list[float | None]],
    labels: Sequence[str],
    *,
    font_size: int = 12,
    cols: Sequence[str] | None = None,
) -> go.Figure:
    """Test accuracy per class, one bar per run in each class's group."""
    labels = [for_plotly(x) for x in labels]  # legend names: text, not HTML
    classes = [for_plotly(c) for c in per_class]
    data = [
        go.Bar(
            x=classes,
            y=[None if v[i] is None else 100 * v[i] for v in per_class.values()],
            name=label,
            marker={"color": c},
            hovertemplate="%{x}: %{y:.1f}%",
        )
        for i, (label, c) in enumerate(zip(labels, cols or colours(len(labels)), strict=True))
    ]
    layout = {**_frame(font_size, 260), "barmode": "group", "hovermode": "closest",
              "yaxis": {"title": {"text": "test accuracy (%)"}, "range": [0, 101]},
              "xaxis": {"tickangle": -30 if len(classes) > 6 else 0}}  # fmt: skip
    return go.Figure(data=data, layout=layout)


def _rows(conf: list[list[int]]) -> np.ndarray:
    m = np.asarray(conf, dtype=float)
    totals = m.sum(axis=1, keepdims=True)
    return np.divide(m, totals, out=np.zeros_like(m), where=totals > 0)


def confusion_figure(
    conf: list[list[int]] | None,
    classes: Sequence[str],
    *,
    minus: list[list[int]] | None = None,
    font_size: int = 12,
    size: int = 300,
) -> go.Figure:
    """One confusion matrix (rows: true class, columns: predicted, each row as %), or the
    difference ``conf − minus`` in percentage points (green: more, red: fewer)."""
    if conf is None:
        return go.Figure(layout={**_frame(font_size, size), "annotations": [
            {"text": "not recorded for this run", "showarrow": False, "xref": "paper",
             "yref": "paper", "x": 0.5, "y": 0.5}],
            "xaxis": {"visible": False}, "yaxis": {"visible": False}})  # fmt: skip
    m = _rows(conf) * 100
    names = [for_plotly(c) for c in classes] or [str(i) for i in range(len(m))]
    if minus is not None:
        m = m - _rows(minus) * 100
        heat = go.Heatmap(z=m, x=names, y=names, zmid=0, colorscale="RdYlGn", zmin=-50, zmax=50,
                          hovertemplate="true %{y}, predicted %{x}: %{z:+.1f} points<extra></extra>",
                          colorbar={"title": {"text": "Δ points"}, "thickness": 10})  # fmt: skip
    else:
        heat = go.Heatmap(z=m, x=names, y=names, colorscale="Blues", zmin=0, zmax=100,
                          hovertemplate="true %{y}, predicted %{x}: %{z:.1f}%<extra></extra>",
                          showscale=False)  # fmt: skip
    layout = {**_frame(font_size, size), "hovermode": "closest",
              "xaxis": {"title": {"text": "predicted"}, "tickangle": -45, "side": "bottom"},
              "yaxis": {"title": {"text": "true"}, "autorange": "reversed"},
              "margin": {"l": 70, "r": 10, "t": 10, "b": 70}}  # fmt: skip
    return go.Figure(data=[heat], layout=layout)


__all__ = [
    "PALETTE",
    "accuracy_overlay",
    "colours",
    "confusion_figure",
    "loss_overlay",
    "lr_overlay",
    "per_class_figure",
]
