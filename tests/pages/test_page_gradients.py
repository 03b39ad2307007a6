"""Gradients over time on the pages (AppTest): Train's live panel, a run's histograms on Runs,
the note for a run without the file, and the same layer in two runs compared."""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.train.gradients import GRADIENTS_FILE
from cnnviz.ui.runs.gradients_view import HEAT_TITLE, NO_FILE, SIZES_TITLE
from cnnviz.ui.train.gradients import TITLE
from tests.compare.runs_for_tests import train_run
from tests.helpers import APP
from tests.helpers import SHAPES28_SPEC as TINY
from tests.train.test_gradient_recorder import DEEP_SIGMOID


def _charts(at: AppTest) -> dict[str, dict]:
    return {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _array(value) -> np.ndarray:
    """A Plotly JSON array: a plain list, or a typed array {dtype, bdata, shape}."""
    if isinstance(value, dict):
        shape = [int(n) for n in str(value["shape"]).split(",")]
        raw = base64.b64decode(value["bdata"])
        return np.frombuffer(raw, dtype=np.dtype(value["dtype"])).reshape(shape)
    return np.asarray(value, dtype=float)


def _texts(at: AppTest) -> str:
    kinds = (at.markdown, at.caption, at.warning, at.info, at.error)
    return "\n".join(str(e.value) for kind in kinds for e in kind)


@pytest.mark.usefixtures("small_train_data")
def test_train_shows_each_layers_gradient_size_while_it_trains():
    from cnnviz.ui.jobs import registry

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.session_state["train.data.look"] = False
    at.session_state["cnnviz.design.spec"] = TINY
    at.switch_page("views/train.py").run()
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.number_input(key="train.cfg.epochs").set_value(50).run()
    at.button(key="train.start").click().run()
    job = registry().get(at.session_state["cnnviz.job_id"])
    deadline = time.monotonic() + 60
    while not job.gradient_sizes() and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run()
    assert not at.exception, at.exception
    assert str(job.status) == "running"  # drawn during the run, not after it
    charts = _charts(at)
    assert "train.gradients.sizes" in charts, list(charts)
    bars = charts["train.gradients.sizes"]["data"][0]
    assert bars["y"] == ["Conv2d 1", "Linear 5"]  # the layers with weights, as the rows count
    assert all(x > 0 for x in bars["x"])
    assert TITLE in _texts(at)
    job.stop()
    assert job.wait(30)


def test_runs_shows_a_runs_gradients_over_time_and_its_histograms():
    run = train_run(DEEP_SIGMOID, label="deep-sigmoid", epochs=2, batch_size=64).name
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["run"] = run
    at.run()
    at.switch_page("views/runs.py").run()
    assert not at.exception, at.exception
    charts = _charts(at)
    sizes, heat = charts[f"runs.grads.sizes.{run}"], charts[f"runs.grads.heat.{run}"]
    assert len(sizes["data"]) == 13  # one line per layer with weights
    assert sizes["data"][0]["name"] == "Linear 2"
    grid = heat["data"][0]
    assert grid["type"] == "heatmap"
    # moments down (mini-batches 1 and 2 of 4, then each epoch's end), values across
    assert grid["y"] == ["epoch 0.25", "epoch 0.5", "epoch 1", "epoch 2"]
    z = _array(grid["z"])
    assert [round(sum(row), 6) for row in z] == [100.0] * 4  # each row: all of its values
    text = _texts(at)
    assert SIZES_TITLE in text and HEAT_TITLE in text
    assert "Linear 2's gradients have vanished" in text  # the first layer, in the course's words
    # another layer, and its weights instead of its gradients
    at.selectbox(key=f"runs.grads.layer.{run}").set_value("25").run()
    at.segmented_control(key=f"runs.grads.which.{run}").set_value("weight").run()
    assert not at.exception, at.exception
    title = _charts(at)[f"runs.grads.heat.{run}"]["layout"]["title"]["text"]
    assert title == "Linear 26: its weights over time"


def test_a_run_without_the_file_gets_a_note():
    folder = train_run(epochs=1)
    (folder / GRADIENTS_FILE).unlink()  # as a run trained before gradients were kept
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["run"] = folder.name
    at.run()
    at.switch_page("views/runs.py").run()
    assert not at.exception, at.exception
    assert NO_FILE in _texts(at)
    assert not [k for k in _charts(at) if k.startswith("runs.grads.")]


def test_compare_draws_the_same_layer_of_both_runs():
    a = train_run(DEEP_SIGMOID, label="deep", epochs=1, batch_size=64).name
    b = train_run(DEEP_SIGMOID, label="deep", epochs=1, batch_size=64, lr=0.1).name
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["compare"] = f"{a},{b}"
    at.run()
    at.switch_page("views/runs.py").run()
    assert not at.exception, at.exception
    lines = _charts(at)["runs.cmp.grads"]["data"]
    assert len(lines) == 2 and all(line["name"].endswith("(Linear 2)") for line in lines)
    assert lines[0]["name"] != lines[1]["name"]  # each run named by what differs
    at.selectbox(key="runs.cmp.grads.layer").set_value("25").run()
    lines = _charts(at)["runs.cmp.grads"]["data"]
    assert [line["name"].endswith("(Linear 26)") for line in lines] == [True, True]
