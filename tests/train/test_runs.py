"""Run store: round trip, refusal of pickled code, damaged files, crash mid-run."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
import torch

from cnnviz.train.config import TrainConfig
from cnnviz.train.engine import build_seeded, fit
from cnnviz.train.events import EpochEnded
from cnnviz.train.status import Status
from cnnviz.train.store import (
    WEIGHTS_DAMAGED,
    WEIGHTS_MISSING,
    WEIGHTS_NOT_YET,
    RunError,
    RunWriter,
    list_runs,
    open_run,
    runs_root,
    weights_problem,
)
from tests.helpers import TINY_SPEC, tiny_bundle

CFG = TrainConfig(epochs=2, batch_size=32, device="cpu", normalize="standardize")


def trained_run(tmp_path: Path, **kw):
    model = build_seeded(TINY_SPEC, 0)
    writer = RunWriter(TINY_SPEC, label="tiny net", root=tmp_path)
    events = list(fit(model, tiny_bundle(), kw.pop("config", CFG), writer=writer))
    return model, writer, events


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_round_trip_gives_identical_outputs(tmp_path: Path):
    model, writer, events = trained_run(tmp_path)
    run = open_run(writer.id, root=tmp_path)
    assert run.spec == TINY_SPEC and run.classes == list(tiny_bundle().classes)
    assert run.train_config["epochs"] == 2 and run.dataset["name"] == "tiny"
    assert run.dataset["channels"] == 1 and run.dataset["size"] == [8, 8]
    assert (
        run.status["status"] == "finished"
        and run.status["test_accuracy"] == events[-1].test_accuracy
    )
    assert run.normalization.kind == "standardize" and len(run.normalization.mean) == 1
    assert len(run.metrics_epoch) == 2 and list(run.metrics_epoch["epoch"]) == [1, 2]
    assert len(run.metrics_iter) == 2 * 8
    loaded = run.load_model()
    x = torch.randn(5, 1, 8, 8)
    model.eval()
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    assert not loaded.training


def test_folder_name_and_list(tmp_path: Path):
    _, writer, _ = trained_run(tmp_path)
    assert writer.path.name.split("-")[2:4] == ["tiny", "net"]  # <date>-<time>-<label>-<id>
    (info,) = list_runs(tmp_path)
    assert info.id == writer.id and info.status == "finished" and info.problem is None
    assert info.label == "tiny-net" and info.dataset == "tiny" and info.epochs_done == 2


def test_runs_root_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", os.fspath(tmp_path / "elsewhere"))
    assert runs_root() == tmp_path / "elsewhere"
    w = RunWriter(TINY_SPEC)
    assert w.path.parent == tmp_path / "elsewhere"


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_pickled_code_is_refused_and_the_run_left_alone(tmp_path: Path):
    _, writer, _ = trained_run(tmp_path)
    torch.save({"weight": torch.zeros(1), "payload": Evil()}, writer.path / "weights.pt")
    before = digest(writer.path)
    with pytest.raises(RunError, match="pickled code"):
        open_run(writer.path).load_model()
    assert digest(writer.path) == before


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing", "wrong shapes"])
def test_damaged_weights_are_a_clear_error(tmp_path: Path, damage: str):
    _, writer, _ = trained_run(tmp_path)
    w = writer.path / "weights.pt"
    if damage == "garbage":
        w.write_bytes(b"not a torch file at all")
    elif damage == "truncated":
        w.write_bytes(w.read_bytes()[:200])
    elif damage == "missing":
        w.unlink()
    else:
        torch.save({"0.weight": torch.zeros(3)}, w)
    with pytest.raises(RunError, match="weights.pt") as err:
        open_run(writer.path).load_model()
    msg = str(err.value)
    assert "\n" not in msg and "zip" not in msg.lower() and "pop from" not in msg
    if damage in ("garbage", "truncated"):
        assert msg == (
            f"weights.pt in {writer.id} is damaged and cannot be read: "
            "train again, or delete this run folder."
        )
    if damage == "missing":
        assert "missing" in msg and "no epoch finished" not in msg


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other zip"])
def test_damaged_weights_are_flagged_when_listing(tmp_path: Path, damage: str):
    import zipfile

    _, writer, _ = trained_run(tmp_path)
    w = writer.path / "weights.pt"
    if damage == "garbage":
        w.write_bytes(os.urandom(5000))
    elif damage == "truncated":
        w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])
    elif damage == "empty":
        w.write_bytes(b"")
    else:
        with zipfile.ZipFile(w, "w") as z:
            z.writestr("notes.txt", "hello")
    (info,) = list_runs(tmp_path)
    assert info.problem == WEIGHTS_DAMAGED


def test_missing_weights_after_finished_epochs_says_missing(tmp_path: Path):
    _, writer, _ = trained_run(tmp_path)
    (writer.path / "weights.pt").unlink()
    (info,) = list_runs(tmp_path)
    assert info.problem == WEIGHTS_MISSING
    fresh = RunWriter(TINY_SPEC, label="fresh", root=tmp_path)  # no epoch finished yet
    assert weights_problem(fresh.path / "weights.pt", {"status": "running"}) == WEIGHTS_NOT_YET


def test_listing_does_not_load_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    trained_run(tmp_path)

    def no_load(*a, **k):
        raise AssertionError("list_runs must not torch.load weights")

    monkeypatch.setattr(torch, "load", no_load)
    (info,) = list_runs(tmp_path)
    assert info.problem is None


def test_a_crash_mid_run_leaves_every_finished_epoch_readable(tmp_path: Path):
    model = build_seeded(TINY_SPEC, 0)
    writer = RunWriter(TINY_SPEC, label="crash", root=tmp_path)
    gen = fit(model, tiny_bundle(), CFG.with_(epochs=5), writer=writer)
    epochs = 0
    for ev in gen:
        if isinstance(ev, EpochEnded):
            epochs += 1
            if epochs == 2:
                break  # the process dies here: no FitEnded is ever written
    state = {k: v.clone() for k, v in model.state_dict().items()}
    del gen
    run = open_run(writer.path)
    assert run.status["status"] == "running" and run.status["epochs_done"] == 2
    assert list(run.metrics_epoch["epoch"]) == [1, 2]
    assert len(run.metrics_iter) == 2 * 8
    loaded = run.load_state_dict()
    assert all(torch.equal(loaded[k], state[k]) for k in state)
    assert not list(writer.path.glob("*.tmp"))


def test_broken_folders_are_listed_with_a_problem(tmp_path: Path):
    trained_run(tmp_path)
    (tmp_path / "20200101-000000-empty-abc123").mkdir()
    bad = tmp_path / "20200101-000001-bad-abc124"
    bad.mkdir()
    (bad / "status.json").write_text("{not json")
    (bad / "config.json").write_text("{}")
    infos = list_runs(tmp_path)
    assert len(infos) == 3 and infos[0].problem is None  # newest first
    problems = {i.id: i.problem for i in infos[1:]}
    assert "missing" in problems["20200101-000000-empty-abc123"]
    assert "status.json is not valid JSON" in problems["20200101-000001-bad-abc124"]
    with pytest.raises(RunError, match="spec.json is missing"):
        open_run(tmp_path / "20200101-000000-empty-abc123")


def test_open_run_refuses_paths_that_are_not_runs(tmp_path: Path):
    with pytest.raises(RunError, match="No run"):
        open_run("no-such-run", root=tmp_path)
    with pytest.raises(RunError):
        open_run("../etc", root=tmp_path)


def test_failed_run_keeps_the_last_good_weights(tmp_path: Path):
    _, writer, _ = trained_run(tmp_path)
    good = (writer.path / "weights.pt").read_bytes()
    from cnnviz.train.events import FitEnded

    class Nan(torch.nn.Module):
        def state_dict(self, *a, **k):
            return {"w": torch.tensor([float("nan")])}

    writer.record(FitEnded(Status.FAILED, "The loss became NaN"), Nan())
    assert (writer.path / "weights.pt").read_bytes() == good
    assert json.loads((writer.path / "status.json").read_text())["status"] == "failed"
