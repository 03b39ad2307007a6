"""The same job lifecycle on both executors: a thread here, and an actor on a local Ray instance.

Finished, stopped, paused then resumed, failed (NaN): the page's view of a job
(progress, metrics, status, the run folder, the snapshot for Inspect) is the same
whichever executor ran it. Ray only: a killed worker, an unreachable cluster,
the watchdog, the queue when the cluster is full, the data shipped once.
"""

from __future__ import annotations

import json
import time

import pytest
import torch

from cnnviz.train.config import ConfigError, TrainConfig
from cnnviz.train.executors import make_executor
from cnnviz.train.executors.settings import (
    ClusterUnreachable,
    ExecutorKind,
    ExecutorSettings,
    FallbackKind,
)
from cnnviz.train.executors.thread import ThreadExecutor
from cnnviz.train.job import Placement
from cnnviz.train.jobs import JobRegistry
from cnnviz.train.request import TrainRequest
from cnnviz.train.status import Status
from cnnviz.train.store import open_run
from tests.helpers import TINY_SPEC, MakesNaN, tiny_bundle

CFG = TrainConfig(epochs=2, batch_size=16, lr=0.01, device="cpu")
LONG = CFG.with_(epochs=200)


def wait_for(cond, timeout: float = 300.0, what: str = "the job") -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def ray_settings(**kw) -> ExecutorSettings:
    """A local instance; no standby actor unless asked (these tests count the cluster's CPUs)."""
    return ExecutorSettings(kind=ExecutorKind.RAY, address="local", **{"standby": 0, **kw})


@pytest.fixture(params=["thread", "ray"])
def executor(request):
    if request.param == "thread":
        return ThreadExecutor()
    request.getfixturevalue("ray_cluster")
    return make_executor(ray_settings())


def test_finished_job_reports_and_saves_a_run(executor):
    job = executor.create(TrainRequest(TINY_SPEC, tiny_bundle(), CFG))
    job.start()
    assert job.wait(600)
    assert job.status == Status.FINISHED and job.placement == Placement.ENDED
    assert job.final.test_accuracy is not None and job.final.test_accuracy > 0.5
    p = job.progress()
    assert p.iteration == p.total_iterations == 2 * 15 and p.fraction == 1.0
    assert len(job.iter_metrics()) == 30 and [e["epoch"] for e in job.epoch_metrics()] == [1, 2]
    status = json.loads((job.run_dir / "status.json").read_text())
    assert status["status"] == "finished" and status["epochs_done"] == 2
    run = open_run(job.run_dir)
    assert run.dataset["name"] == "tiny" and run.dataset["train_size"] == job.started.train_size
    assert len(run.metrics_iter) == 30 and len(run.metrics_epoch) == 2
    saved, snap = run.load_model(), job.snapshot_model()
    for a, b in zip(saved.parameters(), snap.parameters(), strict=True):
        assert torch.equal(a, b)  # the final weights, in the run and for Inspect
    # each layer's gradients, live for the page and in the run's file (written on this server)
    moments = [m[0]["iteration"] for m in job.gradient_sizes()]
    assert moments == [1, 2, 4, 8, 15, 30]
    assert [m["layer"] for m in job.gradient_sizes()[-1]] == ["0", "4"]
    assert [(r.iteration, r.layer) for r in run.gradient_records()] == [
        (i, layer) for i in moments for layer in ("0", "4")
    ]


def test_stop_ends_stopped_with_the_reason_and_keeps_the_run(executor):
    job = executor.create(TrainRequest(TINY_SPEC, tiny_bundle(), LONG))
    job.start()
    wait_for(lambda: job.progress().iteration >= 3)
    assert job.status == Status.RUNNING and job.placement == Placement.RUNNING
    job.stop()
    assert job.wait(600)
    assert job.status == Status.STOPPED and "Stopped by the user" in job.final.reason
    assert job.progress().iteration < LONG.epochs * 15
    assert json.loads((job.run_dir / "status.json").read_text())["status"] == "stopped"


