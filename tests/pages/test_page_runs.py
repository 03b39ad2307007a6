"""Runs page (AppTest): saved runs are listed and reopened; broken folders give a message."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import torch
from streamlit.testing.v1 import AppTest

from cnnviz.design.build import build_model
from cnnviz.train.events import BatchEnded, EpochEnded, FitEnded, FitStarted
from cnnviz.train.status import Status
from cnnviz.train.store import RunWriter, runs_root
from cnnviz.ui.runs.listing import runs_table
from tests.helpers import APP

SPEC = {
    "input": [1, 8, 8],
    "layers": [
        {"type": "conv2d", "out_channels": 2, "kernel_size": 3},
        {"type": "flatten"},
        {"type": "linear", "out_features": 3},
    ],
}


def _write_run(label: str = "tiny", test_accuracy: float = 0.75) -> str:
    torch.manual_seed(0)
    model = build_model(SPEC)
    w = RunWriter(SPEC, label=label)
    prepared = SimpleNamespace(
        normalization=SimpleNamespace(kind="div255", mean=None, std=None),
        dataset="shapes",
        input_shape=(1, 8, 8),
        train_size=90,
        val_size=10,
        test_size=20,
        classes=("a", "b", "c"),
    )
    w.begin(
        {"epochs": 2, "batch_size": 30, "optimizer": "sgd", "lr": 0.05, "momentum": 0.9}, prepared
    )
    w.record(FitStarted(2, 3, 90, 10, 20, 30, "cpu"))
    it = 0
    for epoch in (1, 2):
        for b in (1, 2, 3):
            it += 1
            w.record(BatchEnded(epoch, it, b, 1.5 - 0.1 * it, 0.3 + 0.05 * it, 1000.0, 0.1 * it))
        w.record(
            EpochEnded(epoch, 1.2 / epoch, 0.4 * epoch, 1.1 / epoch, 0.35 * epoch, 0.3 * epoch),
            model,
        )
    w.record(
        FitEnded(Status.FINISHED, test_loss=0.6, test_accuracy=test_accuracy, elapsed_s=0.6), model
    )
    return w.id


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/runs.py")
    return at.run()


def test_no_runs_points_to_train():
    at = _app()
    assert not at.exception
    assert any("No runs yet" in i.value for i in at.info)


def test_saved_run_is_listed_and_shown():
    run_id = _write_run(test_accuracy=0.75)
    at = _app()
    assert not at.exception, at.exception
    df = at.dataframe[0].value
    assert list(df["run"]) == [run_id]
    assert df["test accuracy"].iloc[0] == "75.0 %"
    assert df["dataset"].iloc[0] == "shapes" and df["epochs"].iloc[0] == "2/2"
    assert any(run_id in s.value for s in at.subheader)
    assert len(at.get("plotly_chart")) == 2
    labels = [b.label for b in at.button]
    assert "Open in Inspect" in labels and "Load design" in labels


def test_load_design_replaces_the_spec():
    run_id = _write_run()
    at = _app()
    at.button(key=f"runs.design.{run_id}").click().run()
    assert not at.exception
    assert at.session_state["cnnviz.design.spec"] == SPEC
    assert any("Design loaded" in s.value for s in at.success)


def test_broken_folder_is_listed_with_its_problem():
    _write_run()
    broken = runs_root() / "20990101-000000-broken-abcdef"
    broken.mkdir(parents=True)
    (broken / "spec.json").write_text(json.dumps(SPEC))
    (broken / "status.json").write_text("{not json")
    at = _app()
    assert not at.exception, at.exception
    df = at.dataframe[0].value
    assert len(df) == 2
    row = df[df["run"] == broken.name].iloc[0]
    assert row["status"].startswith("problem: ")
    # the newest (the broken one) is shown by default: a message, not a traceback
    assert at.warning or at.error
    text = " ".join(e.value for e in [*at.warning, *at.error])
    assert "has a problem" in text and broken.name in text  # which run, and that it is damaged


def test_damaged_weights_warn_in_the_table_and_on_the_run_page():
    run_id = _write_run()
    w = runs_root() / run_id / "weights.pt"
    w.write_bytes(w.read_bytes()[:300])  # truncated: still "finished" in status.json
    at = _app()
    assert not at.exception, at.exception
    row = at.dataframe[0].value.iloc[0]
    assert row["status"] == "problem: weights.pt is damaged and cannot be read"
    text = " ".join(e.value for e in at.warning)
    assert "weights.pt is damaged" in text and "delete this run folder" in text
    assert at.button(key=f"runs.inspect.{run_id}").disabled


def test_runs_table_formats_problem_and_accuracy():
    from cnnviz.train.store import RunInfo

    infos = [
        RunInfo("r1", Path("r1"), "lenet5", "mnist", "finished", 0.981, 3, 3, 0.0),
        RunInfo(
            "r2",
            Path("r2"),
            "",
            "",
            "unknown",
            None,
            0,
            None,
            0.0,
            problem="config.json is missing",
        ),
    ]
    df = runs_table(infos)
    assert df["test accuracy"].iloc[0] == "98.1 %"
    assert df["status"].iloc[0] == "finished"
    assert df["status"].iloc[1] == "problem: config.json is missing"
    assert df["network"].iloc[1] == "—"


def test_a_stopped_run_says_why_it_has_no_accuracy_instead_of_none():
    from cnnviz.train.store import RunInfo

    infos = [RunInfo("r1", Path("r1"), "x", "shapes", "stopped", None, 1, 5, 0.0)]
    cell = runs_table(infos)["test accuracy"].iloc[0]
    assert cell is not None and "None" not in str(cell) and "stopped" in cell


def test_running_run_without_a_live_job_is_flagged():
    from cnnviz.train.store import RunInfo

    infos = [RunInfo("r1", Path("r1"), "x", "shapes", "running", None, 1, 5, 0.0)]
    assert runs_table(infos, live_ids={"r1"})["status"].iloc[0] == "running"
    # (a run whose trainer is gone is already "interrupted" when read: cnnviz.train.store)
    assert "another process" in runs_table(infos, live_ids=set())["status"].iloc[0]


def test_open_in_inspect_sets_the_run():
    run_id = _write_run()
    at = _app()
    at.button(key=f"runs.inspect.{run_id}").click().run()
    assert at.session_state["cnnviz.run_id"] == run_id
    assert not at.exception, at.exception  # the Inspect page opened with this run


def test_unreadable_values_are_named_on_every_rerun_and_a_changed_file_is_read_again():
    run_id = _write_run()
    csv = runs_root() / run_id / "metrics_iter.csv"
    lines = csv.read_text().splitlines()
    head, first = lines[0].split(","), lines[1].split(",")
    first[head.index("loss")] = "oops"
    csv.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")
    at = _app()
    assert not at.exception, at.exception

    def warned() -> bool:
        return any("left out of the charts" in w.value for w in at.warning)

    assert warned()
    at.run()  # the charts come from the cache now: the warning stays
    assert warned() and len(at.get("plotly_chart")) == 2
    csv.write_text("\n".join(lines) + "\n")  # fixed on disk: read again, no warning
    at.run()
    assert not warned()
