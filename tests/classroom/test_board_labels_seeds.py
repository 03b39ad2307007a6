"""The leaderboard's labels never overlap, and each student's default seed is their own."""

from __future__ import annotations

from cnnviz.classroom.leaderboard import Score
from cnnviz.classroom.seeds import MAX_SEED, student_seed
from cnnviz.plots.train.leaderboard import NAMED, labels, leaderboard_figure


def _score(k: int, name: str, acc: float, params: int) -> Score:
    return Score(f"run-{k}", name, "shapes", acc, params)


def _class() -> list[Score]:
    """Ada and Bob trained the same design to the same accuracy; ten others below them."""
    scores = [_score(0, "Ada", 0.95, 12_000), _score(1, "Bob", 0.95, 12_000)]
    scores += [_score(k, f"S{k}", 0.94 - k / 200, 12_000 + 50 * k) for k in range(2, 12)]
    return scores


def test_only_the_top_runs_are_named_and_no_two_labels_share_a_place() -> None:
    scores = _class()
    fig = leaderboard_figure(scores)
    trace = fig.data[0]
    texts, places = list(trace.text), list(trace.textposition)
    named = [i for i, t in enumerate(texts) if t]
    assert named and max(named) < NAMED  # the rest: a marker, the name on hover only
    assert texts[0] == "Ada, Bob" and texts[1] == ""  # one spot, one label for both
    spots = [(trace.x[i], trace.y[i], places[i]) for i in named]
    assert len(spots) == len(set(spots))  # no two labels drawn at one place
    for i in named:  # near labels sit on different sides of their markers
        for j in named:
            close = abs(trace.x[i] - trace.x[j]) < 0.05 * trace.x[i]
            if i < j and close and abs(trace.y[i] - trace.y[j]) < 1:
                assert places[i] != places[j], (texts[i], texts[j])
    assert all(c[0] for c in trace.customdata)  # every run names its student on hover


def test_labels_of_a_small_class_name_everyone() -> None:
    scores = [_score(0, "Ada", 0.9, 100), _score(1, "Bob", 0.5, 100_000)]
    assert labels(scores) == (["Ada", "Bob"], ["top center", "top center"])
    many = [_score(k, "Cy", 0.9, 5_000) for k in range(6)]
    assert labels(many)[0][0] == "Cy, Cy, Cy +2"  # five at one spot: the label stays short


def test_each_students_seed_is_stable_and_their_own() -> None:
    names = [f"Student {k}" for k in range(30)] + ["Ada", "Bob", "Zoë"]
    seeds = [student_seed(n) for n in names]
    assert len(set(seeds)) == len(seeds)  # a class of thirty: thirty different runs
    assert all(1 <= s <= MAX_SEED for s in seeds)
    assert student_seed("Ada") == student_seed("Ada")
    assert student_seed(" ada ") == student_seed("Ada")  # how it was typed does not matter
    assert student_seed("Ada") != student_seed("Adam")
