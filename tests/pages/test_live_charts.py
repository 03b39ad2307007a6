"""The live curves: every tab watching a job draws the same snapshot of its points, so the
figures are built once per job and snapshot however many tabs watch (cnnviz.ui.train.live)."""

from __future__ import annotations

from types import SimpleNamespace

from cnnviz.ui.train import live


def _job(jid: str, iterations: int, epochs: int = 0, done: bool = False):
    return SimpleNamespace(
        id=jid,
        points_per_iteration=1,
        iter_metrics=lambda: [(i, 1, 1.0) for i in range(iterations)],
        epoch_metrics=lambda: [{"epoch": e} for e in range(epochs)],
        done=done,
    )


def test_watchers_in_one_window_share_a_snapshot_and_the_next_window_takes_the_newest():
    t = 1000.0
    first = live.shared_chart_key(_job("j1", 10), live=True, now=t)
    assert first[1] == 10
    # two more tabs poll within the window while the job has moved on: the same key
    assert live.shared_chart_key(_job("j1", 14), live=True, now=t + 0.4) == first
    assert live.shared_chart_key(_job("j1", 19), live=True, now=t + live.CHART_S - 0.6) == first
    later = live.shared_chart_key(_job("j1", 25), live=True, now=t + live.CHART_S)
    assert later[1] == 25
    assert live.shared_chart_key(_job("j1", 26), live=True, now=t + live.CHART_S + 1) == later


def test_a_new_epoch_the_end_or_a_job_not_live_is_drawn_at_once():
    t = 2000.0
    live.shared_chart_key(_job("j2", 10), live=True, now=t)
    epoch = live.shared_chart_key(_job("j2", 12, epochs=1), live=True, now=t + 0.1)
    assert epoch[1:] == (12, 1, 1, False)
    end = live.shared_chart_key(_job("j2", 13, epochs=1, done=True), live=True, now=t + 0.2)
    assert end[-1] is True and end[1] == 13
    paused = live.shared_chart_key(_job("j2", 14, epochs=1, done=True), live=False, now=t + 0.3)
    assert paused[1] == 14
    # another job keeps its own snapshot
    assert live.shared_chart_key(_job("j3", 3), live=True, now=t + 0.3)[:2] == ("j3", 3)


def test_the_record_of_snapshots_stays_bounded():
    for i in range(live._SHOWN_JOBS + 50):
        live.shared_chart_key(_job(f"many-{i}", 1), live=True, now=3000.0)
    assert len(live._SHOWN) == live._SHOWN_JOBS
