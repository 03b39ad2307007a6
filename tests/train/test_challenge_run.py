"""A run trained under a challenge keeps the challenge's id in its config.json (through the
one submission gate), and its accuracy target is checked from the run store when it ends."""

from __future__ import annotations

import json

import pytest

from cnnviz.classroom.submit import Gate
from cnnviz.design.challenge import Challenge
from cnnviz.design.challenge_checks import run_check
from cnnviz.train.config import TrainConfig
from cnnviz.train.jobs import JobRegistry
from cnnviz.train.request import TrainRequest
from cnnviz.train.store import open_run
from tests.helpers import TINY_SPEC, tiny_bundle


@pytest.fixture
def registry():
    reg = JobRegistry(max_live=2)
    yield reg
    reg.stop_all(wait_s=10)


def _train(registry, tmp_path, challenge: str):
    config = TrainConfig(epochs=1, batch_size=16, lr=0.01, device="cpu")
    request = TrainRequest(
        TINY_SPEC, tiny_bundle(), config, label="tiny", runs_root=tmp_path, challenge=challenge
    )
    done = Gate(registry).submit(request)
    assert done.job.wait(120)
    return open_run(done.job.run_dir)


def test_run_under_a_challenge_keeps_its_id_and_meets_the_accuracy_target(registry, tmp_path):
    run = _train(registry, tmp_path, "link-0123456789")
    raw = json.loads((run.path / "config.json").read_text())
    assert raw["challenge"] == "link-0123456789"
    assert run.config["challenge"] == "link-0123456789"  # kept by the run store's reader
    acc = run.status["test_accuracy"]
    assert run.status["status"] == "finished" and acc is not None
    easy = Challenge("t", TINY_SPEC, "shapes", min_accuracy=max(acc - 0.01, 0.01), max_epochs=1)
    hard = Challenge("t", TINY_SPEC, "shapes", min_accuracy=min(acc + 0.01, 1.0), max_epochs=1)
    args = (run.spec, run.train_config, run.status)
    assert run_check(easy, *args).met
    assert not run_check(hard, *args).met or acc >= 0.995
    too_short = Challenge("t", TINY_SPEC, min_accuracy=0.01, max_epochs=1, locked={"epochs": 3})
    assert not run_check(too_short, *args).met  # trained 1 epoch, the challenge locks 3


def test_a_run_under_no_challenge_has_none(registry, tmp_path):
    run = _train(registry, tmp_path, "")
    assert "challenge" not in json.loads((run.path / "config.json").read_text())
    assert "challenge" not in run.config


def test_a_damaged_challenge_id_in_config_is_a_problem_not_a_crash(registry, tmp_path):
    run = _train(registry, tmp_path, "x")
    path = run.path / "config.json"
    raw = json.loads(path.read_text())
    raw["challenge"] = {"evil": 1}
    path.write_text(json.dumps(raw))
    again = open_run(run.path)
    assert "challenge" not in again.config
    assert any("challenge" in p for p in again.problems)
