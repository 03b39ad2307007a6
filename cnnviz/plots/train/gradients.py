"""Gradients over time as Plotly figures (no streamlit): sizes per layer, histograms, runs side by side.

Inputs are the gradients file's records (``cnnviz.train.gradients.GradRecord``) or, live,
a job's sizes per moment (``GradientsRecorded.sizes``). Gradient sizes are drawn on a log
axis with the two limits the course names: under ``VANISHING`` the layer has stopped
learning, over ``EXPLODING`` its steps are too large.

- ``live_sizes_figure``: one bar per layer, its latest gradient size (compact, for Train);
- ``sizes_over_time_figure``: one line per layer over the epochs (a run on Runs);
- ``histogram_heatmap``: one layer's weights or gradients, moments down, values across;
- ``sizes_overlay``: the same layer's gradient size over time in several runs (compare).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from cnnviz.text.escape import for_plotly
from cnnviz.train.gradient_words import layer_title, layers_of
from cnnviz.train.gradients import EXPLODING, VANISHING, GradRecord, gradient_word

FLAG_COLOUR = {"vanishing": "#d62728", "exploding": "#ff7f0e", None: "#1f77b4"}
BAND = "rgba(214, 39, 40, 0.08)"
HEAT_COLUMNS = 40
SIZE_AXIS = "gradient size (mean |gradient|, log)"
ROW_PX, MANY_ROW_PX, MANY = 28, 14, 16  # bar height per layer, and for more than MANY layers


def layer_colours(n: int) -> list[str]:
    """One colour per layer along the network: first layers light, last layers dark."""
    if n <= 1:
        return ["#1f77b4"] * n
    return sample_colorscale("Viridis", [0.85 * (1 - i / (n - 1)) for i in range(n)])


def _positive(v: float) -> float | None:
    """A size a log axis can draw (0 and non-finite values are left out)."""
    return v if isinstance(v, int | float) and math.isfinite(v) and v > 0 else None


def _limits(fig: go.Figure, font_size: int, *, horizontal: bool) -> None:
    """The two limits as dashed lines on the size axis, each named beside it (placed by hand:
    on a log axis an annotation's position is the power of ten)."""
    for value, name in ((VANISHING, "vanished"), (EXPLODING, "exploding")):
        line = dict(line_dash="dash", line_color="#d62728", line_width=1)
        text = dict(
            text=f"{name} ({value:g})",
            showarrow=False,
            font_size=font_size - 2,
            font_color="#d62728",
        )
        if horizontal:
            fig.add_vline(x=value, **line)
            fig.add_annotation(
                x=math.log10(value),
                y=1.0,
                xref="x",
                yref="paper",
                xanchor="left",
                yanchor="bottom",
                **text,
            )
        else:
            fig.add_hline(y=value, **line)
            fig.add_annotation(
                x=0.0,
                y=math.log10(value),
                xref="paper",
                yref="y",
                xanchor="left",
                yanchor="bottom",
                **text,
            )


def _size_range(values: Sequence[float]) -> list[float]:
    """A log axis (as powers of ten) holding the values and both limits."""
    good = [v for v in values if _positive(v) is not None]
    lo = min([*good, VANISHING / 10])
    hi = max([*good, EXPLODING * 10])
    return [math.floor(math.log10(lo)) - 0.2, math.ceil(math.log10(hi)) + 0.2]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _log_axis(values: Sequence[float]) -> dict:
    """A log axis of gradient sizes whose ticks read 10⁻⁶ … 10¹ at the axis's own font size
    (Plotly's "power" ticks draw the exponent at 70 %, too small for the back row)."""
    lo, hi = _size_range(values)
    powers = list(range(math.ceil(lo), math.floor(hi) + 1))
    step = max(1, math.ceil(len(powers) / 8))
    powers = powers[::step]
    return dict(
        type="log",
        title=SIZE_AXIS,
        range=[lo, hi],
        tickvals=[10.0**k for k in powers],
        ticktext=["1" if k == 0 else "10" + str(k).translate(_SUPERSCRIPT) for k in powers],
    )


def live_sizes_figure(moments: Sequence[Sequence[dict]], font_size: int = 12) -> go.Figure:
    """Each layer's latest gradient size as a bar (log axis), red when vanished, orange when
    exploding; a grey tick marks where it was at the first moment recorded."""
    fig = go.Figure()
    if not moments:
        return fig
    last, first = list(moments[-1]), list(moments[0])
    names = [for_plotly(layer_title(s["layer"], s.get("kind", ""))) for s in last]
    sizes = [float(s["grad_mean_abs"]) for s in last]
    words = [gradient_word(v) for v in sizes]
    fig.add_bar(
        x=[_positive(v) or VANISHING / 100 for v in sizes],
        y=names,
        orientation="h",
        marker_color=[FLAG_COLOUR[w] for w in words],
        name="now",
        hovertemplate="%{y}: %{customdata}<extra></extra>",
        customdata=[
            f"{v:.2e}" + (f" ({w})" if w else "") for v, w in zip(sizes, words, strict=True)
        ],
    )
    start = {s["layer"]: float(s["grad_mean_abs"]) for s in first}
    if len(moments) > 1:
        fig.add_scatter(
            x=[_positive(start.get(s["layer"], math.nan)) for s in last],
            y=names,
            mode="markers",
            marker=dict(symbol="line-ns-open", size=16, color="#555", line_width=2),
            name="first recorded",
            hovertemplate="%{y} at first: %{x:.2e}<extra></extra>",
        )
    _limits(fig, font_size, horizontal=True)
    it = last[0].get("iteration")
    many = len(names) > MANY
    fig.update_layout(
        height=max(160, (MANY_ROW_PX if many else ROW_PX) * len(names) + 90),
        margin=dict(l=10, r=10, t=30, b=40),
        font_size=font_size,
        showlegend=False,
        bargap=0.3,
        xaxis=_log_axis([*sizes, *start.values()]),
        yaxis=dict(
            autorange="reversed", automargin=True, tickfont_size=font_size - 2 if many else None
        ),
        title=dict(
            text=f"after iteration {it}" if it else None,
            font_size=font_size,
            x=0.01,
            xanchor="left",
        ),
    )
    return fig


def sizes_over_time_figure(records: Sequence[GradRecord], font_size: int = 12) -> go.Figure:
    """One line per layer: its gradient size at each moment recorded, epochs across (log y)."""
    fig = go.Figure()
    layers = layers_of(records)
    colours = layer_colours(len(layers))
    for i, (layer, kind) in enumerate(layers):
        mine = [r for r in records if r.layer == layer]
        fig.add_scatter(
            x=[r.epoch for r in mine],
            y=[_positive(r.grad_mean_abs) for r in mine],
            mode="lines+markers",
            name=for_plotly(layer_title(layer, kind)),
            line_color=colours[i],
            hovertemplate="epoch %{x:.2f}: %{y:.2e}<extra>%{fullData.name}</extra>",
        )
    _limits(fig, font_size, horizontal=False)
    fig.update_layout(
        height=380,
        margin=dict(l=10, r=10, t=20, b=40),
        font_size=font_size,
        xaxis_title="epochs",
        yaxis=_log_axis([r.grad_mean_abs for r in records]),
        legend=dict(font_size=max(font_size - 2, 10)),
    )
    return fig


def rebin(edges: Sequence[float], counts: Sequence[int], target: np.ndarray) -> np.ndarray:
    """A histogram's counts spread over ``target`` edges (evenly within each source bin)."""
    if len(edges) != len(counts) + 1 or not counts:
        return np.zeros(len(target) - 1)
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(counts, dtype=float))])
    return np.diff(np.interp(target, np.asarray(edges, dtype=float), cum))


