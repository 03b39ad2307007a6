"""The Linear whiteboard against torch, the user's Linear facts, and the DataLoader's epoch."""

from __future__ import annotations

import math

import pytest
import torch

from cnnviz.data.kinds import NormKind
from cnnviz.data.pipeline import Normalization, iterations_per_epoch
from cnnviz.data.registry import load_dataset
from cnnviz.design.presets import PRESETS
from cnnviz.learn.loader import batch_shape, epoch_batches, first_item
from cnnviz.learn.matrix import linear_facts, whiteboard


def test_whiteboard_product_is_torchs_linear() -> None:
    wb = whiteboard(4)
    assert wb.x.shape == (2, 3) and wb.weight.shape == (4, 3) and wb.bias.shape == (4,)
    assert torch.allclose(wb.hidden, wb.x @ wb.weight.T + wb.bias)
    for n in range(2):
        for j in range(4):
            text = wb.entry(n, j)
            assert text.endswith(f"= {float(wb.hidden[n, j]):.2f}")
            assert text.count("·") == 3  # three products, one per input number


def test_linear_facts_of_the_lecture_network() -> None:
    facts = linear_facts(PRESETS["lecture-7-23"].spec)
    first = facts[0]
    assert first["W"] == [1024, 864] and first["b"] == [1024]
    assert first["params"] == 864 * 1024 + 1024
    assert "(2×864)" in first["matmul"]


@pytest.mark.parametrize(("n", "b"), [(100, 32), (64, 64), (1, 8), (1800, 64)])
def test_epoch_split_into_mini_batches(n: int, b: int) -> None:
    batches = epoch_batches(n, b, seed=3)
    assert len(batches) == iterations_per_epoch(n, b) == math.ceil(n / b)
    assert torch.equal(torch.sort(torch.cat(batches)).values, torch.arange(n))  # none twice
    assert all(len(x) == b for x in batches[:-1]) and 1 <= len(batches[-1]) <= b
    # the engine's shuffle: randperm from its own seeded generator
    assert torch.equal(
        torch.cat(batches), torch.randperm(n, generator=torch.Generator().manual_seed(3))
    )


def test_first_item_before_and_after_normalization() -> None:
    b = load_dataset("shapes", size=28, channels=1, n_train=20, n_test=5)
    item = first_item(b, Normalization(NormKind.DIV255))
    assert item.shape == (1, 28, 28) and item.dtype == "uint8" and item.norm_dtype == "float32"
    assert item.high == float(b.train_x[0].max()) and item.norm_high == pytest.approx(
        item.high / 255
    )
    assert item.class_name == b.classes[int(b.train_y[0])]
    assert batch_shape(item.shape, 16) == [16, 1, 28, 28]
