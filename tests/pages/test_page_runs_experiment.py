"""Runs page (AppTest): one-click experiment from a run, and Train again with one change."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from cnnviz.data.registry import load_dataset
from tests.compare.runs_for_tests import train_run
from tests.helpers import APP

SPEC10 = {
    "input": [1, 8, 8],
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}


def _shapes_run(**config):
    bundle = load_dataset("shapes", size=8, channels=1, n_train=90, n_test=30)
    return train_run(SPEC10, bundle=bundle, epochs=1, **config)


def _runs_page(run_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["run"] = run_id
    at.run()
    at.switch_page("views/runs.py")
    return at.run()


def test_an_experiment_from_a_run_trains_its_arms_and_opens_their_comparison():
    run = _shapes_run(lr=0.01)
    at = _runs_page(run.name)
    assert not at.exception, at.exception
    at.number_input(key=f"runs.exp.seeds.{run.name}").set_value(1)
    at.button(key=f"runs.exp.{run.name}.normalization").click().run()
    assert not at.exception, at.exception
    deadline = time.time() + 120
    while time.time() < deadline and len(at.multiselect(key="runs.compare").value) < 3:
        time.sleep(1)
        at.run()
    assert not at.exception, at.exception
    chosen = at.multiselect(key="runs.compare").value
    assert len(chosen) == 3 and run.name not in chosen
    text = " ".join(m.value for m in at.markdown)
    assert "Experiment: normalization" in text and "Test accuracy: none (0–255)" in text
    assert "normalization none (0–255) → ÷255 → standardize" in text
    assert any("Test accuracy: none (0–255)" in s.value for s in at.success)


def test_train_again_with_one_change_loads_the_run_into_design_and_train():
    run = _shapes_run(lr=0.005, batch_size=16)
    at = _runs_page(run.name)
    at.button(key=f"runs.change.{run.name}").click().run()
    assert not at.exception, at.exception
    assert any(f"A change of run `{run.name}`" in i.value for i in at.info)  # on Design now
    at.switch_page("views/train.py").run()
    assert not at.exception, at.exception
    assert any(f"A change of run `{run.name}`" in i.value for i in at.info)
    assert at.number_input(key="train.cfg.lr").value == 0.005
    assert at.number_input(key="train.data.batch").value == 16
    assert at.selectbox(key="train.data.name").value == "shapes"
