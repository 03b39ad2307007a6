"""``cnnviz compare``, ``cnnviz runs`` and ``cnnviz experiment``: output and exit codes."""

from __future__ import annotations

import json

import pytest
import torch

from cnnviz.cli.main import main
from cnnviz.compare import runs as run_cache
from cnnviz.compare.runs import load
from cnnviz.design.build import build_model
from tests.compare.runs_for_tests import train_run, with_batchnorm

KEYS = {"run_dir", "label", "test_accuracy", "best_val_accuracy", "epochs", "elapsed_s", "params"}


@pytest.fixture
def two(tmp_path):
    a = train_run(root=tmp_path, lr=0.01)
    b = train_run(with_batchnorm(), root=tmp_path, lr=0.001, normalize="div255")
    return tmp_path, a, b


def test_compare_json_has_exactly_the_keys_and_the_facts(two, capsys):
    root, a, b = two
    assert main(["compare", a.name, str(b), "--runs-dir", str(root), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"runs", "settings_diff", "layers_diff", "per_class_accuracy"}
    assert [set(r) for r in out["runs"]] == [KEYS, KEYS]
    ra, rb = out["runs"]
    assert ra["run_dir"] == str(a) and rb["run_dir"] == str(b)
    assert rb["params"] == sum(p.numel() for p in build_model(with_batchnorm()).parameters())
    assert ra["test_accuracy"] == json.loads((a / "status.json").read_text())["test_accuracy"]
    assert ra["epochs"] == 2
    assert out["settings_diff"] == {
        "normalization": ["standardize", "div255"],
        "learning rate": [0.01, 0.001],
    }
    assert out["layers_diff"][0] == "+ BatchNorm2d after layer 1 — params +8; output 4×8×8"
    assert set(out["per_class_accuracy"]) == {
        "top-left",
        "top-right",
        "bottom-left",
        "bottom-right",
    }
    conf = torch.tensor(json.loads((b / "status.json").read_text())["confusion"], dtype=torch.float)
    per = (conf.diag() / conf.sum(1)).tolist()
    assert [v[1] for v in out["per_class_accuracy"].values()] == pytest.approx(per)


def test_compare_text_names_what_changed(two, capsys):
    root, a, b = two
    assert main(["compare", str(a), str(b)]) == 0
    text = capsys.readouterr().out
    assert "learning rate: 0.01 → 0.001" in text and "+ BatchNorm2d after layer 1" in text
    assert "Test accuracy per class:" in text


def test_a_missing_or_damaged_run_exits_2_and_the_rest_is_compared(two, capsys):
    root, a, b = two
    broken = train_run(root=root)
    (broken / "spec.json").write_text("{ not json")
    code = main(["compare", a.name, b.name, broken.name, "nope", "--runs-dir", str(root), "--json"])
    captured = capsys.readouterr()
    assert code == 2
    out = json.loads(captured.out)
    assert [r["run_dir"] for r in out["runs"]] == [str(a), str(b)]
    assert "No run called nope" in captured.err and "spec.json cannot be read" in captured.err


def test_compare_best_uses_the_best_validation_epoch(two, capsys):
    root, a, b = two
    main(["compare", str(a), str(b), "--json", "--best"])
    out = json.loads(capsys.readouterr().out)
    status = json.loads((a / "status.json").read_text())
    assert out["runs"][0]["test_accuracy"] == status["best_test_accuracy"]


def test_runs_lists_what_the_runs_page_lists(two, capsys):
    root, a, b = two
    (root / "broken").mkdir()
    assert main(["runs", "--runs-dir", str(root), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["runs"]
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {a.name, b.name, "broken"}
    assert by_id[a.name]["status"] == "finished" and by_id[a.name]["problem"] is None
    assert by_id["broken"]["problem"]
    assert main(["runs", "--runs-dir", str(root)]) == 0
    assert a.name in capsys.readouterr().out


def test_metrics_are_read_again_only_when_a_file_changes(two):
    root, a, _ = two
    run_cache.clear_cache()
    before = dict(run_cache.stats)
    first = load(a)
    second = load(a)
    assert second is first
    assert run_cache.stats["parsed"] == before["parsed"] + 1
    with open(a / "metrics_epoch.csv", "a") as f:  # a new epoch was written
        f.write("3,0.5,0.8,0.6,0.7,1.0,0.01\n")
    third = load(a)
    assert third is not first and len(third.epochs) == len(first.epochs) + 1
    assert run_cache.stats["parsed"] == before["parsed"] + 2


def test_experiment_json_last_line_and_runs_saved(tmp_path, capsys):
    args = ["experiment", "learning-rate", "mnist-basic", "--dataset", "shapes", "--epochs", "1",
            "--limit-train", "120", "--limit-test", "40", "--size", "28", "--channels", "1",
            "--runs-dir", str(tmp_path), "--json", "--lr", "0.01", "--optimizer", "sgd"]  # fmt: skip
    assert main(args) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    last = lines[-1]
    assert set(last) == {"event", "runs", "reading"} and last["event"] == "experiment_finished"
    assert [r["label"] for r in last["runs"]] == ["lr 0.001", "lr 0.01", "lr 0.1"]
    assert all(set(r) == {"run_dir", "label", "seed", "test_accuracy"} for r in last["runs"])
    assert {r["seed"] for r in last["runs"]} == {0}
    for r in last["runs"]:
        cfg = json.loads((tmp_path / r["run_dir"].split("/")[-1] / "config.json").read_text())
        assert cfg["train"]["lr"] == float(r["label"].split()[1])
    accs = [r["test_accuracy"] for r in last["runs"]]
    assert last["reading"].startswith("Test accuracy: lr 0.001 ")
    assert f"{100 * accs[0]:.1f}%" in last["reading"]
    assert [x["event"] for x in lines[:-1]] == ["run_finished"] * 3


def test_experiment_refuses_bad_input(tmp_path, capsys):
    assert main(["experiment", "dropout", "lenet5"]) == 2
    assert (
        main(
            ["experiment", "normalization", "lenet5", "--repeats", "0", "--runs-dir", str(tmp_path)]
        )
        == 2
    )
    assert "--repeats must be between 1 and 20" in capsys.readouterr().err
