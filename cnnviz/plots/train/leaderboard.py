"""The class leaderboard as a scatter: test accuracy against parameters, names on hover."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from cnnviz.classroom.leaderboard import Score
from cnnviz.text.escape import for_plotly


def leaderboard_figure(scores: Sequence[Score], *, font_size: int = 12) -> go.Figure:
    """One marker per run (log-scaled parameters on x, test accuracy in % on y), labelled by student."""
    fig = go.Figure(
        go.Scatter(
            x=[s.params for s in scores],
            y=[100 * s.test_accuracy for s in scores],
            mode="markers+text",
            text=[for_plotly(s.student) for s in scores],
            textposition="top center",
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


__all__ = ["leaderboard_figure"]
