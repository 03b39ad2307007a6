"""The class leaderboard as a scatter: test accuracy against parameters.

Only the top ``named`` runs carry their student's name on the chart (a whole class of
names would print on top of each other); every run names its student on hover. Runs at
one spot (the same network and accuracy) share one label, "Ada, Bob"; a label near
another one goes below, right or left of its marker instead of above it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from cnnviz.classroom.leaderboard import Score
from cnnviz.text.escape import for_plotly

NAMED = 5  # runs named on the chart: the top ones
POSITIONS = ("top center", "bottom center", "middle right", "middle left")
NEAR_DECADES = 0.25  # labels closer than this on the log x axis ...
NEAR_POINTS = 4.0  # ... and this many accuracy points may collide


def _spot(s: Score) -> tuple[float, float]:
    return (math.log10(max(s.params, 1)), 100 * s.test_accuracy)


def labels(scores: Sequence[Score], named: int = NAMED) -> tuple[list[str], list[str]]:
    """(text, textposition) per score: the top ``named`` runs labelled, the rest blank."""
    texts = [""] * len(scores)
    places = [POSITIONS[0]] * len(scores)
    shown: dict[tuple[float, float], list[int]] = {}  # spot -> the top runs there, first labelled
    for i, s in enumerate(scores[:named]):
        spot = _spot(s)
        if spot in shown:  # the very same spot: one label names them all
            shown[spot].append(i)
            first, *rest = shown[spot]
            names = [for_plotly(scores[k].student) for k in (first, *rest)]
            more = f" +{len(names) - 3}" if len(names) > 3 else ""
            texts[first] = ", ".join(names[:3]) + more
            continue
        near = {
            places[ks[0]]
            for sp, ks in shown.items()
            if abs(sp[0] - spot[0]) < NEAR_DECADES and abs(sp[1] - spot[1]) < NEAR_POINTS
        }
        places[i] = next((p for p in POSITIONS if p not in near), POSITIONS[0])
        texts[i] = for_plotly(s.student)
        shown[spot] = [i]
    return texts, places


def leaderboard_figure(
    scores: Sequence[Score], *, font_size: int = 12, named: int = NAMED
) -> go.Figure:
    """One marker per run (log-scaled parameters on x, test accuracy in % on y)."""
    texts, places = labels(scores, named)
    fig = go.Figure(
        go.Scatter(
            x=[s.params for s in scores],
            y=[100 * s.test_accuracy for s in scores],
            mode="markers+text",
            text=texts,
            textposition=places,
            customdata=[
                [for_plotly(v) for v in (s.student, s.run_id, s.dataset, s.title)] for s in scores
            ],
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>test accuracy %{y:.1f}%<br>"
                "%{x:,} parameters<br>%{customdata[2]} · %{customdata[1]}<extra></extra>"
            ),
            marker={"size": 12, "color": "#4c78a8", "line": {"width": 1, "color": "white"}},
        )
    )
    fig.update_layout(
        height=420,
        margin={"l": 60, "r": 20, "t": 20, "b": 50},
        font={"size": font_size},
        xaxis={"title": "parameters (log scale)", "type": "log"},
        yaxis={"title": "test accuracy (%)", "ticksuffix": "%"},
        showlegend=False,
    )
    return fig


__all__ = ["NAMED", "labels", "leaderboard_figure"]
