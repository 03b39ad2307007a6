"""Runs page (AppTest): two real runs compared side by side, opened through ?compare=."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.compare.runs_for_tests import train_run, with_batchnorm
from tests.helpers import APP


def _app(compare: list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["compare"] = ",".join(compare)
    at.run()
    at.switch_page("views/runs.py")
    return at.run()


def test_two_runs_show_overlays_what_changed_and_per_class():
    a = train_run(lr=0.01).name
    b = train_run(with_batchnorm(), lr=0.001).name
    at = _app([a, b])
    assert not at.exception, at.exception
    assert at.multiselect(key="runs.compare").value == [a, b]
    text = " ".join(m.value for m in at.markdown)
    assert "learning rate 0.01 → 0.001" in text
    assert "+ BatchNorm2d after layer 1" in text
    # legend names runs by what differs, not by folder
    assert "+BatchNorm2d · lr 0.001" in text and "first network · lr 0.01" in text
    charts = at.get("plotly_chart")
    assert len(charts) >= 4  # loss, accuracy, per class, confusion matrices (+ the one run's)


def test_picking_one_run_asks_for_another_and_damaged_runs_are_left_out():
    a = train_run().name
    at = _app([a])
    assert not at.exception
    assert any("Pick one more run" in c.value for c in at.caption)


def test_switching_axis_and_best_weights_keeps_the_page_whole():
    a = train_run(lr=0.01).name
    b = train_run(lr=0.1, batch_size=64).name
    at = _app([a, b])
    at.segmented_control(key="runs.cmp.axis").set_value("images").run()
    assert not at.exception, at.exception
    at.segmented_control(key="runs.cmp.best_choice").set_value("best").run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "mini-batch size 32 → 64" in text
