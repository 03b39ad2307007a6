"""Real (tiny) training runs for the compare tests, trained by the engine into the run store."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from cnnviz.train.config import TrainConfig
from cnnviz.train.engine import build_seeded, fit
from cnnviz.train.store import RunWriter
from tests.helpers import TINY_SPEC, tiny_bundle


def train_run(
    spec: dict | None = None,
    *,
    root: Any = None,
    bundle: Any = None,
    label: str = "tiny",
    model: Any = None,
    **config: Any,
) -> Path:
    """Train ``spec`` (default TINY_SPEC) for real and return its run folder."""
    spec = copy.deepcopy(spec or TINY_SPEC)
    cfg = TrainConfig.from_dict({"epochs": 2, "batch_size": 32, "device": "cpu", **config})
    writer = RunWriter(spec, label=label, root=root)
    net = model if model is not None else build_seeded(spec, cfg.seed)
    for _ in fit(net, bundle if bundle is not None else tiny_bundle(), cfg, writer=writer):
        pass
    return writer.path


def with_batchnorm(spec: dict | None = None) -> dict:
    s = copy.deepcopy(spec or TINY_SPEC)
    s["layers"].insert(1, {"type": "batchnorm2d"})
    return s