def test_pause_holds_the_training_and_resume_goes_on(executor):
    # a long training, so that the worker (which starts before the first poll) cannot
    # finish before the pause reaches it, however fast or slow the machine
    job = executor.create(TrainRequest(TINY_SPEC, tiny_bundle(), LONG))
    job.start()
    wait_for(lambda: job.progress().iteration >= 3)
    job.pause()
    assert job.status == Status.PAUSED
    time.sleep(1.5)  # the pause reaches the worker (within a second) and the last events come in
    held = job.progress().iteration
    time.sleep(1.0)
    assert job.progress().iteration == held < LONG.epochs * 15
    assert job.status == Status.PAUSED
    snap = job.snapshot_model()  # served while paused
    assert not snap.training
    job.resume()
    assert job.status == Status.RUNNING
    wait_for(lambda: job.progress().iteration >= held + 5, what="the resumed training")
    job.stop()
    assert job.wait(600)
    assert job.status == Status.STOPPED and job.progress().iteration < LONG.epochs * 15


def test_resume_after_pause_finishes_the_training(executor):
    job = executor.create(TrainRequest(TINY_SPEC, tiny_bundle(), CFG))
    job.start()
    wait_for(lambda: job.progress().iteration >= 1)
    job.pause()
    job.resume()
    assert job.wait(600)
    assert job.status == Status.FINISHED and job.progress().iteration == CFG.epochs * 15


def test_nan_loss_fails_with_the_reason_and_advice(executor):
    job = executor.create(TrainRequest(TINY_SPEC, tiny_bundle(), CFG, model=MakesNaN()))
    job.start()
    assert job.wait(600)
    assert job.status == Status.FAILED
    assert "NaN" in job.final.reason and "learning rate" in job.final.advice
    assert json.loads((job.run_dir / "status.json").read_text())["status"] == "failed"


