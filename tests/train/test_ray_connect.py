"""The Ray executor's own connection path, as a user runs it: the CLI in a fresh process.

The other Ray tests start Ray themselves (``ray_cluster``), so they never saw that
``--ray-address local`` lost its instance the moment the thread that started it
returned. Here nothing starts Ray but the command. A cluster with token
authentication is started the same way (``ray.init`` in a process of its own,
``RAY_AUTH_MODE=token``); a server without its token is told what to set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from cnnviz.cli.exits import ExitCode
from cnnviz.train.executors.ray_connect import auth_refusal
from cnnviz.train.executors.settings import ClusterRefused
from cnnviz.train.store import list_runs, open_run

pytest.importorskip("ray", reason="the ray extra is not installed (requirements-ray.txt)")

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--epochs", "1", "--limit-train", "64", "--limit-test", "32", "--json"]
RAY_AUTH_VARS = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_ADDRESS")


def _env(home: Path, runs: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in RAY_AUTH_VARS}
    env |= {"PYTHONPATH": str(ROOT), "HOME": str(home), "CNNVIZ_RUNS_DIR": str(runs)}
    return env | extra


def _train(address: str, env: dict[str, str], timeout: float = 420) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "cnnviz", "train", "lecture-7-23", *SMALL]
    cmd += ["--executor", "ray", "--ray-address", address]
    return subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _finished_run(proc: subprocess.CompletedProcess, runs: Path) -> None:
    assert proc.returncode == ExitCode.OK, proc.stderr[-3000:]
    last = json.loads(proc.stdout.splitlines()[-1])
    assert last["event"] == "finished" and last["run_dir"], last
    run = open_run(Path(last["run_dir"]))
    assert run.status["status"] == "finished" and run.dataset["name"] == "shapes"
    assert len(run.metrics_epoch) == 1
    run.load_model()
    assert [info.id for info in list_runs(runs)] == [run.id]


def test_cli_local_ray_instance_trains_and_saves_a_normal_run(tmp_path):
    home, runs = tmp_path / "home", tmp_path / "runs"
    home.mkdir()
    proc = _train("local", _env(home, runs))
    assert "Failed to connect to GCS" not in proc.stderr
    _finished_run(proc, runs)


def test_local_address_from_the_environment_works_too(tmp_path):
    home, runs = tmp_path / "home", tmp_path / "runs"
    home.mkdir()
    env = _env(home, runs, CNNVIZ_RAY_ADDRESS="local", CNNVIZ_EXECUTOR="ray")
    cmd = [sys.executable, "-m", "cnnviz", "train", "lecture-7-23", *SMALL]
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=420, check=False
    )
    _finished_run(proc, runs)


HEAD = textwrap.dedent(
    """
    import signal, sys, ray
    ctx = ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
    print(ctx.address_info["gcs_address"], flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.pause()
    """
)


@pytest.fixture(scope="module")
def token_head(tmp_path_factory):
    """A Ray head with token authentication, in a process of its own: (gcs address, token)."""
    home = tmp_path_factory.mktemp("head-home")
    token = uuid.uuid4().hex + uuid.uuid4().hex
    env = _env(home, home / "runs", RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    head = subprocess.Popen(
        [sys.executable, "-c", HEAD], env=env, stdout=subprocess.PIPE, text=True, cwd=home
    )
    try:
        address = head.stdout.readline().strip()
        assert ":" in address, "the head did not start"
        yield address, token
    finally:
        head.terminate()  # ray.shutdown at exit ends its GCS, raylet and workers
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()


def test_a_server_without_the_token_is_told_what_to_set(token_head, tmp_path):
    address, _ = token_head
    home, runs = tmp_path / "home", tmp_path / "runs"
    home.mkdir()  # no ~/.ray/auth_token here, no RAY_AUTH_MODE
    proc = _train(address, _env(home, runs))
    assert proc.returncode == ExitCode.UNAVAILABLE, proc.stderr[-3000:]
    err = proc.stderr
    assert f"The Ray cluster at {address} refused this server" in err
    assert "RAY_AUTH_MODE=token" in err and "ray get-auth-token --generate" in err
    assert "RAY_AUTH_TOKEN" in err and "cannot be reached" not in err
    assert "Traceback" not in err
    assert list_runs(runs) == []


def test_with_what_the_message_says_the_same_training_finishes(token_head, tmp_path):
    address, token = token_head
    home, runs = tmp_path / "home", tmp_path / "runs"
    (home / ".ray").mkdir(parents=True)
    (home / ".ray" / "auth_token").write_text(token)  # the head's token copied here
    _finished_run(_train(address, _env(home, runs, RAY_AUTH_MODE="token")), runs)


def test_ray_s_own_missing_token_error_is_read_as_a_refusal():
    from ray._private.authentication.authentication_constants import (
        TOKEN_AUTH_ENABLED_BUT_NO_TOKEN_FOUND_ERROR_MESSAGE,
    )
    from ray.exceptions import AuthenticationError

    from cnnviz.train.executors.ray_connect import short

    text = short(AuthenticationError(TOKEN_AUTH_ENABLED_BUT_NO_TOKEN_FOUND_ERROR_MESSAGE))
    detail = auth_refusal(text)
    assert detail is not None and detail.startswith("AuthenticationError: ")
    refused = ClusterRefused("10.0.0.1:6379", detail)
    assert "refused this server" in str(refused) and "RAY_AUTH_MODE=token" in str(refused)
    assert auth_refusal("ConnectionError: Failed to connect to Ray cluster at x:1") is None


SERVER = textwrap.dedent(
    """
    import time, ray
    from cnnviz.train.config import TrainConfig
    from cnnviz.train.executors import make_executor
    from cnnviz.train.executors.settings import ExecutorKind, ExecutorSettings
    from cnnviz.train.request import TrainRequest
    from tests.helpers import TINY_SPEC, tiny_bundle

    def wait(cond, what, timeout=300):
        end = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < end, what
            time.sleep(0.2)

    cfg = TrainConfig(epochs=1, batch_size=16, lr=0.01, device="cpu")
    settings = ExecutorSettings(kind=ExecutorKind.RAY, address="local", standby=1)
    for attempt in (1, 2):  # the second after ray.shutdown(): a new instance, as after a restart
        ex = make_executor(settings)
        ex.connect()
        wait(lambda: ex.standby_count == 1, "the keeper's standby actor")
        standby = ex._standby[0].actor
        job = ex.create(TrainRequest(TINY_SPEC, tiny_bundle(64, 32), cfg)).start()
        assert job.wait(300) and job.status == "finished", (job.status, job.final)
        assert job.actor._actor_id == standby._actor_id  # the training took the standby
        wait(lambda: ex.standby_count == 1, "the next standby actor")
        ex.close()
        ray.shutdown()
        print("round", attempt, "ok", flush=True)
    """
)


def test_a_server_s_local_instance_keeps_its_standby_and_starts_again_after_shutdown(tmp_path):
    """The server's path: nothing started Ray; the keeper's standby trains the first job."""
    home, runs = tmp_path / "home", tmp_path / "runs"
    home.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", SERVER],
        cwd=ROOT,
        env=_env(home, runs),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.split() == ["round", "1", "ok", "round", "2", "ok"]
