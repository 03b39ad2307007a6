"""``cnnviz train --executor ray``: a training on a local Ray instance saves a normal run.

The run it saves is the one the Runs page lists and Inspect opens, exactly like
a run trained in this process; an unreachable cluster is a clear message (exit 3).
"""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from cnnviz.cli.exits import ExitCode
from cnnviz.cli.main import main
from cnnviz.train.store import list_runs, open_run
from tests.helpers import APP

SMALL = ["--dataset", "shapes", "--limit-train", "160", "--limit-test", "40", "--epochs", "1"]


def test_mnist_basic_on_ray_saves_a_run_that_runs_and_inspect_open(ray_cluster, capsys):
    code = main(
        ["train", "mnist-basic", *SMALL, "--executor", "ray", "--ray-address", "local", "--json"]
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == ExitCode.OK, lines[-1]
    assert lines[0]["event"] == "fit_started" and lines[0]["device"] == "cpu"
    assert [d["epoch"] for d in lines if d["event"] == "epoch_ended"] == [1]
    assert sum(d["event"] == "batch_ended" for d in lines) == lines[0]["iterations_per_epoch"]
    last = lines[-1]
    assert last["event"] == "finished" and 0 <= last["test_accuracy"] <= 1
    run = open_run(Path(last["run_dir"]))
    assert run.status["status"] == "finished" and run.dataset["name"] == "shapes"
    assert run.dataset["size"] == [28, 28] and run.dataset["channels"] == 1
    assert len(run.metrics_iter) == lines[0]["iterations_per_epoch"]
    run.load_model()
    [info] = list_runs()
    assert info.id == run.id and info.problem is None

    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/runs.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert list(at.dataframe[0].value["run"]) == [run.id]
    at.button(key=f"runs.inspect.{run.id}").click().run()  # switches to Inspect with this run
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["cnnviz.run_id"] == run.id
    assert not at.error
    titles = [
        json.loads(el.proto.spec).get("layout", {}).get("title", {})
        for el in at.get("plotly_chart")
    ]
    assert any("output [" in (t.get("text", "") if isinstance(t, dict) else str(t)) for t in titles)


def test_an_unreachable_cluster_is_exit_3_naming_the_address(capsys):
    code = main(
        ["train", "lenet5", *SMALL, "--executor", "ray", "--ray-address", "ray://127.0.0.1:1"]
    )
    err = capsys.readouterr().err
    assert code == ExitCode.UNAVAILABLE == 3
    assert "ray://127.0.0.1:1" in err and "cannot be reached" in err and "Traceback" not in err
    assert list_runs() == []  # nothing half-made


def test_fallback_trains_here_with_a_note(monkeypatch, capsys):
    monkeypatch.setenv("CNNVIZ_RAY_FALLBACK", "local")
    code = main(["train", "lenet5", *SMALL, "--executor", "ray", "--ray-address", "127.0.0.1:1"])
    captured = capsys.readouterr()
    assert code == ExitCode.OK
    assert "127.0.0.1:1" in captured.err and "runs on this server" in captured.err
    assert "finished: test accuracy" in captured.out
