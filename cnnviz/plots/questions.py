"""The class's answers as a bar chart (counts, no names) and an experiment question's curves.

Both are projector charts: ``answers_figure`` returns the figure through the presenter
template (``cnnviz.plots.presenter.figure``), every text at least 18 px. Answers and
arm labels are visitors' or the teacher's text: shown through ``for_plotly``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from cnnviz.plots import presenter
from cnnviz.text.escape import for_plotly

MAX_BARS = 12  # beyond: the rarest answers as one "other" bar
RIGHT, OTHER, WAITING = "#2e7d32", "#9e9e9e", "#4c78a8"


def answer_bars(
    counts: Sequence[tuple[str, int]], options: Sequence[str] = ()
) -> list[tuple[str, int]]:
    """The bars in order: every option (0 when nobody chose it), else the most given answers
    first, the rest summed as "other"."""
    if options:
        have = {a: n for a, n in counts}
        return [(o, have.get(" ".join(o.split()).casefold(), 0)) for o in options]
    bars = list(counts[:MAX_BARS])
    rest = sum(n for _, n in counts[MAX_BARS:])
    return bars + ([("other", rest)] if rest else [])


def answers_figure(
    counts: Sequence[tuple[str, int]],
    *,
    options: Sequence[str] = (),
    is_right: Any = None,
    title: str = "",
) -> dict:
    """Counts per answer (bars; the right ones green once revealed: ``is_right(answer)``)."""
    bars = answer_bars(counts, options)
    labels = [for_plotly(a) for a, _ in bars]
    values = [n for _, n in bars]
    colours = [WAITING if is_right is None else RIGHT if is_right(a) else OTHER for a, _ in bars]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=values,
            text=[str(v) for v in values],
            textposition="outside",
            marker={"color": colours},
            hovertemplate="%{x}: %{y} answers<extra></extra>",
            cliponaxis=False,
        )
    )
    fig.update_layout(
        title=for_plotly(title) if title else None,
        height=380,
        margin={"l": 50, "r": 20, "t": 60 if title else 30, "b": 60},
        yaxis={
            "title": "answers",
            "rangemode": "tozero",
            "dtick": 1 if max(values, default=0) < 8 else None,
        },
        xaxis={"type": "category"},
        showlegend=False,
    )
    return presenter.figure(fig)


def curves_figure(series: Sequence[tuple[str, Sequence[float]]]) -> dict:
    """Validation accuracy per epoch, one line per run (``(label, accuracies 0..1)``)."""
    fig = go.Figure()
    for label, accs in series:
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(accs) + 1)),
                y=[100 * a for a in accs],
                mode="lines+markers",
                name=for_plotly(label),
            )
        )
    fig.update_layout(
        height=360,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        xaxis={"title": "epoch", "dtick": 1},
        yaxis={"title": "validation accuracy (%)", "ticksuffix": "%"},
        legend={"orientation": "h", "y": -0.25},
    )
    return presenter.figure(fig)


__all__ = ["answer_bars", "answers_figure", "curves_figure"]
