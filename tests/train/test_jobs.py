"""Jobs: a thread drives fit; pause, resume, stop and failure each end with a final event."""

from __future__ import annotations

import json
import threading
import time

import pytest
import torch

from cnnviz.train.config import TrainConfig
from cnnviz.train.control import Control
from cnnviz.train.events import BatchEnded
from cnnviz.train.job import Busy, Job, _Downsampled
from cnnviz.train.jobs import JobRegistry
from cnnviz.train.request import TrainRequest
from cnnviz.train.status import Status
from tests.helpers import TINY_SPEC, Raises, tiny_bundle

CFG = TrainConfig(epochs=2, batch_size=16, lr=0.01, device="cpu")


def wait_for(cond, timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def paused_job(**kw) -> Job:
    """A job that pauses before its first mini-batch (deterministic for the tests)."""
    job = Job(TrainRequest(TINY_SPEC, tiny_bundle(), kw.pop("config", CFG)), **kw)
    job.pause()
    job.start()
    wait_for(lambda: job.started is not None)
    return job


def test_pause_holds_progress_then_resume_finishes():
    job = paused_job()
    assert job.status == Status.PAUSED
    wait_for(lambda: job.control.waits >= 2)  # the worker is held at its first checkpoint
    assert job.progress().iteration == 0 and job.iter_metrics() == []
    job.resume()
    assert job.wait(30)
    assert job.status == Status.FINISHED and job.final.test_accuracy is not None
    p = job.progress()
    assert p.iteration == p.total_iterations == 2 * 15 and p.fraction == 1.0 and p.eta_s == 0
    assert len(job.iter_metrics()) == 30 and len(job.epoch_metrics()) == 2
    assert set(job.epoch_metrics()[0]) == {
        "epoch",
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "elapsed_s",
        "lr",
    }
    assert json.loads((job.run_dir / "status.json").read_text())["status"] == "finished"


def test_pause_mid_run_stops_iterations():
    job = Job(TrainRequest(TINY_SPEC, tiny_bundle(), CFG.with_(epochs=50)))
    job.start()
    wait_for(lambda: job.progress().iteration >= 3)
    job.pause()
    wait_for(lambda: job.control.waits >= 1)  # the worker reached a checkpoint and is held
    before = job.progress().iteration
    wait_for(lambda: job.control.waits >= 3)  # two more rounds held, no mini-batch between
    assert job.progress().iteration == before and job.status == Status.PAUSED
    job.stop()
    assert job.wait(5)


def test_stop_while_paused_ends_stopped_with_reason():
    job = paused_job()
    t = time.monotonic()
    job.stop()
    assert job.wait(5) and time.monotonic() - t < 1.5
    assert job.status == Status.STOPPED and "Stopped by the user" in job.final.reason
    assert json.loads((job.run_dir / "status.json").read_text())["status"] == "stopped"


def test_failure_in_the_network_ends_failed_with_reason():
    job = Job(TrainRequest(TINY_SPEC, tiny_bundle(), CFG, model=Raises(ValueError("bad layer"))))
    job.start()
    assert job.wait(20)
    assert job.status == Status.FAILED and "bad layer" in job.final.reason


def test_snapshot_is_a_cpu_copy_taken_between_batches():
    job = paused_job()
    snap = job.snapshot_model()  # served by the paused worker
    assert not snap.training
    for a, b in zip(snap.parameters(), job.model.parameters(), strict=True):
        assert torch.equal(a, b) and a.data_ptr() != b.data_ptr()
    job.resume()
    job.wait(30)
    after = job.snapshot_model()
    assert not torch.equal(next(after.parameters()), next(snap.parameters()))  # it trained on


def test_registry_busy_then_free_again():
    reg = JobRegistry(max_live=1, idle_timeout_s=60)
    job = reg.start(TrainRequest(TINY_SPEC, tiny_bundle(), CFG.with_(epochs=50)))
    with pytest.raises(Busy, match="1 training is already running"):
        reg.start(TrainRequest(TINY_SPEC, tiny_bundle(), CFG))
    assert reg.get(job.id) is job and reg.live() == [job]
    job.stop()
    assert job.wait(5)
    second = reg.start(TrainRequest(TINY_SPEC, tiny_bundle(), CFG.with_(epochs=1)))
    assert second.wait(30) and second.status == Status.FINISHED
    assert reg.get("nope") is None


def test_registry_reaps_jobs_nobody_watches():
    reg = JobRegistry(max_live=2, idle_timeout_s=60)
    job = reg.start(TrainRequest(TINY_SPEC, tiny_bundle(), CFG.with_(epochs=50)))
    assert reg.reap() == []  # just started: watched
    stopped = reg.reap(now=time.time() + 61)
    assert stopped == [job]
    assert job.wait(5) and job.status == Status.STOPPED and "nobody watched" in job.final.reason
    reg.reap(now=time.time() + 500)
    assert reg.get(job.id) is None  # forgotten in memory; the run stays on disk
    assert job.run_dir.is_dir()


def test_a_job_stops_itself_when_unwatched():
    job = Job(TrainRequest(TINY_SPEC, tiny_bundle(), CFG.with_(epochs=50)), idle_timeout_s=0.2)
    job.start()
    assert job.wait(20) and job.status == Status.STOPPED and "nobody watched" in job.final.reason


def test_registry_limit_from_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CNNVIZ_MAX_JOBS", "5")
    monkeypatch.setenv("CNNVIZ_JOB_IDLE_S", "12")
    reg = JobRegistry()
    assert (reg.max_live, reg.idle_timeout_s) == (5, 12.0)


def test_downsampling_keeps_charts_light_and_averages():
    d = _Downsampled(100)
    for i in range(1, 5001):
        d.add(BatchEnded(1 + i // 1000, i, i, float(i), 0.5, 1.0, 0.0))
    assert 50 <= len(d.points) <= 100
    its = [p["iteration"] for p in d.points]
    assert its == sorted(its) and its[-1] <= 5000
    # every point is the mean loss of the iterations it stands for
    first = d.points[0]
    assert first["loss"] == pytest.approx((1 + first["iteration"]) / 2)


def test_control_checkpoint_runs_tasks_while_paused():
    c = Control()
    c.pause()
    result = []
    worker = threading.Thread(target=lambda: result.append(c.checkpoint()))
    worker.start()
    done = threading.Event()
    c.between_batches(done.set)
    assert done.wait(2)
    c.resume()
    worker.join(2)
    assert result == [False]
    c.stop("enough")
    assert c.checkpoint() is True and c.stop_reason == "enough"


def test_eta_leaves_out_warm_up_and_waits_for_enough_iterations():
    """Slow first iterations (warm-up) must not make the time left far too long."""
    from cnnviz.train.eta import Eta

    eta = Eta(warmup=3, window=20, min_points=5, horizon_s=0.0)
    t = 0.0
    for it in range(1, 4):  # warm-up: 2 s each
        t += 2.0
        eta.batch(it, t, 64)
        assert eta.seconds_left(100 - it, 1) is None  # "estimating…"
    for it in range(4, 8):  # 4 settled iterations: still too few
        t += 0.05
        eta.batch(it, t, 64)
    assert eta.seconds_left(93, 1) is None
    for it in range(8, 40):
        t += 0.05
        eta.batch(it, t, 64)
    assert eta.seconds_per_iteration() == pytest.approx(0.05)
    assert eta.images_per_s() == pytest.approx(64 / 0.05)
    # 61 iterations left at 0.05 s each (the average since the start would be about 0.2 s)
    assert eta.seconds_left(61, 1) == pytest.approx(61 * 0.05)


def test_eta_adds_the_validation_pass_once_per_epoch_left_without_slowing_the_rate():
    from cnnviz.train.eta import Eta

    eta = Eta(warmup=0, window=20, min_points=5, horizon_s=0.0)
    t = 0.0
    for it in range(1, 11):
        t += 0.1
        eta.batch(it, t, 32)
    eta.epoch_end(t + 3.0)  # validation after epoch 1
    t += 3.0
    for it in range(11, 16):  # the window now spans the epoch's end
        t += 0.1
        eta.batch(it, t, 32)
    assert eta.seconds_per_iteration() == pytest.approx(0.1)
    assert eta.seconds_left(15, 2) == pytest.approx(15 * 0.1 + 2 * 3.0)


def test_job_progress_estimates_from_recent_iterations():
    job = Job(TrainRequest(TINY_SPEC, tiny_bundle(), CFG)).start()
    assert job.wait(30)
    p = job.progress()
    assert p.eta_s == 0 and p.images_per_s > 0  # 30 iterations: enough after warm-up


def test_wait_covers_a_job_listed_but_not_started_yet():
    job = Job(TrainRequest(TINY_SPEC, tiny_bundle(), CFG.with_(epochs=1)))
    assert job.wait(0.05) is False  # not started: nothing to wait for yet
    threading.Timer(0.2, job.start).start()  # as the registry does, just after listing it
    assert job.wait(60) and job.status == Status.FINISHED