def test_ray_trains_the_same_network_as_the_thread(ray_cluster):
    """Same seed, same data, one thread each: the same weights, wherever it ran."""
    here = ThreadExecutor().create(TrainRequest(TINY_SPEC, tiny_bundle(), CFG)).start()
    there = (
        make_executor(ray_settings()).create(TrainRequest(TINY_SPEC, tiny_bundle(), CFG)).start()
    )
    assert here.wait(600) and there.wait(600)
    assert there.final.test_loss == pytest.approx(here.final.test_loss, rel=1e-4)
    for a, b in zip(
        here.snapshot_model().parameters(), there.snapshot_model().parameters(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_a_killed_worker_fails_the_job_and_keeps_the_finished_epochs(ray_cluster):
    job = make_executor(ray_settings()).create(TrainRequest(TINY_SPEC, tiny_bundle(), LONG)).start()
    wait_for(lambda: len(job.epoch_metrics()) >= 1, what="the first epoch")
    ray_cluster.kill(job.actor)
    assert job.wait(600)
    assert job.status == Status.FAILED
    assert "machine running this training was lost" in job.final.reason.lower()
    assert "Start the training again" in job.final.advice
    run = open_run(job.run_dir)
    assert run.status["status"] == "failed" and run.status["epochs_done"] >= 1
    assert len(run.metrics_epoch) >= 1
    run.load_model()  # the finished epochs' weights


def test_unreachable_cluster_names_the_address():
    ex = make_executor(ExecutorSettings(kind=ExecutorKind.RAY, address="ray://127.0.0.1:1"))
    with pytest.raises(ClusterUnreachable, match=r"ray://127\.0\.0\.1:1") as e:
        ex.create(TrainRequest(TINY_SPEC, tiny_bundle(), CFG))
    assert "CNNVIZ_RAY_FALLBACK=local" in str(e.value)
    reg = JobRegistry(executor=ex)
    with pytest.raises(ClusterUnreachable):
        reg.start(TrainRequest(TINY_SPEC, tiny_bundle(), CFG))
    assert reg.live() == []


def test_unreachable_cluster_with_fallback_trains_here_and_says_so():
    ex = make_executor(
        ExecutorSettings(kind=ExecutorKind.RAY, address="127.0.0.1:1", fallback=FallbackKind.LOCAL)
    )
    job = ex.create(TrainRequest(TINY_SPEC, tiny_bundle(), CFG.with_(epochs=1))).start()
    assert "127.0.0.1:1" in job.note and "runs on this server" in job.note
    assert job.where == "this server"
    assert job.wait(600) and job.status == Status.FINISHED


def test_the_watchdog_ends_an_actor_its_server_stopped_polling(ray_cluster):
    from cnnviz.train.executors.ray_data import pack

    ex = make_executor(ray_settings(idle_s=1.0))
    actor = ex.spawn("orphan")
    ray_cluster.get(actor.start.remote(pack(tiny_bundle()), TINY_SPEC, LONG.to_dict()))
    assert ray_cluster.get(actor.poll.remote(), timeout=30) is not None  # alive, training

    def dead() -> bool:
        try:
            ray_cluster.get(actor.poll.remote(), timeout=5)  # this poll keeps it alive 1 s more
        except ray_cluster.exceptions.RayActorError:
            return True
        except ray_cluster.exceptions.GetTimeoutError:  # a busy machine: not answered yet
            pass
        time.sleep(1.5)
        return False

    wait_for(dead, timeout=300, what="the actor to exit")


def test_a_full_cluster_queues_the_job_and_starts_it_when_a_worker_is_free(ray_cluster):
    ex = make_executor(ray_settings(num_cpus=2))  # one training takes the whole cluster
    first = ex.create(TrainRequest(TINY_SPEC, tiny_bundle(), LONG)).start()
    wait_for(lambda: first.placement == Placement.RUNNING)
    second = ex.create(TrainRequest(TINY_SPEC, tiny_bundle(), CFG.with_(epochs=1))).start()
    time.sleep(2.0)
    assert second.placement == Placement.PENDING and second.queue_place == 1
    assert second.status == Status.RUNNING and second.progress().iteration == 0
    assert "Ray cluster" in second.where
    first.stop()
    assert first.wait(600) and second.wait(600)
    assert second.status == Status.FINISHED and second.queue_place is None


def test_stop_while_waiting_for_a_worker(ray_cluster):
    ex = make_executor(ray_settings(num_cpus=2))
    first = ex.create(TrainRequest(TINY_SPEC, tiny_bundle(), LONG)).start()
    wait_for(lambda: first.placement == Placement.RUNNING)
    second = ex.create(TrainRequest(TINY_SPEC, tiny_bundle(), LONG)).start()
    time.sleep(1.0)
    second.stop()
    assert second.wait(600) and second.status == Status.STOPPED
    first.stop()
    assert first.wait(600)


def test_more_than_the_cluster_has_is_refused_with_the_setting(ray_cluster):
    ex = make_executor(ray_settings(num_gpus=0.25))
    if ray_cluster.cluster_resources().get("GPU"):
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="CNNVIZ_RAY_GPUS"):
        ex.create(TrainRequest(TINY_SPEC, tiny_bundle(), CFG))


def test_a_dataset_goes_to_the_object_store_once(ray_cluster):
    ex = make_executor(ray_settings())
    bundle = tiny_bundle()
    ref = ex.payload(bundle)
    assert ex.payload(bundle) is ref and ex.payload(tiny_bundle()) is ref  # same contents
    assert ex.payload(tiny_bundle(seed=1)) is not ref


def test_registry_uses_the_executor_from_the_environment(monkeypatch):
    monkeypatch.setenv("CNNVIZ_EXECUTOR", "ray")
    monkeypatch.setenv("CNNVIZ_RAY_ADDRESS", "ray://127.0.0.1:1")
    monkeypatch.delenv("CNNVIZ_MAX_JOBS", raising=False)
    reg = JobRegistry()
    assert reg.executor.kind == ExecutorKind.RAY and reg.max_live == 64
    monkeypatch.setenv("CNNVIZ_EXECUTOR", "thread")
    reg = JobRegistry()
    assert reg.executor.kind == ExecutorKind.THREAD and reg.max_live == 2


# -- standby actors: started ahead for the next training ------------------------------------
TINY_SPEC_16 = {  # for Shapes at 1×16×16: ten classes
    "input": [1, 16, 16],
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 4},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}


