"""A server's trainings leave one core to the pages and share the rest."""

from __future__ import annotations

import torch

from cnnviz.train import jobs
from cnnviz.train.jobs import training_threads
from cnnviz.train.request import TrainRequest


def test_one_core_stays_with_the_pages_and_the_rest_is_shared():
    assert training_threads(2, 2, env="") == 1
    assert training_threads(1, 2, env="") == 1  # never zero
    assert training_threads(16, 2, env="") == 7
    assert training_threads(16, 4, env="") == 3
    assert training_threads(16, 4, env="6") == 6  # CNNVIZ_TRAIN_THREADS overrides
    assert training_threads(16, 4, env="zero") == 3  # not a number: ignored


def test_the_server_registry_sets_torchs_threads(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setattr(jobs, "_SERVER", None)
    monkeypatch.setenv("CNNVIZ_TRAIN_THREADS", "1" if before != 1 else "2")
    try:
        jobs.server_registry()
        assert torch.get_num_threads() == (1 if before != 1 else 2)
    finally:
        torch.set_num_threads(before)


def test_on_a_class_server_the_trainings_run_below_the_pages():
    from cnnviz.train.jobs import CLASS_TRAIN_NICE, training_nice

    assert training_nice("", classroom=True) == CLASS_TRAIN_NICE > 0
    assert training_nice("", classroom=False) == 0  # one user: trainings as the server
    assert training_nice("3", classroom=True) == 3  # CNNVIZ_TRAIN_NICE overrides
    assert training_nice("0", classroom=True) == 0
    assert training_nice("40", classroom=False) == 19  # the most Linux allows
    assert training_nice("low", classroom=False) == 0  # not a number: ignored


def test_a_jobs_worker_thread_runs_at_its_niceness_and_the_server_does_not(monkeypatch):
    import os
    import threading

    from cnnviz.train.config import TrainConfig
    from cnnviz.train.executors.thread import ThreadExecutor
    from tests.helpers import TINY_SPEC, tiny_bundle

    me = threading.get_native_id()
    base = os.getpriority(os.PRIO_PROCESS, me)
    seen: list[int] = []
    job = ThreadExecutor(nice=4).create(
        TrainRequest(TINY_SPEC, tiny_bundle(), TrainConfig(epochs=1, batch_size=16, device="cpu"))
    )

    def worker_priority(ev) -> None:
        if not seen:
            seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    job.on_event = worker_priority
    job.start()
    assert job.wait(300) and str(job.status) == "finished"
    assert seen == [min(base + 4, 19)]
    assert os.getpriority(os.PRIO_PROCESS, me) == base  # only the training's thread moved
    # the server's registry lowers its thread executor's trainings on a class server
    monkeypatch.setattr(jobs, "_SERVER", None)
    monkeypatch.setenv("CNNVIZ_TRAIN_NICE", "7")
    before = torch.get_num_threads()
    try:
        assert jobs.server_registry().executor.nice == 7
    finally:
        torch.set_num_threads(before)
