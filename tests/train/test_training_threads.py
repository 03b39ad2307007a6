"""A server's trainings leave one core to the pages and share the rest."""

from __future__ import annotations

import torch

from cnnviz.train import jobs
from cnnviz.train.jobs import training_threads


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
