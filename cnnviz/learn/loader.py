"""Dataset, DataLoader, mini-batch: what ``X, y = train_dataset[0]`` is and how an epoch is cut.

``first_item(bundle, normalization)``: X's shape, dtype and value range before and after
normalization, and y with its class name. ``epoch_batches(n, batch, seed, shuffle)``:
the shuffled indices of one epoch split into mini-batches (every index once), as the
training loop draws them (``torch.randperm`` with its own generator); the count is
``iterations_per_epoch`` (⌈N/B⌉), the one definition in ``cnnviz.data.pipeline``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from cnnviz.data.pipeline import iterations_per_epoch

if TYPE_CHECKING:
    from cnnviz.data.bundle import DataBundle
    from cnnviz.data.pipeline import Normalization


@dataclass(frozen=True)
class Item:
    shape: tuple[int, ...]
    dtype: str
    low: float
    high: float
    norm_dtype: str
    norm_low: float
    norm_high: float
    label: int
    class_name: str


def first_item(bundle: DataBundle, normalization: Normalization, index: int = 0) -> Item:
    """``X, y = train_dataset[index]``, before and after normalization."""
    x, y = bundle.train_x[index], int(bundle.train_y[index])
    xn = normalization.apply(x)
    name = bundle.classes[y] if 0 <= y < len(bundle.classes) else str(y)
    return Item(
        tuple(int(d) for d in x.shape), str(x.dtype).removeprefix("torch."),
        float(x.min()), float(x.max()),
        str(xn.dtype).removeprefix("torch."), float(xn.min()), float(xn.max()), y, name,
    )  # fmt: skip


def epoch_batches(n: int, batch: int, *, seed: int = 0, shuffle: bool = True) -> list[Tensor]:
    """The mini-batches of one epoch as index tensors: ⌈n/batch⌉ of them, each index once."""
    order = (
        torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        if shuffle
        else torch.arange(n)
    )
    k = iterations_per_epoch(n, batch)
    return [order[i * batch : (i + 1) * batch] for i in range(k)]


def batch_shape(item_shape: tuple[int, ...], batch_len: int) -> list[int]:
    """The stacked mini-batch ``[B, C, H, W]`` (or ``[B, F]``)."""
    return [batch_len, *item_shape]


__all__ = ["Item", "batch_shape", "epoch_batches", "first_item"]
