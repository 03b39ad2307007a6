"""Runs page (AppTest): the skip-connections experiment in one click, its cost said first."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from cnnviz.compare.experiments import TITLES, ExperimentKind
from cnnviz.data.registry import load_dataset
from tests.compare.runs_for_tests import train_run
from tests.helpers import APP

CONV = {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}
RELU = {"type": "relu"}
DEEP10 = {  # a stem and two Conv2d in a row: one block's worth
    "input": [1, 8, 8],
    "layers": [CONV, RELU, CONV, RELU, CONV, RELU, {"type": "flatten"},
               {"type": "linear", "out_features": 10}],
}  # fmt: skip


def test_the_residual_experiment_says_its_cost_then_trains_both_arms_and_reads_them():
    bundle = load_dataset("shapes", size=8, channels=1, n_train=90, n_test=30)
    run = train_run(DEEP10, bundle=bundle, epochs=1, lr=0.01)
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["run"] = run.name
    at.run()
    at.switch_page("views/runs.py").run()
    assert not at.exception, at.exception
    title = TITLES[ExperimentKind.RESIDUAL]
    notes = [c.value for c in at.caption if c.value.startswith(f"**{title}**")]
    assert notes == [f"**{title}**: This experiment trains 6 networks, 6 epochs in all, one "
                     "after the other; it takes one training place on this server until it ends."]  # fmt: skip
    at.number_input(key=f"runs.exp.seeds.{run.name}").set_value(1)
    at.button(key=f"runs.exp.{run.name}.residual").click().run()
    assert not at.exception, at.exception
    deadline = time.time() + 120
    while time.time() < deadline and len(at.multiselect(key="runs.compare").value) < 2:
        time.sleep(1)
        at.run()
    assert not at.exception, at.exception
    chosen = at.multiselect(key="runs.compare").value
    assert len(chosen) == 2 and run.name not in chosen
    said = " ".join(s.value for s in at.success)
    assert "Test accuracy: plain stack" in said and "with skip connections" in said
    assert "gradient" in said  # sizes, or that they were not recorded
