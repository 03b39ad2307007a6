"""Training memory checked before Start, against what autograd really keeps; every OOM form recognised."""

from __future__ import annotations

import errno

import pytest
import torch

from cnnviz.design.build import build_model
from cnnviz.train.config import TrainConfig
from cnnviz.train.jobs import JobRegistry
from cnnviz.train.memory import (
    OverBudget,
    estimate,
    is_out_of_memory,
    largest_batch_that_fits,
    memory_problem,
)
from cnnviz.train.request import TrainRequest
from tests.helpers import TINY_SPEC, tiny_bundle

WIDE = {  # the issue's design: two 1024-channel Conv2d on 28×28
    "input": [1, 28, 28],
    "layers": [
        {"type": "conv2d", "out_channels": 1024, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "conv2d", "out_channels": 1024, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}
SMALL = {
    "input": [3, 16, 16],
    "layers": [
        {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
        {"type": "batchnorm2d"},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "conv2d", "out_channels": 16, "kernel_size": 3},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}
BLOCKS = {  # a projection shortcut and a concatenation: their outputs are kept too
    "input": [3, 16, 16],
    "layers": [
        {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
        {
            "type": "residual",
            "layers": [
                {"type": "conv2d", "out_channels": 16, "kernel_size": 3, "stride": 2, "padding": 1},
                {"type": "batchnorm2d"},
                {"type": "relu"},
            ],
            "shortcut": "conv1x1",
        },
        {
            "type": "concat",
            "branches": [
                [{"type": "conv2d", "out_channels": 8, "kernel_size": 1}, {"type": "relu"}],
                [{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1}],
            ],
        },
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}


def _saved_by_autograd(spec: dict, batch: int) -> int:
    """Bytes of the tensors autograd keeps for the backward pass (PyTorch as the reference)."""
    model = build_model(spec).train()
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor):
        seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    x = torch.randn(batch, *spec["input"])
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = torch.nn.functional.cross_entropy(model(x), torch.zeros(batch, dtype=torch.long))
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    return sum(n for ptr, n in seen.items() if ptr not in params) + 0 * loss.item()


@pytest.mark.parametrize("spec, batch", [(SMALL, 32), (TINY_SPEC, 64), (WIDE, 2), (BLOCKS, 32)])
def test_the_forward_estimate_covers_what_autograd_keeps(spec, batch):
    est = estimate(spec, batch, "adam")
    saved = _saved_by_autograd(spec, batch)
    assert saved <= est.activations + est.backward, (saved, est)
    assert est.activations <= 4 * saved  # not wildly pessimistic either


def test_weights_gradients_and_optimizer_state_are_counted():
    params = sum(p.numel() for p in build_model(SMALL).parameters())
    assert estimate(SMALL, 1, "adam").weights == params * 4 * 4  # weights, grads, 2 moments
    assert estimate(SMALL, 1, "sgd").weights == params * 4 * 3
    assert estimate(SMALL, 64, "adam").activations > 32 * estimate(SMALL, 1, "adam").activations


def test_the_issues_design_is_refused_with_the_fix():
    budget = 2 * 2**30
    msg = memory_problem(WIDE, 1024, "adam", budget=budget)
    assert msg and "GB of memory at mini-batch 1024" in msg and "more than the 2.0 GB" in msg
    fits = largest_batch_that_fits(WIDE, "adam", budget, 1024)
    assert 0 < fits < 1024 and f"a mini-batch of {fits} or fewer" in msg
    assert "fewer channels in layer 1" in msg and "MaxPool2d" in msg
    assert estimate(WIDE, fits, "adam").total <= budget < estimate(WIDE, fits + 1, "adam").total
    assert memory_problem(WIDE, fits, "adam", budget=budget) is None
    assert memory_problem(TINY_SPEC, 64) is None


def test_the_server_refuses_to_start_a_training_over_the_budget(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_TRAIN_MEMORY_MB", "1")
    reg = JobRegistry(max_live=2, idle_timeout_s=60)
    with pytest.raises(OverBudget, match="more than the 1 MB this server allows"):
        reg.start(
            TrainRequest(
                WIDE, tiny_bundle(), TrainConfig(epochs=1, batch_size=64), runs_root=tmp_path
            )
        )
    assert reg.live() == [] and not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "error",
    [
        MemoryError(),
        RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: you tried to allocate 13153337344 bytes. Error code 12 (Cannot allocate memory)"),
        RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        RuntimeError("CUDA error: out of memory"),
        RuntimeError("CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`"),
        RuntimeError("MPS backend out of memory (MPS allocated: 1.2 GB)"),
        OSError(errno.ENOMEM, "Cannot allocate memory"),
        torch.OutOfMemoryError("CUDA out of memory."),
    ],
)  # fmt: skip
def test_every_out_of_memory_form_is_recognised(error):
    assert is_out_of_memory(error)


def test_other_errors_are_not_out_of_memory():
    for e in (
        RuntimeError("mat1 and mat2 shapes cannot be multiplied"),
        ValueError("x"),
        OSError(2, "x"),
    ):
        assert not is_out_of_memory(e)


def test_the_heaviest_layer_inside_a_block_is_named_by_its_path():
    spec = {
        "input": [1, 28, 28],
        "layers": [
            {
                "type": "residual",
                "layers": [{"type": "conv2d", "out_channels": 512, "kernel_size": 1}],
                "shortcut": "conv1x1",
            },
            {"type": "adaptiveavgpool2d", "output_size": 1},
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    }
    msg = memory_problem(spec, 64, "adam", budget=2**20)
    assert msg is not None and "layer 1 (Residual(shortcut=conv1x1)" in msg
