"""Training curves as Plotly figures (no streamlit): testable without a server.

Inputs are pandas DataFrames with the run store's column names, so the live
page (a Job's metrics) and the Runs page (a saved run's CSVs) draw the same
charts:

- per iteration: ``iteration`` (global, 1-based), ``epoch`` (1-based), ``loss``;
- per epoch: ``epoch``, ``train_loss``, ``train_accuracy``, ``val_loss``,
  ``val_accuracy`` (accuracies as fractions 0..1; missing columns are skipped).

Long runs stay light: ``downsample`` averages neighbouring iterations so a
chart never carries more than ``max_points`` points per line, and the smoothed
curve is computed on the full series before that.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from cnnviz.text.escape import for_plotly

RAW_COLOUR = "rgba(31, 119, 180, 0.45)"
SMOOTH_COLOUR = "rgb(31, 119, 180)"
TRAIN_COLOUR = "rgb(31, 119, 180)"
VAL_COLOUR = "rgb(255, 127, 14)"
TEST_COLOUR = "rgb(44, 160, 44)"
MAX_POINTS = 1500
MAX_BOUNDARY_LABELS = 12
ITER_TITLE = "Loss per iteration (one mini-batch each)"
EPOCH_TITLE = "Per epoch: training vs validation"


def ema(values: Sequence[float], weight: float = 0.9) -> np.ndarray:
    """Exponential moving average with bias correction (TensorBoard's smoothing).

    ``s_t = weight * s_{t-1} + (1 - weight) * x_t``, divided by ``1 - weight**t``
    so the first points are not pulled towards 0. NaN/inf values are skipped
    (the previous smoothed value is repeated).
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    x = np.asarray(values, dtype=float)
    out = np.empty_like(x)
    acc, n = 0.0, 0
    last = math.nan
    for i, v in enumerate(x):
        if math.isfinite(v):
            n += 1
            acc = weight * acc + (1.0 - weight) * v
            last = acc / (1.0 - weight**n)
        out[i] = last
    return out


def downsample(x: Sequence[float], ys: Sequence[Sequence[float]], max_points: int = MAX_POINTS):
    """Average consecutive points into at most ``max_points`` bins.

    Returns ``(x_binned, [y_binned, ...], k)`` where ``k`` is the number of points
    per bin (1 when nothing was dropped). x takes each bin's last value, so the
    last iteration stays the last point.
    """
    xa = np.asarray(x, dtype=float)
    n = len(xa)
    if n <= max_points:
        return xa, [np.asarray(y, dtype=float) for y in ys], 1
    k = math.ceil(n / max_points)
    m = math.ceil(n / k)
    pad = m * k - n

    def binned(a: np.ndarray, how: str) -> np.ndarray:
        a = np.concatenate([a, np.full(pad, np.nan)]).reshape(m, k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN bin stays NaN
            return np.nanmax(a, axis=1) if how == "last" else np.nanmean(a, axis=1)

    return binned(xa, "last"), [binned(np.asarray(y, dtype=float), "mean") for y in ys], k


def epoch_ends(iter_df: pd.DataFrame) -> list[tuple[int, float]]:
    """(epoch, last iteration of that epoch) for every epoch but the last one seen."""
    if iter_df.empty or "epoch" not in iter_df:
        return []
    last = iter_df.groupby("epoch")["iteration"].max().sort_index()
    return [(int(e), float(it)) for e, it in last.iloc[:-1].items()]


def iteration_loss_figure(
    iter_df: pd.DataFrame,
    *,
    smoothing: float = 0.9,
    max_points: int = MAX_POINTS,
    title: str | None = ITER_TITLE,
    points_per_iteration: int = 1,
    font_size: int = 12,
) -> go.Figure:
    """Raw loss per iteration (faint) and its smoothed curve, epoch boundaries as dashed lines.

    ``points_per_iteration``: how many iterations each row of ``iter_df`` already
    averages (a long live run is thinned by the job); the legend says so. The figure
    is built in one go (no ``add_vline``): the page rebuilds it every second.
    """
    layout: dict = {
        **_frame(title, font_size),
        "xaxis": {"title": {"text": "iteration (mini-batches seen)"}, "automargin": True},
        "yaxis": {
            "title": {"text": "cross-entropy loss"},
            "rangemode": "tozero",
            "automargin": True,
        },
        "uirevision": "iteration-loss",
    }
    if iter_df is None or iter_df.empty:
        return go.Figure(layout={**layout, **_empty_layout("Waiting for the first mini-batch…")})
    df = iter_df.sort_values("iteration")
    smooth = ema(df["loss"].to_numpy(), smoothing)
    x, (raw, sm), k = downsample(
        df["iteration"].to_numpy(), [df["loss"].to_numpy(), smooth], max_points
    )
    k *= max(int(points_per_iteration), 1)
    raw_name = "loss per iteration" if k == 1 else f"loss (mean of {k} iterations)"
    data = [
        _scatter(x=x, y=raw, mode="lines", name=raw_name, line={"color": RAW_COLOUR, "width": 1}),
        _scatter(
            x=x,
            y=sm,
            mode="lines",
            name=f"smoothed (EMA {smoothing:g})",
            line={"color": SMOOTH_COLOUR, "width": 2.5},
        ),
    ]
    ends = epoch_ends(df)
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": it + 0.5,
            "x1": it + 0.5,
            "y0": 0,
            "y1": 1,
            "line": {"dash": "dash", "color": "grey", "width": 1},
        }
        for _, it in ends
    ]
    # one label per epoch, centred on its stretch of iterations, above the plot: never on the
    # curve, never on each other (every k-th epoch when there are many)
    starts = [0.5] + [it + 0.5 for _, it in ends]
    stops = [it + 0.5 for _, it in ends] + [float(df["iteration"].max()) + 0.5]
    labels = [*(e for e, _ in ends), (ends[-1][0] + 1) if ends else int(df["epoch"].max())]
    every = max(1, math.ceil(len(labels) / MAX_BOUNDARY_LABELS))
    layout["annotations"] = [
        {
            "x": (a + b) / 2,
            "y": 1.0,
            "xref": "x",
            "yref": "paper",
            "text": f"epoch {e}" if len(labels) <= 4 else str(e),
            "showarrow": False,
            "yanchor": "bottom",
            "font": {"size": font_size - 1, "color": "grey"},
        }
        for i, (a, b, e) in enumerate(zip(starts, stops, labels, strict=True))
        if i % every == 0 and len(ends) > 0
    ]
    return _figure(data, layout)


