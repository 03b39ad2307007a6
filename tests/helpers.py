"""Shared test facts: the app's path, and tiny data and networks for the training-core tests."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from cnnviz.data.bundle import DataBundle

REPO = Path(__file__).resolve().parents[1]
APP = os.fspath(REPO / "app.py")  # what AppTest runs

SHAPES28_SPEC = {  # the page tests' network: Shapes at 3×28×28, 10 classes
    "input": [3, 28, 28],
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}

TINY_SPEC = {
    "input": [1, 8, 8],
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 4},
    ],
}


def tiny_bundle(n_train: int = 256, n_test: int = 64, seed: int = 0) -> DataBundle:
    """4 classes, 1×8×8: class k lights up quadrant k on a noisy background. Easy to learn."""
    g = torch.Generator().manual_seed(seed)

    def make(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.arange(n) % 4
        x = torch.randint(0, 90, (n, 1, 8, 8), generator=g)
        for k in range(4):
            r, c = divmod(k, 2)
            x[y == k, :, r * 4 : r * 4 + 4, c * 4 : c * 4 + 4] += 160
        return x.clamp(0, 255).to(torch.uint8), y.long()

    tx, ty = make(n_train)
    vx, vy = make(n_test)
    return DataBundle(
        "tiny", ("top-left", "top-right", "bottom-left", "bottom-right"), tx, ty, vx, vy
    )


class Raises(nn.Module):
    """A network whose forward pass fails with ``exc`` from call number ``after`` on."""

    def __init__(self, exc: BaseException, after: int = 0) -> None:
        super().__init__()
        self.lin = nn.Linear(64, 4)
        self.exc, self.after, self.calls = exc, after, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls > self.after:
            raise self.exc
        return self.lin(x.flatten(1))


class MakesNaN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(64, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x.flatten(1)) * float("nan")


def class_app(person=None, page: str | None = None):
    """The app in AppTest as ``person`` on a class server (signed in, no data preview), on
    ``page`` when given; asserts it drew without an exception."""
    from streamlit.testing.v1 import AppTest

    from cnnviz.ui.classroom import session

    at = AppTest.from_file(APP, default_timeout=60)
    if person is not None:
        at.session_state[session.ME] = person
    at.session_state["train.data.look"] = False
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at
