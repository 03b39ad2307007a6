"""Inspect (AppTest): a run's best validation epoch (best.pt) can be opened instead of its last weights."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.compare.runs_for_tests import train_run
from tests.helpers import APP


def test_inspect_offers_best_pt_and_labels_it():
    run = train_run(epochs=3, lr=0.01)
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["run"] = run.name
    at.run()
    at.switch_page("views/inspect.py")
    at.run()
    assert not at.exception, at.exception
    weights = at.segmented_control(key="inspect.weights")
    assert weights.value == "weights.pt"
    assert any("after 3 epoch(s)" in c.value for c in at.caption)
    weights.set_value("best.pt").run()
    assert not at.exception, at.exception
    assert any("best validation epoch" in c.value and "(best.pt)" in c.value for c in at.caption)