def epoch_metrics_figure(
    epoch_df: pd.DataFrame,
    *,
    test_accuracy: float | None = None,
    test_loss: float | None = None,
    title: str | None = EPOCH_TITLE,
    font_size: int = 12,
    best_epoch: int | None = None,
) -> go.Figure:
    """Two panels: loss and accuracy (%) per epoch, train vs validation, test result if known.

    ``best_epoch``: the best validation epoch (its weights are best.pt), marked on the
    accuracy panel. A varying learning rate (an ``lr`` column, from a schedule) is shown
    in the hover text and under the epoch axis.
    """
    panel_titles = [
        {"text": t, "x": x, "y": 1.0, "xref": "paper", "yref": "paper", "showarrow": False,
         "xanchor": "center", "yanchor": "bottom", "font": {"size": font_size + 2}}
        for t, x in (("Loss", 0.23), ("Accuracy (%)", 0.77))
    ]  # fmt: skip
    layout: dict = {
        **_frame(title, font_size),
        "xaxis": {"domain": [0.0, 0.46], "anchor": "y"},
        "yaxis": {"anchor": "x", "rangemode": "tozero", "automargin": True},
        "xaxis2": {"domain": [0.54, 1.0], "anchor": "y2"},
        # the accuracy ticks on the right, so they never run into the loss panel
        "yaxis2": {"anchor": "x2", "range": [0, 101], "side": "right", "automargin": True},
        "annotations": panel_titles,
        "uirevision": "epoch-metrics",
    }
    if epoch_df is None or epoch_df.empty:
        empty = _empty_layout("Charts appear after the first epoch.")
        empty["annotations"] = panel_titles + empty["annotations"]
        for ax in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
            empty[ax] = {**layout[ax], "visible": False}
        return go.Figure(layout={**layout, **empty})
    df = epoch_df.sort_values("epoch")
    e = df["epoch"].to_numpy()
    lrs = df["lr"].to_numpy(dtype=float) if "lr" in df and df["lr"].notna().all() else None
    hover = (
        [f"learning rate {v:.3g}" for v in lrs] if lrs is not None and len(set(lrs)) > 1 else None
    )
    data = []
    for col, name, colour, axis, scale in (
        ("train_loss", "training", TRAIN_COLOUR, 1, 1.0),
        ("val_loss", "validation", VAL_COLOUR, 1, 1.0),
        ("train_accuracy", "training", TRAIN_COLOUR, 2, 100.0),
        ("val_accuracy", "validation", VAL_COLOUR, 2, 100.0),
    ):
        if col in df and df[col].notna().any():
            data.append(
                _scatter(
                    x=e,
                    y=df[col].to_numpy(dtype=float) * scale,
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=axis == 1,
                    line={"color": colour, "dash": "solid" if name == "training" else "dot"},
                    xaxis="x" if axis == 1 else "x2",
                    yaxis="y" if axis == 1 else "y2",
                    text=hover,
                    hovertemplate=None if hover is None else "%{y:.3f}<br>%{text}",
                )
            )
    last = float(e.max())
    if best_epoch is not None and "val_accuracy" in df:
        row = df[df["epoch"] == best_epoch]
        if len(row) and row["val_accuracy"].notna().all():
            data.append(
                _scatter(
                    x=[best_epoch],
                    y=[float(row["val_accuracy"].iloc[0]) * 100],
                    mode="markers",
                    name="best validation (best.pt)",
                    marker={"color": VAL_COLOUR, "size": 14, "symbol": "circle-open",
                            "line": {"width": 3}},
                    xaxis="x2",
                    yaxis="y2",
                )
            )  # fmt: skip
    for value, axis, scale in ((test_loss, 1, 1.0), (test_accuracy, 2, 100.0)):
        if value is not None and math.isfinite(value):
            data.append(
                _scatter(
                    x=[last],
                    y=[value * scale],
                    mode="markers+text",
                    name="test (after training)",
                    legendgroup="test",
                    showlegend=axis == 2 or test_accuracy is None,
                    marker={"color": TEST_COLOUR, "size": 12, "symbol": "star"},
                    text=[f"test {value * scale:.1f}%" if scale > 1 else f"test {value:.3f}"],
                    # towards the middle of the panel: loss is near 0, accuracy near 100
                    textposition="top left" if axis == 1 else "bottom left",
                    cliponaxis=False,
                    xaxis="x" if axis == 1 else "x2",
                    yaxis="y" if axis == 1 else "y2",
                )
            )
    axis_title = "epoch"
    if hover is not None:  # a schedule: say how the rate went
        axis_title += f" (learning rate {lrs[0]:.3g} → {lrs[-1]:.3g})"
    for ax in ("xaxis", "xaxis2"):
        layout[ax] = {
            **layout[ax],
            "title": {"text": axis_title},
            "dtick": 1 if last <= 20 else None,
        }
    return _figure(data, layout)


