"""Leaderboard: finished runs of the class only, best per student, filtered by dataset."""

from __future__ import annotations

from types import SimpleNamespace

from cnnviz.classroom.leaderboard import board
from cnnviz.plots.train.leaderboard import leaderboard_figure


def run(rid, ds="shapes", acc=0.5, status="finished", problem=None):
    return SimpleNamespace(id=rid, dataset=ds, test_accuracy=acc, status=status, problem=problem)


RUNS = [
    run("a1", acc=0.70),
    run("a2", acc=0.90),
    run("b1", acc=0.90),
    run("b2", ds="mnist", acc=0.99),
    run("c1", acc=0.95, status="stopped"),
    run("d1", acc=None),
    run("cli", acc=1.0),  # trained on the command line: nobody's in the class
]
OWNERS = {
    rid: {"owner_name": name, "title": ""}
    for rid, name in [
        ("a1", "Ada"),
        ("a2", "Ada"),
        ("b1", "Bob"),
        ("b2", "Bob"),
        ("c1", "Cy"),
        ("d1", "Di"),
    ]
}
PARAMS = {"a1": 100, "a2": 500, "b1": 300, "b2": 50}


def test_best_per_student_smaller_net_wins_a_tie():
    scores = board(RUNS, OWNERS, lambda r: PARAMS[r.id])
    assert [(s.student, s.run_id) for s in scores] == [("Bob", "b2"), ("Ada", "a2")]
    on_shapes = board(RUNS, OWNERS, lambda r: PARAMS[r.id], dataset="shapes")
    assert [(s.student, s.run_id) for s in on_shapes] == [("Bob", "b1"), ("Ada", "a2")]


def test_every_run_and_the_figure():
    scores = board(RUNS, OWNERS, lambda r: PARAMS[r.id], best_per_student=False)
    assert [s.run_id for s in scores] == ["b2", "b1", "a2", "a1"]
    fig = leaderboard_figure(scores)
    assert list(fig.data[0].text) == ["Bob", "Bob", "Ada", "Ada"]
    assert list(fig.data[0].y) == [99.0, 90.0, 90.0, 70.0]
    assert fig.layout.xaxis.type == "log"
