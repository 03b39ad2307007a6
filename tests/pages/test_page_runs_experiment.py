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


def test_experiment_runs_have_their_own_names_and_fold_into_one_line_each():
    """An experiment with Adam (2 seeds) and one with SGD (1 seed) from the same run: 9 runs.
    The picker shows each experiment as one line naming its optimizer; unfolded, every run is
    named by arm, seed and setting, no two alike; picking an experiment's line picks its runs."""
    import os

    from cnnviz.compare.runner import ExperimentRun
    from cnnviz.train.config import TrainConfig
    from cnnviz.train.jobs import JobRegistry
    from cnnviz.train.request import TrainRequest

    parent = _shapes_run(lr=0.01)
    bundle = load_dataset("shapes", size=8, channels=1, n_train=90, n_test=30)
    reg = JobRegistry(max_live=1)
    ids = {}
    for opt, repeats in (("adam", 2), ("sgd", 1)):
        config = TrainConfig.from_dict(
            {"epochs": 1, "batch_size": 32, "lr": 0.01, "optimizer": opt, "device": "cpu"}
        )
        request = TrainRequest(SPEC10, bundle, config, runs_root=os.environ["CNNVIZ_RUNS_DIR"])
        exp = ExperimentRun("normalization", request, reg.start, repeats=repeats, poll_s=0.05)
        exp.run()
        assert exp.error is None and len(exp.results) == 3 * repeats
        ids[opt] = {os.path.basename(r) for r in exp.run_ids}
    at = _runs_page(parent.name)
    assert not at.exception, at.exception
    box = at.multiselect(key="runs.compare")
    groups = [o for o in box.options if o.startswith("Experiment")]
    assert len(box.options) == 3 and len(groups) == 2, box.options  # folded: 2 lines + the parent
    assert any("Normalization · SGD, lr 0.01 · 3 runs" in g for g in groups), groups
    assert any("Normalization · Adam, lr 0.01 · 6 runs" in g for g in groups), groups

    at.toggle(key="runs.compare.unfold").set_value(True).run()
    names = [o for o in at.multiselect(key="runs.compare").options if o.startswith("normalization")]
    arms = [n.rsplit(" · ", 2)[0] if "%" in n else n.rsplit(" · ", 1)[0] for n in names]
    assert len(names) == 9 and len(set(arms)) == 9, arms  # no two arms alike
    assert any(a.startswith("normalization: standardize · seed 1 · Adam") for a in arms), arms
    assert any(a.startswith("normalization: standardize · seed 0 · SGD") for a in arms), arms

    at.toggle(key="runs.compare.unfold").set_value(False).run()
    sgd = next(o for o in at.multiselect(key="runs.compare").options if "SGD" in o)
    at.multiselect(key="runs.compare").select(sgd).run()
    assert not at.exception, at.exception
    chosen = at.multiselect(key="runs.compare").value
    assert set(chosen) == ids["sgd"], chosen
