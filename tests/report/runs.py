"""A tiny finished run on the built-in Shapes set, trained the way the app trains (shared by the report tests)."""

from __future__ import annotations

import os
from pathlib import Path

from cnnviz.data.registry import load_dataset
from cnnviz.train.config import TrainConfig
from cnnviz.train.engine import build_seeded, fit
from cnnviz.train.store import RunWriter

SHAPES_SPEC = {
    "name": "tiny shapes",
    "input": [3, 16, 16],
    "layers": [
        {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}
CONFIG = TrainConfig(epochs=3, batch_size=32, lr=3e-3, seed=1, device="cpu")
SIZE = 16


def train_shapes_run(
    root: str | os.PathLike,
    *,
    label: str = "lecture-7-23",
    n_train: int = 1000,
    n_test: int = 400,
    config: TrainConfig = CONFIG,
) -> Path:
    """Train SHAPES_SPEC on a small Shapes draw (page defaults: data seed 0) and return the run folder."""
    bundle = load_dataset("shapes", size=SIZE, channels=3, n_train=n_train, n_test=n_test)
    writer = RunWriter(SHAPES_SPEC, label=label, root=root)
    model = build_seeded(SHAPES_SPEC, config.seed)
    for _ in fit(model, bundle, config, writer=writer):
        pass
    return writer.path
