"""The lecture's circles and lines for small Linear-only stacks (no streamlit).

One circle per feature, every circle of a layer joined to every circle of the
next: one line per weight. Used by ``cnnviz.plots.design.design_figure`` when
``linear_widths`` says the stack is small and Linear-only.
"""

from __future__ import annotations

import plotly.graph_objects as go

from cnnviz.design.layer_kinds import Rule
from cnnviz.plots.design.style import (
    CATEGORY_COLORS,
    FONT,
    MAX_NEURONS,
    SHAPE_KEEPING,
    rule_of,
    short_name,
)
from cnnviz.text.escape import for_plotly


def linear_widths(spec: dict, rows: list[dict]) -> list[int] | None:
    """Widths [N_in, out_1, ...] when the stack is small and Linear-only (else None)."""
    dims = spec.get("input", [])
    if len(dims) != 1 or not rows:
        return None
    widths = [dims[0]]
    for row in rows:
        rule = rule_of(row)
        if row["status"] != "ok" or rule not in (Rule.LINEAR, *SHAPE_KEEPING):
            return None
        if rule is Rule.LINEAR:
            widths.append(row["output_shape"][1])
    if len(widths) < 2 or max(widths) > MAX_NEURONS:
        return None
    return widths


def neurons_figure(
    spec: dict,
    rows: list[dict],
    selected: int | None = None,
    height: int = 340,
    scale: float = 1.0,
) -> go.Figure:
    """The lecture's circles and lines for a small Linear-only stack."""
    widths = linear_widths(spec, rows)
    if widths is None:
        raise ValueError("neurons_figure needs a small Linear-only stack (see linear_widths)")
    labels = ["input"]
    owners: list[tuple[int, ...]] = [()]
    for row in rows:
        if rule_of(row) is Rule.LINEAR:
            labels.append(for_plotly(row["name"]))
            owners.append((row["index"],))
        else:
            labels[-1] += f"<br>+ {for_plotly(short_name(row))}"
            owners[-1] = (*owners[-1], row["index"])
    step = 1.0
    notes: list[dict] = []
    ys = [[(j - (w - 1) / 2) * step for j in range(w)] for w in widths]
    fig = go.Figure()
    lx: list[float | None] = []
    ly: list[float | None] = []
    for k in range(len(widths) - 1):
        for y0 in ys[k]:
            for y1 in ys[k + 1]:
                lx += [float(k), float(k + 1), None]
                ly += [y0, y1, None]
    font = {"size": round(FONT["size"] * scale)}
    fig.add_trace(
        go.Scatter(x=lx, y=ly, mode="lines", line={"color": "#94a3b8", "width": scale},
                   hoverinfo="skip", showlegend=False, name="weights")
    )  # fmt: skip
    for k, w in enumerate(widths):
        chosen = selected is not None and selected in owners[k]
        color = CATEGORY_COLORS["input"] if k == 0 else CATEGORY_COLORS["Fully connected"]
        fig.add_trace(
            go.Scatter(
                x=[k] * w, y=ys[k], mode="markers", name=f"layer-{k}", showlegend=False,
                marker={"size": 26 * scale, "color": color, "line": {"width": 3 if chosen else 1, "color": "#111827"}},
                hovertext=[f"{labels[k].replace('<br>', ' ')}: unit {j + 1} of {w}" for j in range(w)],
                hoverinfo="text", customdata=[owners[k][0] if owners[k] else -1] * w,
            )
        )  # fmt: skip
        top = max(ys[k]) + 0.8
        notes.append(dict(x=k, y=top, text=labels[k], showarrow=False, yanchor="bottom", font=font))
        notes.append(
            dict(
                x=k,
                y=min(ys[k]) - 0.6,
                text=f"<b>[{w}]</b>",
                showarrow=False,
                yanchor="top",
                font=font,
            )
        )
    span = max(widths) / 2 + 1.8
    fig.update_xaxes(visible=False, range=[-0.6, len(widths) - 0.4])
    fig.update_yaxes(visible=False, range=[-span, span + 0.6])
    fig.update_layout(
        annotations=notes,
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        plot_bgcolor="white",
    )
    return fig
