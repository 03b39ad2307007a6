"""Shared test set-up: small thread counts, and runs/data folders that never touch the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-t10k"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own CNNVIZ_RUNS_DIR and CNNVIZ_DATA_DIR (unless it sets its own)."""
    base = tmp_path_factory.mktemp("cnnviz")
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", os.fspath(base / "runs"))
    monkeypatch.setenv("CNNVIZ_DATA_DIR", os.fspath(base / "data"))
    yield


@pytest.fixture
def shared_mnist() -> Path:
    """The real MNIST test set beside the checkout, or skip (users' machines do not have it)."""
    if not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip("../shared/data/mnist-t10k is not here")
    return SHARED_MNIST