def actor_id(actor) -> str:
    return actor._actor_id.hex()


def alive(ray, actor) -> bool:
    try:
        ray.get(actor.poll.remote(), timeout=30)
    except ray.exceptions.RayActorError:
        return False
    return True


def test_the_next_training_takes_the_standby_actor_and_another_is_started(ray_cluster):
    ex = make_executor(ray_settings(standby=1))
    try:
        ex.connect()
        wait_for(lambda: ex.standby_count == 1, what="a standby actor")
        standby = ex._standby[0]
        assert ray_cluster.get(standby.ready, timeout=300)["pid"]  # started, imported, ready
        job = ex.create(TrainRequest(TINY_SPEC, tiny_bundle(), CFG)).start()
        assert job.wait(600) and job.status == Status.FINISHED
        assert actor_id(job.actor) == actor_id(standby.actor)  # no new process for it
        # its place is taken by a new standby once the training's actor is gone
        wait_for(lambda: ex.standby_count == 1, what="the next standby actor")
        assert actor_id(ex._standby[0].actor) != actor_id(standby.actor)
        assert not alive(ray_cluster, job.actor)  # the used one ended with its training
        again = ex._standby[0].actor
    finally:
        ex.close()
    assert ex.standby_count == 0
    wait_for(lambda: not alive(ray_cluster, again), what="close() to end the standby")


def test_a_standby_draws_the_built_in_data_ahead_and_trains_the_same(ray_cluster):
    from cnnviz.data.registry import load_dataset

    bundle = load_dataset("shapes", size=16, channels=1, n_train=192, n_test=64, seed=3)
    cfg = CFG.with_(epochs=1)
    fresh = make_executor(ray_settings()).create(TrainRequest(TINY_SPEC_16, bundle, cfg)).start()
    ex = make_executor(ray_settings(standby=1))
    try:
        first = ex.create(
            TrainRequest(TINY_SPEC_16, bundle, cfg)
        ).start()  # tells the executor its data
        assert first.wait(600) and fresh.wait(600)
        # a standby made before the executor saw the data draws them once it has
        wait_for(lambda: ex.standby_count == 1 and ex._standby[0].recipe, what="a standby")
        answer = ray_cluster.get(ex._standby[0].ready, timeout=300)
        assert answer["drawn"] is True  # Shapes drawn on the worker before anyone asked
        second = ex.create(TrainRequest(TINY_SPEC_16, bundle, cfg)).start()
        assert second.wait(600) and second.status == Status.FINISHED
        for job in (first, second):  # the data drawn ahead are the same images
            assert job.final.test_loss == pytest.approx(fresh.final.test_loss, rel=1e-5)
            assert job.started.train_size == fresh.started.train_size
    finally:
        ex.close()


def test_no_standby_while_a_training_waits_for_a_worker(ray_cluster):
    ex = make_executor(ray_settings(num_cpus=2, standby=1))  # one actor takes the whole cluster
    try:
        first = ex.create(TrainRequest(TINY_SPEC, tiny_bundle(), LONG)).start()
        wait_for(lambda: first.placement == Placement.RUNNING)
        second = ex.create(TrainRequest(TINY_SPEC, tiny_bundle(), CFG.with_(epochs=1))).start()
        time.sleep(2.5)  # past the keeper's first ticks: no room, and a training waits
        assert first.placement == Placement.RUNNING  # still training (200 epochs)
        assert ex.standby_count == 0 and second.placement == Placement.PENDING
        first.stop()
        assert first.wait(600) and second.wait(600)
        assert second.status == Status.FINISHED  # the free CPUs went to it, not to a standby
        wait_for(lambda: ex.standby_count == 1, what="a standby once nothing waits")
    finally:
        ex.close()
