"""The run store under damage: a corpus of broken run folders, a full disk, a killed trainer.

Every file of a real run is damaged in turn (emptied, cut in half, deleted, given
valid JSON of the wrong types); ``list_runs`` lists each folder (damaged ones with
what is wrong) and opening it, reading its metrics or its weights raises nothing
but ``RunError``. A full disk ends the run as failed, says so with the folder,
keeps the last good weights and leaves no ``*.tmp``. A run whose trainer is gone
reads "interrupted".
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from cnnviz.train import run_files
from cnnviz.train.config import TrainConfig
from cnnviz.train.engine import build_seeded, fit
from cnnviz.train.run_files import RunWriteError
from cnnviz.train.status import Status
from cnnviz.train.store import RunError, RunWriter, list_runs, open_run
from tests.helpers import TINY_SPEC, tiny_bundle

CFG = TrainConfig(epochs=2, batch_size=32, lr=0.01, device="cpu")

# (file, what is written) for every file of a run: damage the corpus is built from
WRONG_JSON = {
    "status.json": [
        {"status": "finished", "epochs_done": None},
        {"status": "finished", "epochs_done": "three"},
        {"status": "finished", "test_accuracy": "0.9"},
        {"status": "finished", "test_accuracy": 7},
        {"status": ["finished"]},
        {"status": "finished", "reason": {"a": 1}},
        {"status": "finished", "test_loss": -1},
        [],
        "finished",
        123,
        None,
    ],
    "config.json": [
        {"train": []},
        {"train": {"epochs": "x"}},
        {"train": {"epochs": 2, "unknown": 1}},
        {"dataset": "x"},
        {"dataset": {"name": 5, "size": "28"}},
        {"dataset": {"channels": -1, "size": [1, 2, 3]}},
        {"classes": "abc"},
        {"classes": [1, 2]},
        {"normalization": "standardize"},
        {"normalization": {"kind": "standardize", "mean": ["a"], "std": [0.1]}},
        {"normalization": {"kind": "zzz"}},
        {"label": ["x"]},
        [],
        None,
    ],
    "spec.json": [[], None, "net", {"input": "x", "layers": 5}, {"layers": [{"type": 7}]}],
}
CSV_DAMAGE = {
    "metrics_iter.csv": [
        "epoch,iteration,loss\n1,1,abc\n1,x,0.5\n",
        "epoch,loss\n1,0.5\n",  # no iteration column
        "\x00\x01\x02garbage",
        "",
    ],
    "metrics_epoch.csv": [
        "epoch,train_loss\nthree,0.5\n",
        "train_loss\n0.5\n",  # no epoch column
        '"unterminated\n',
    ],
    "gradients.jsonl": [
        '{"iteration": 1e999, "epoch": 1, "layer": "0"}\n5\n[]\n{"layer": "0"}\n',
        '{"iteration": 1, "epoch": "x", "layer": "0", "grad_hist": {"edges": [1], "counts": [2]}}\n',
        "[" * 5000 + "]" * 5000 + "\n",
    ],
}


def trained_run(root: Path) -> Path:
    model = build_seeded(TINY_SPEC, 0)
    writer = RunWriter(TINY_SPEC, label="tiny", root=root)
    events = list(fit(model, tiny_bundle(), CFG, writer=writer))
    assert events[-1].status == Status.FINISHED
    return writer.path


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    return trained_run(tmp_path_factory.mktemp("good"))


def _damages(good: Path):
    """(name, function that damages a copy) for the whole corpus."""
    files = sorted(p.name for p in good.iterdir())
    assert {"spec.json", "config.json", "status.json", "weights.pt"} <= set(files)
    for name in files:
        yield f"{name}-deleted", lambda d, n=name: (d / n).unlink()
        yield f"{name}-empty", lambda d, n=name: (d / n).write_bytes(b"")
        yield (
            f"{name}-half",
            lambda d, n=name: (d / n).write_bytes(
                (d / n).read_bytes()[: (d / n).stat().st_size // 2]
            ),
        )
        yield f"{name}-binary", lambda d, n=name: (d / n).write_bytes(os.urandom(64))
    for name, values in WRONG_JSON.items():
        for i, v in enumerate(values):
            yield f"{name}-wrong-{i}", lambda d, n=name, v=v: _merge_json(d / n, v)
    for name, texts in CSV_DAMAGE.items():
        for i, t in enumerate(texts):
            yield f"{name}-text-{i}", lambda d, n=name, t=t: (d / n).write_text(t)
    yield "deep-json", lambda d: (d / "status.json").write_text("[" * 5000 + "]" * 5000)
    yield "huge-number", lambda d: (d / "status.json").write_text('{"test_accuracy": 1e999}')
    yield "nan", lambda d: (d / "status.json").write_text('{"test_loss": NaN}')


def _merge_json(path: Path, value) -> None:
    if isinstance(value, dict):
        data = json.loads(path.read_text())
        data.update(value)
        value = data
    path.write_text(json.dumps(value))


def _use_everything(run) -> None:
    """What the pages read from an opened run; only RunError may come out."""
    _ = (run.train_config, run.dataset, run.classes, run.status, run.problems)
    for get in (lambda: run.metrics_iter, lambda: run.metrics_epoch):
        try:
            df = get()
        except RunError:
            continue
        assert isinstance(df, pd.DataFrame)
        for col in df.columns:
            assert pd.api.types.is_numeric_dtype(df[col]), (col, df[col].dtype)
    with contextlib.suppress(RunError):
        for r in run.gradient_records():  # torn or foreign lines are left out
            assert isinstance(r.iteration, int) and isinstance(r.grad_mean_abs, float)
    for get in (lambda: run.normalization, run.load_model):
        with contextlib.suppress(RunError):
            get()


def test_every_damaged_run_is_listed_and_opens_without_a_traceback(good_run, tmp_path):
    cases = list(_damages(good_run))
    assert len(cases) > 60
    for i, (_, damage) in enumerate(cases):
        folder = tmp_path / f"20260101-{i:06d}-case-abcdef"
        shutil.copytree(good_run, folder)
        damage(folder)
    infos = {r.id: r for r in list_runs(tmp_path)}
    assert len(infos) == len(cases)
    unflagged = []
    for i, (label, _) in enumerate(cases):
        info = infos[f"20260101-{i:06d}-case-abcdef"]
        assert isinstance(info.status, str) and isinstance(info.epochs_done, int), label
        assert info.test_accuracy is None or 0 <= info.test_accuracy <= 1, label
        if info.problem is None:
            unflagged.append(label)
        try:
            run = open_run(info.path)
        except RunError:
            continue
        _use_everything(run)
    # Listing reads every JSON file and the CSV headers; bad CSV rows show when the run is
    # opened (Run.problems), a missing or empty CSV is "no rows yet", a bad layer when built.
    # best.pt is optional: a deleted one is no problem. So is the gradients file (older runs
    # have none; a torn line is left out when it is read).
    harmless = ("spec.json-wrong-4", "best.pt-deleted")
    assert all(u.startswith(("metrics_", "gradients.jsonl")) or u in harmless for u in unflagged), (
        unflagged
    )


def test_the_problem_says_what_is_wrong(good_run, tmp_path):
    folder = tmp_path / "20260101-000000-tiny-abcdef"
    shutil.copytree(good_run, folder)
    _merge_json(folder / "status.json", {"epochs_done": "three"})
    _merge_json(folder / "config.json", {"dataset": "x"})
    (info,) = list_runs(tmp_path)
    assert "epochs_done is 'three'" in info.problem
    assert "dataset is 'x'" in info.problem
    run = open_run(folder)
    assert run.status["epochs_done"] == 0 and run.dataset == {}
    (folder / "metrics_iter.csv").write_text("epoch,iteration,loss\n1,1,abc\n1,2,0.5\n")
    df = run.metrics_iter
    assert list(df["iteration"]) == [1, 2] and df["loss"].isna().tolist() == [True, False]
    assert any("loss are not numbers" in p for p in run.problems)


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait(timeout=60)
    return p.pid


def test_a_run_whose_trainer_is_gone_reads_interrupted(good_run, tmp_path):
    folder = tmp_path / "20260101-000000-tiny-abcdef"
    shutil.copytree(good_run, folder)
    status = json.loads((folder / "status.json").read_text())
    for owner in ({"pid": _dead_pid(), "host": os.uname().nodename}, None):
        (folder / "status.json").write_text(
            json.dumps({**status, "status": "running", "owner": owner})
        )
        (info,) = list_runs(tmp_path)
        assert info.status == Status.INTERRUPTED and info.problem is None
        assert open_run(folder).status["status"] == Status.INTERRUPTED
        assert "cut off" in open_run(folder).status["reason"]
    (folder / "status.json").write_text(
        json.dumps({**status, "status": "running", "owner": run_files_owner()})
    )
    assert list_runs(tmp_path)[0].status == Status.RUNNING  # this process: still training


def run_files_owner() -> dict:
    from cnnviz.train.run_checks import this_owner

    return this_owner()


def _fill_disk(monkeypatch, *, when) -> list[str]:
    """Make run_files.write_file fail with ENOSPC for the paths ``when(path)`` picks."""
    real = run_files.write_file
    refused: list[str] = []

    def write(path: Path, data) -> None:
        if when(Path(path)):
            refused.append(Path(path).name)
            Path(path).write_bytes(bytes(data)[:10])  # a half-written file, as a full disk leaves
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(run_files, "write_file", write)
    return refused


def test_disk_full_mid_run_fails_the_run_keeps_good_weights_and_no_tmp(tmp_path, monkeypatch):
    saved = []

    def weights_after_first(path: Path) -> bool:
        if path.name == "weights.pt.tmp":
            saved.append(path)
            return len(saved) > 1  # epoch 1's weights fit; from epoch 2 on, the disk is full
        return False

    refused = _fill_disk(monkeypatch, when=weights_after_first)
    model = build_seeded(TINY_SPEC, 0)
    writer = RunWriter(TINY_SPEC, label="full", root=tmp_path)
    end = list(fit(model, tiny_bundle(), CFG.with_(epochs=3), writer=writer))[-1]
    assert refused
    assert end.status == Status.FAILED
    assert "The disk is full" in end.reason and f"run {writer.id}" in end.reason
    assert str(tmp_path) not in end.reason  # the reason is shown to students: no server path
    assert "enforce fail" not in end.reason and "Errno" not in end.reason
    assert end.advice and "Free some space" in end.advice
    assert not list(writer.path.glob("*.tmp"))
    run = open_run(writer.path)
    assert run.status["status"] == Status.FAILED
    assert run.status["epochs_done"] == 1
    run.load_state_dict()  # the last good weights (epoch 1) are intact


def test_disk_full_before_start_leaves_no_folder(tmp_path, monkeypatch):
    _fill_disk(monkeypatch, when=lambda p: p.name == "spec.json.tmp")
    with pytest.raises(RunWriteError, match="The disk is full") as e:
        RunWriter(TINY_SPEC, label="full", root=tmp_path)
    assert "spec.json could not be written to run " in str(e.value)
    assert str(tmp_path) not in str(e.value)  # names the run, not the server's folder
    assert list(tmp_path.iterdir()) == []


def test_final_status_the_disk_cannot_take_is_still_read(tmp_path, monkeypatch):
    model = build_seeded(TINY_SPEC, 0)
    n: list[Path] = []

    def status_at_the_end(path: Path) -> bool:
        if path.name != "status.json.tmp":
            return False
        n.append(path)  # created, fit started, one per epoch, then the final one
        return len(n) == 3 + CFG.epochs

    _fill_disk(monkeypatch, when=status_at_the_end)
    writer = RunWriter(TINY_SPEC, label="full", root=tmp_path)

    end = list(fit(model, tiny_bundle(), CFG, writer=writer))[-1]
    assert end.status == Status.FINISHED
    on_disk = json.loads((writer.path / "status.json").read_text())
    assert on_disk["status"] == "running"  # the disk kept the last status it could take
    assert open_run(writer.path).status["status"] == Status.FINISHED
    assert list_runs(tmp_path)[0].status == Status.FINISHED
    assert not list(writer.path.glob("*.tmp"))
    assert torch.load(writer.path / "weights.pt", weights_only=True)