def moment_label(epoch: float) -> str:
    return f"epoch {epoch:.2f}".rstrip("0").rstrip(".")


def histogram_heatmap(
    records: Sequence[GradRecord], layer: str, which: str = "grad", font_size: int = 12
) -> go.Figure:
    """One layer's histograms over time: a row per moment (first at the top), the values
    across on one shared axis, each cell the share of the layer's weights (or gradients)
    with a value in that range."""
    mine = [r for r in records if r.layer == layer]
    hists = [r.grad_hist if which == "grad" else r.weight_hist for r in mine]
    usable = [(r, h) for r, h in zip(mine, hists, strict=True) if h.counts]
    fig = go.Figure()
    if not usable:
        return fig
    lo = min(h.edges[0] for _, h in usable)
    hi = max(h.edges[-1] for _, h in usable)
    target = np.linspace(lo, hi, HEAT_COLUMNS + 1)
    rows, labels = [], []
    for r, h in usable:
        counts = rebin(h.edges, h.counts, target)
        total = max(sum(h.counts), 1)
        rows.append(100.0 * counts / total)
        labels.append(moment_label(r.epoch))
    centres = (target[:-1] + target[1:]) / 2
    what = "gradients" if which == "grad" else "weights"
    fig.add_heatmap(
        z=np.vstack(rows),
        x=centres,
        y=labels,
        colorscale="Blues",
        colorbar=dict(title=dict(text="% of values", font_size=font_size - 2)),
        hovertemplate=f"%{{y}}: %{{z:.1f}}% of the {what} near %{{x:.2e}}<extra></extra>",
    )
    kind = mine[0].kind
    fig.update_layout(
        height=max(220, 26 * len(rows) + 110),
        margin=dict(l=10, r=10, t=40, b=40),
        font_size=font_size,
        title=dict(
            text=for_plotly(f"{layer_title(layer, kind)}: its {what} over time"),
            font_size=font_size,
        ),
        xaxis=dict(title=f"{what[:-1]} value", exponentformat="e"),
        yaxis=dict(autorange="reversed", type="category", title=None),
    )
    return fig


def sizes_overlay(
    runs: Sequence[tuple[str, str, Sequence[GradRecord]]], layer: str, font_size: int = 12
) -> go.Figure:
    """The gradient size of layer ``layer`` over time, one line per run ``(label, colour,
    records)``; a run without that layer (or without records) draws no line."""
    fig = go.Figure()
    values: list[float] = []
    for label, colour, records in runs:
        mine = [r for r in records if r.layer == layer]
        if not mine:
            continue
        values += [r.grad_mean_abs for r in mine]
        fig.add_scatter(
            x=[r.epoch for r in mine],
            y=[_positive(r.grad_mean_abs) for r in mine],
            mode="lines+markers",
            name=for_plotly(f"{label} ({layer_title(layer, mine[0].kind)})"),
            line_color=colour,
            hovertemplate="epoch %{x:.2f}: %{y:.2e}<extra>%{fullData.name}</extra>",
        )
    _limits(fig, font_size, horizontal=False)
    fig.update_layout(
        height=360,
        margin=dict(l=10, r=10, t=20, b=40),
        font_size=font_size,
        xaxis_title="epochs",
        yaxis=_log_axis(values),
        legend=dict(orientation="h", y=-0.25),
    )
    return fig


__all__ = [
    "histogram_heatmap",
    "layer_colours",
    "live_sizes_figure",
    "moment_label",
    "rebin",
    "sizes_over_time_figure",
    "sizes_overlay",
]
