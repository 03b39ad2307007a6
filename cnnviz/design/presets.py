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


def _res(layers: list[dict], shortcut: str = "identity") -> dict:
    return {"type": "residual", "layers": layers, "shortcut": shortcut}


def _resnet_stage(c: int, first_stride: int, bn: bool) -> list[dict]:
    """Two 3×3 Conv2d (the first may halve H and W) inside a skip, then ReLU."""
    norm = [{"type": "batchnorm2d"}] if bn else []
    body = [
        _conv(c, stride=first_stride, padding=1, bias=not bn), *norm, RELU,
        _conv(c, padding=1, bias=not bn), *norm,
    ]  # fmt: skip
    return [_res(body, "conv1x1" if first_stride > 1 else "identity"), RELU]


def _twenty(skips: bool) -> list[dict]:
    """ResNet-20's plan, narrow (8, 16, 32 channels), no BatchNorm2d: 19 Conv2d and a Linear."""
    layers = [_conv(8, padding=1), RELU]
    for c, stride in ((8, 1), (16, 2), (32, 2)):
        for i in range(3):
            block = _resnet_stage(c, stride if i == 0 else 1, bn=False)
            layers += block if skips else [*block[0]["layers"], RELU]
    return [*layers, {"type": "adaptiveavgpool2d", "output_size": 1}, FLAT, _lin(10)]


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
        Preset(
            "resnet-8",
            "ResNet-8 (CIFAR-10, Shapes)",
            "A small ResNet for 3×32×32 images (CIFAR-10, or Shapes at 32×32): a 3×3 Conv2d, then "
            "three residual blocks of two 3×3 Conv2d with BatchNorm2d (16, 32, 64 channels; the "
            "last two halve H and W and add the input through a 1×1 Conv2d projection), global "
            "average pooling and a Linear to the 10 classes.",
            {
                "input": [3, 32, 32],
                "layers": [
                    _conv(16, padding=1, bias=False), {"type": "batchnorm2d"}, RELU,
                    *_resnet_stage(16, 1, bn=True),
                    *_resnet_stage(32, 2, bn=True),
                    *_resnet_stage(64, 2, bn=True),
                    {"type": "adaptiveavgpool2d", "output_size": 1}, FLAT, _lin(10),
                ],
            },
            dataset="shapes",
            train={"epochs": 5, "batch_size": 64, "optimizer": "adam", "lr": 1e-3},
        ),
        Preset(
            "plain-20",
            "Plain 20 (no skips)",
            "ResNet-20's layers without its skips: 19 narrow 3×3 Conv2d (8, 16, 32 channels) with "
            "ReLU and no BatchNorm2d, then a Linear. Deep and plain: compare it with resnet-20.",
            {"input": [3, 32, 32], "layers": _twenty(skips=False)},
            dataset="shapes",
            train={"epochs": 5, "batch_size": 64, "optimizer": "adam", "lr": 1e-3},
        ),
        Preset(
            "resnet-20",
            "ResNet-20, narrow (skips)",
            "The same 19 Conv2d and Linear as plain-20, every two Conv2d inside a residual block "
            "(the input added back; a 1×1 Conv2d where channels double and H and W halve).",
            {"input": [3, 32, 32], "layers": _twenty(skips=True)},
            dataset="shapes",
            train={"epochs": 5, "batch_size": 64, "optimizer": "adam", "lr": 1e-3},
        ),
        Preset("blank", "Blank", "An empty stack: add layers yourself.", {"input": [3, 64, 64], "layers": []}),
    )
}
# fmt: on

DEFAULT_PRESET = "lecture-7-23"