def _scatter(**trace: Any) -> dict:
    """A scatter trace as a plain dict (see ``_figure``)."""
    return {"type": "scatter", **trace}


def _figure(data: list[dict], layout: dict) -> go.Figure:
    """The figure without Plotly's property checks: the live view rebuilds these charts
    every few seconds, and checking their traces, epoch lines and labels took 40-55 ms a
    figure (1-2 ms without). The tests check that Plotly accepts every property."""
    return go.Figure(data=data, layout=layout, _validate=False)


def _frame(title: str | None, font_size: int) -> dict:
    """Title (or none: the page writes it above the chart), fonts, margins and the legend.

    The legend sits at the bottom of the figure (``yref="container"``) below the
    axis titles, which ``automargin`` keeps clear of the tick labels.
    """
    top = 30 + (28 + font_size if title else 0)
    return {
        "title": {"text": for_plotly(title or ""), "font": {"size": font_size + 4}},
        "font": {"size": font_size},
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"},
        "margin": {"l": 60, "r": 20, "t": top, "b": 50 + 3 * font_size},
        "height": 340 + 10 * font_size,
    }


def _empty_layout(text: str) -> dict:
    return {
        "annotations": [
            {"text": text, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
             "showarrow": False, "font": {"size": 14, "color": "grey"}}
        ],
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
    }  # fmt: skip
