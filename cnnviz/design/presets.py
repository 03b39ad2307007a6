"""Ready-made networks, each a spec plus the training defaults that suit it.

Every preset is tested: its spec is valid, builds, and gives the shapes the
course's notes give.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    spec: dict
    dataset: str = "shapes"  # the dataset it is meant to train on
    train: dict[str, Any] = field(default_factory=dict)  # TrainConfig overrides

    def new_spec(self) -> dict:
        """A fresh copy of the spec the caller may edit."""
        return copy.deepcopy(self.spec)


def _conv(c: int, k: int = 3, **kw: Any) -> dict:
    return {"type": "conv2d", "out_channels": c, "kernel_size": k, **kw}


RELU = {"type": "relu"}
FLAT = {"type": "flatten"}


def _pool(k: int = 2) -> dict:
    return {"type": "maxpool2d", "kernel_size": k}


def _lin(n: int) -> dict:
    return {"type": "linear", "out_features": n}


# One row per block of layers, as the lecture draws them.
# fmt: off
PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "lecture-7-23",
            "Lecture 7, slide 23",
            "The course's example: three Conv2d → ReLU → MaxPool2d blocks, Flatten, Linear(864, 1024), "
            "then a last Linear to the 10 classes for training.",
            {
                "input": [3, 64, 64],
                "layers": [
                    _conv(6), RELU, _pool(),
                    _conv(12), RELU, _pool(),
                    _conv(24), RELU, _pool(),
                    FLAT, _lin(1024), RELU, _lin(10),
                ],
            },
            dataset="shapes",
            train={"epochs": 5, "batch_size": 64, "optimizer": "adam", "lr": 1e-3},
        ),
        Preset(
            "lenet5",
            "LeNet-5",
            "LeCun et al. 1998: two 5×5 convolutions with pooling, then three Linear layers.",
            {
                "input": [1, 28, 28],
                "layers": [
                    _conv(6, 5, padding=2), {"type": "tanh"}, {"type": "avgpool2d", "kernel_size": 2},
                    _conv(16, 5), {"type": "tanh"}, {"type": "avgpool2d", "kernel_size": 2},
                    FLAT, _lin(120), {"type": "tanh"}, _lin(84), {"type": "tanh"}, _lin(10),
                ],
            },
            dataset="mnist",
            train={"epochs": 3, "batch_size": 64, "optimizer": "adam", "lr": 1e-3},
        ),
        Preset(
            "tiny-vgg",
            "Tiny VGG (CNN Explainer)",
            "CNN Explainer's network: two blocks of two 3×3 Conv2d with 10 filters and a MaxPool2d, "
            "then 10 classes.",
            {
                "input": [3, 64, 64],
                "layers": [
                    _conv(10), RELU, _conv(10), RELU, _pool(),
                    _conv(10), RELU, _conv(10), RELU, _pool(),
                    FLAT, _lin(10),
                ],
            },
            dataset="shapes",
            train={"epochs": 5, "batch_size": 64, "optimizer": "adam", "lr": 1e-3},
        ),
        Preset(
            "mlp-2-3-3-1",
            "MLP 2-3-3-1",
            "The lecture's fully connected diagram: Linear(2, 3) → Linear(3, 3) → Linear(3, 1).",
            {"input": [2], "layers": [_lin(3), RELU, _lin(3), RELU, _lin(1)]},
            dataset="",
        ),
        Preset(
            "mnist-basic",
            "MNIST basic CNN",
            "A small CNN for 1×28×28 digits: two Conv2d → BatchNorm2d → ReLU → MaxPool2d blocks, "
            "then Linear layers.",
            {
                "input": [1, 28, 28],
                "layers": [
                    _conv(32, padding=1), {"type": "batchnorm2d"}, RELU, _pool(),
                    _conv(64, padding=1), {"type": "batchnorm2d"}, RELU, _pool(),
                    FLAT, _lin(128), RELU, {"type": "dropout", "p": 0.25}, _lin(10),
                ],
            },
            dataset="mnist",
            train={"epochs": 3, "batch_size": 64, "optimizer": "adam", "lr": 1e-3},
        ),
        Preset("blank", "Blank", "An empty stack: add layers yourself.", {"input": [3, 64, 64], "layers": []}),
    )
}
# fmt: on

DEFAULT_PRESET = "lecture-7-23"
