"""The layer-kind registry: one entry per kind, with everything about it.

Each ``LayerKind`` holds its torch class, its parameters (torch's names,
defaults and the limits cnnviz allows), the shape rule the shape engine
applies, and a one-line explanation in the course's words. The editor, the
shape table, the builder, the code export and the CLI all read this registry;
adding a kind means adding an entry here (and its tests). cnnviz.spec re-exports
everything here, so callers import from cnnviz.spec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# Caps: past these a design would hurt the machine (or is a typo).
MAX_LAYERS = 200
MAX_CHANNELS = 4096  # conv out_channels, input channels
MAX_FEATURES = 65_536  # linear out_features
MAX_SPATIAL = 1024  # input H or W
MAX_KERNEL = 64
MAX_BATCH = 4096
MAX_LAYER_PARAMS = 100_000_000  # one layer's weights + biases (400 MB as float32)
MAX_MODEL_PARAMS = 200_000_000  # the whole network (800 MB as float32): build_model refuses more


class ParamKind(StrEnum):
    INT = "int"  # a whole number
    PAIR = "pair"  # int or [h, w]
    OPTIONAL_PAIR = "optional_pair"  # like PAIR, or None (meaning "same as another param")
    PADDING = "padding"  # int, [h, w], "same" or "valid"
    FLOAT = "float"
    BOOL = "bool"


class Rule(StrEnum):
    """How a layer kind changes the shape. The shape engine implements each rule once."""

    CONV = "conv"  # sliding window with learned weights: H_out = 1 + (H + 2P - D(K-1) - 1) // S
    POOL = "pool"  # sliding window, no weights, channels unchanged
    ADAPTIVE_POOL = "adaptive_pool"  # fixed output size
    CHANNEL_NORM = "channel_norm"  # shape unchanged, 2 learned numbers per channel
    ELEMENTWISE = "elementwise"  # shape unchanged, no weights
    FLATTEN = "flatten"  # [B, C, H, W] -> [B, C*H*W]
    LINEAR = "linear"  # [B, in] -> [B, out]


class Category(StrEnum):
    CONV = "Convolution"
    POOL = "Pooling"
    NORM = "Normalization"
    ACTIVATION = "Activation"
    REGULARIZATION = "Regularization"
    RESHAPE = "Reshape"
    LINEAR = "Fully connected"
    OUTPUT = "Output"


@dataclass(frozen=True)
class Param:
    name: str  # the torch.nn constructor's argument name
    kind: ParamKind
    default: Any  # torch's default (or, for required args, the editor's starting value)
    minimum: float | None = None
    maximum: float | None = None
    required: bool = (
        False  # torch has no default: the spec must give it (the editor fills `default`)
    )
    help: str = ""


@dataclass(frozen=True)
class LayerKind:
    type: str  # the spec's "type"
    torch_name: str  # class name in torch.nn
    category: Category
    rule: Rule
    params: tuple[Param, ...] = ()
    inferred: tuple[str, ...] = ()  # constructor args taken from the layer above
    explain: str = ""  # one line, the course's words
    fixed_kwargs: dict[str, Any] = field(default_factory=dict)  # always passed to torch
    positional: tuple[str, ...] = ()  # params PyTorch code writes without a name: Conv2d(3, 6, ...)
    computes: Callable[[dict], str] | None = None  # element-wise kinds: the operation, in words
    probabilities: bool = False  # turns scores into probabilities (cross-entropy does it itself)

    @property
    def torch_class(self) -> type:
        from torch import nn  # imported lazily: the shape engine needs no torch

        return getattr(nn, self.torch_name)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def _kernel(default: Any = 3, required: bool = False) -> Param:
    return Param(
        "kernel_size",
        ParamKind.PAIR,
        default,
        1,
        MAX_KERNEL,
        required=required,
        help="K: the window's height and width",
    )


_STRIDE = Param("stride", ParamKind.PAIR, 1, 1, MAX_KERNEL, help="S: how far the window moves")
_POOL_STRIDE = Param(
    "stride",
    ParamKind.OPTIONAL_PAIR,
    None,
    1,
    MAX_KERNEL,
    help="S: how far the window moves (empty = kernel_size)",
)
_DILATION = Param("dilation", ParamKind.PAIR, 1, 1, 16, help="D: gaps between kernel taps")
_POOL_PADDING = Param(
    "padding", ParamKind.PAIR, 0, 0, MAX_KERNEL, help="P: zeros added on each side"
)
_CEIL = Param("ceil_mode", ParamKind.BOOL, False, help="round the output size up instead of down")
_BIAS = Param("bias", ParamKind.BOOL, True, help="add a learned bias per output")


def _dropout_words(layer: dict) -> str:
    p = float(layer["p"])
    keep = f", the rest ×{1 / (1 - p):.3g}" if p < 1 else ""
    return (
        f"in training each value is zeroed with chance p={p:g}{keep}; in evaluation nothing changes"
    )


LAYER_KINDS: dict[str, LayerKind] = {
    k.type: k
    for k in (
        LayerKind(
            "conv2d",
            "Conv2d",
            Category.CONV,
            Rule.CONV,
            (
                Param(
                    "out_channels",
                    ParamKind.INT,
                    8,
                    1,
                    MAX_CHANNELS,
                    required=True,
                    help="how many filters (output feature maps)",
                ),
                _kernel(required=True),
                _STRIDE,
                Param(
                    "padding",
                    ParamKind.PADDING,
                    0,
                    0,
                    MAX_KERNEL,
                    help='P: zeros added on each side; "same" keeps H and W',
                ),
                _DILATION,
                Param(
                    "groups", ParamKind.INT, 1, 1, MAX_CHANNELS, help="split channels into groups"
                ),
                _BIAS,
            ),
            inferred=("in_channels",),
            explain="slides out_channels learned filters over the input; each makes one feature map",
            positional=("out_channels",),
        ),
        LayerKind(
            "maxpool2d",
            "MaxPool2d",
            Category.POOL,
            Rule.POOL,
            (_kernel(2, required=True), _POOL_STRIDE, _POOL_PADDING, _DILATION, _CEIL),
            explain="keeps the largest value in each window: smaller maps, same channels",
        ),
        LayerKind(
            "avgpool2d",
            "AvgPool2d",
            Category.POOL,
            Rule.POOL,
            (_kernel(2, required=True), _POOL_STRIDE, _POOL_PADDING, _CEIL),
            explain="averages each window: smaller maps, same channels",
        ),
        LayerKind(
            "adaptiveavgpool2d",
            "AdaptiveAvgPool2d",
            Category.POOL,
            Rule.ADAPTIVE_POOL,
            (
                Param(
                    "output_size",
                    ParamKind.PAIR,
                    1,
                    1,
                    MAX_SPATIAL,
                    required=True,
                    help="the H and W you want out",
                ),
            ),
            explain="averages into a fixed output size, whatever the input size",
        ),
        LayerKind(
            "batchnorm2d",
            "BatchNorm2d",
            Category.NORM,
            Rule.CHANNEL_NORM,
            inferred=("num_features",),
            explain="normalizes each channel over the mini-batch, then scales and shifts it",
        ),
        LayerKind(
            "dropout",
            "Dropout",
            Category.REGULARIZATION,
            Rule.ELEMENTWISE,
            (
                Param(
                    "p",
                    ParamKind.FLOAT,
                    0.5,
                    0.0,
                    1.0,
                    help="chance each value is zeroed in training",
                ),
            ),
            explain="zeroes random values while training (not in evaluation)",
            computes=_dropout_words,
        ),
        LayerKind(
            "relu",
            "ReLU",
            Category.ACTIVATION,
            Rule.ELEMENTWISE,
            explain="max(0, x): keeps positives, zeroes negatives",
            computes=lambda _: "max(0, x) for every value on its own",
        ),
        LayerKind(
            "leakyrelu",
            "LeakyReLU",
            Category.ACTIVATION,
            Rule.ELEMENTWISE,
            (
                Param(
                    "negative_slope",
                    ParamKind.FLOAT,
                    0.01,
                    0.0,
                    1.0,
                    help="slope for negative inputs",
                ),
            ),
            explain="like ReLU, but negatives are scaled down instead of zeroed",
            computes=lambda layer: (
                f"x if x > 0, else {layer['negative_slope']:g}·x, for every value"
            ),
        ),
        LayerKind(
            "sigmoid",
            "Sigmoid",
            Category.ACTIVATION,
            Rule.ELEMENTWISE,
            explain="squashes each value into (0, 1)",
            computes=lambda _: "1 / (1 + e^−x) for every value on its own",
        ),
        LayerKind(
            "tanh",
            "Tanh",
            Category.ACTIVATION,
            Rule.ELEMENTWISE,
            explain="squashes into (-1, 1)",
            computes=lambda _: "tanh(x) for every value on its own",
        ),
        LayerKind(
            "gelu",
            "GELU",
            Category.ACTIVATION,
            Rule.ELEMENTWISE,
            explain="a smooth ReLU: x times the chance a normal value is below x",
            computes=lambda _: "x·Φ(x) for every value on its own",
        ),
        LayerKind(
            "flatten",
            "Flatten",
            Category.RESHAPE,
            Rule.FLATTEN,
            explain="unrolls [C, H, W] into one vector of C·H·W features for Linear",
        ),
        LayerKind(
            "linear",
            "Linear",
            Category.LINEAR,
            Rule.LINEAR,
            (
                Param(
                    "out_features",
                    ParamKind.INT,
                    10,
                    1,
                    MAX_FEATURES,
                    required=True,
                    help="how many outputs (neurons)",
                ),
                _BIAS,
            ),
            inferred=("in_features",),
            explain="every output is a weighted sum of every input, plus a bias",
            positional=("out_features",),
        ),
        LayerKind(
            "softmax",
            "Softmax",
            Category.OUTPUT,
            Rule.ELEMENTWISE,
            explain="turns scores into probabilities that sum to 1",
            fixed_kwargs={"dim": 1},
            computes=lambda _: "exp(x) / sum of exp along dim=1: the values along dim=1 sum to 1",
            probabilities=True,
        ),
    )
}
