"""Layers as data: one registry entry per layer kind.

A *spec* is the JSON-serialisable description every part of cnnviz reads::

    {"input": [3, 64, 64],
     "layers": [{"type": "conv2d", "out_channels": 6, "kernel_size": 3}, {"type": "relu"}, ...]}

Parameter names are the ``torch.nn`` constructor's; omitted ones take torch's
defaults. ``in_channels`` / ``in_features`` / ``num_features`` are never typed:
they are inferred from the layer above.

Each ``LayerKind`` holds everything about a kind: its torch class, its
parameters with defaults and limits, the shape rule the shape engine applies,
and a one-line explanation in the course's words. The editor, the shape table,
the builder, the code export and the CLI all read this registry.
"""

from __future__ import annotations

import copy
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


class SpecError(ValueError):
    """A spec the user gave cannot be used. The message says why and how to fix it."""

    def __init__(self, message: str, *, layer: int | None = None, fix: str | None = None) -> None:
        super().__init__(message)
        self.layer = layer  # 0-based index into spec["layers"], or None for the spec as a whole
        self.fix = fix  # what to change, when the message alone does not say


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
        ),
        LayerKind(
            "relu",
            "ReLU",
            Category.ACTIVATION,
            Rule.ELEMENTWISE,
            explain="max(0, x): keeps positives, zeroes negatives",
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
        ),
        LayerKind(
            "sigmoid",
            "Sigmoid",
            Category.ACTIVATION,
            Rule.ELEMENTWISE,
            explain="squashes each value into (0, 1)",
        ),
        LayerKind(
            "tanh", "Tanh", Category.ACTIVATION, Rule.ELEMENTWISE, explain="squashes into (-1, 1)"
        ),
        LayerKind(
            "gelu",
            "GELU",
            Category.ACTIVATION,
            Rule.ELEMENTWISE,
            explain="a smooth ReLU: x times the chance a normal value is below x",
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
        ),
        LayerKind(
            "softmax",
            "Softmax",
            Category.OUTPUT,
            Rule.ELEMENTWISE,
            explain="turns scores into probabilities that sum to 1",
            fixed_kwargs={"dim": 1},
        ),
    )
}


def kind_of(layer: dict) -> LayerKind:
    """The registry entry for a layer dict, or SpecError naming the known kinds."""
    t = layer.get("type") if isinstance(layer, dict) else None
    if not isinstance(t, str) or t.lower() not in LAYER_KINDS:
        known = ", ".join(LAYER_KINDS)
        raise SpecError(
            f"unknown layer type {t!r}: use one of {known}", fix="pick a layer type from the list"
        )
    return LAYER_KINDS[t.lower()]


def _pair(value: Any) -> tuple[int, int] | None:
    """An int or an [h, w] pair of ints as (h, w); None if it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, float) and value.is_integer():
        return (int(value), int(value))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        a, b = (_pair(v) for v in value)
        if a and b:
            return (a[0], b[0])
    return None


def as_pair(value: Any) -> tuple[int, int]:
    """(h, w) of an already-checked int-or-pair value."""
    p = _pair(value)
    if p is None:
        raise SpecError(f"{value!r} is not a whole number or an [h, w] pair")
    return p


def _check_value(p: Param, value: Any) -> Any:
    """Validate one parameter value; return it in canonical form or raise SpecError (no layer)."""
    lo, hi = p.minimum, p.maximum

    def in_range(v: float) -> None:
        if lo is not None and v < lo:
            raise SpecError(
                f"{p.name} must be at least {lo:g}, got {v:g}",
                fix=f"set {p.name} to {lo:g} or more",
            )
        if hi is not None and v > hi:
            raise SpecError(
                f"{p.name} is capped at {hi:g} here (got {v:g})",
                fix=f"set {p.name} to at most {hi:g}",
            )

    if p.kind is ParamKind.BOOL:
        if not isinstance(value, bool):
            raise SpecError(
                f"{p.name} must be true or false, got {value!r}", fix=f"tick or untick {p.name}"
            )
        return value
    if p.kind is ParamKind.FLOAT:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise SpecError(
                f"{p.name} must be a number, got {value!r}", fix=f"enter a number, e.g. {p.default}"
            )
        in_range(float(value))
        return float(value)
    if p.kind is ParamKind.INT:
        pair = _pair(value)
        if pair is None or isinstance(value, (list, tuple)):
            raise SpecError(
                f"{p.name} must be a whole number, got {value!r}",
                fix=f"enter a whole number, e.g. {p.default}",
            )
        in_range(pair[0])
        return pair[0]
    if p.kind is ParamKind.OPTIONAL_PAIR and value is None:
        return None
    if p.kind is ParamKind.PADDING and isinstance(value, str):
        if value.lower() in ("same", "valid"):
            return value.lower()
        raise SpecError(
            f'{p.name} must be a number, [h, w], "same" or "valid", got {value!r}',
            fix=f"enter a whole number such as {p.default}, or same",
        )
    pair = _pair(value)
    if pair is None:
        raise SpecError(
            f"{p.name} must be a whole number or an [h, w] pair, got {value!r}",
            fix=f"enter a whole number such as {p.default}, or two like [3, 5]",
        )
    for v in pair:
        in_range(v)
    return pair[0] if pair[0] == pair[1] and not isinstance(value, (list, tuple)) else list(pair)


def normalize_layer(layer: Any) -> dict:
    """A layer dict with every parameter present and checked (defaults filled in).

    Raises SpecError (without ``layer`` set: the caller knows the index) naming the
    parameter and what is allowed. Unknown keys are refused, so typos are caught.
    """
    if not isinstance(layer, dict):
        raise SpecError(
            f'a layer must be an object like {{"type": "relu"}}, got {layer!r}',
            fix="write the layer as an object with a type",
        )
    kind = kind_of(layer)
    allowed = {p.name for p in kind.params}
    extra = set(layer) - allowed - {"type"}
    extra -= set(kind.inferred)  # tolerated (ignored): they are always inferred
    if extra:
        names = ", ".join(sorted(allowed)) or "none"
        raise SpecError(
            f"{kind.torch_name} has no parameter {', '.join(sorted(extra))}: "
            f"its parameters are {names}",
            fix=f"remove {', '.join(sorted(extra))}",
        )
    out: dict[str, Any] = {"type": kind.type}
    for p in kind.params:
        if p.name in layer:
            out[p.name] = _check_value(p, layer[p.name])
        elif p.required:
            raise SpecError(
                f"{kind.torch_name} needs {p.name} ({p.help})",
                fix=f"add {p.name}, e.g. {p.default}",
            )
        else:
            out[p.name] = p.default
    return out


def default_layer(type_: str) -> dict:
    """A new layer of this kind with the editor's starting values."""
    kind = LAYER_KINDS[type_]
    return {"type": kind.type, **{p.name: copy.deepcopy(p.default) for p in kind.params}}


def compact_layer(layer: dict) -> dict:
    """The layer without parameters equal to torch's default (for short JSON and URLs)."""
    kind = kind_of(layer)
    out = {"type": kind.type}
    for p in kind.params:
        if p.name in layer and (p.required or layer[p.name] != p.default):
            out[p.name] = layer[p.name]
    return out


def check_input(value: Any) -> list[int]:
    """The spec's input as [C, H, W] or [N]; SpecError with the fix otherwise."""
    msg = "input must be [C, H, W] (e.g. [3, 64, 64]) or [N] features for a Linear-only stack"
    if not isinstance(value, (list, tuple)) or len(value) not in (1, 3):
        raise SpecError(f"{msg}, got {value!r}")
    dims = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v or v < 1:
            raise SpecError(
                f"{msg}; every size must be a whole number of at least 1, got {value!r}"
            )
        dims.append(int(v))
    if len(dims) == 1 and dims[0] > MAX_FEATURES:
        raise SpecError(f"input is capped at {MAX_FEATURES} features here, got {dims[0]}")
    if len(dims) == 3:
        if dims[0] > MAX_CHANNELS:
            raise SpecError(f"input is capped at {MAX_CHANNELS} channels here, got {dims[0]}")
        if max(dims[1:]) > MAX_SPATIAL:
            raise SpecError(
                f"input height and width are capped at {MAX_SPATIAL} here, got {dims[1]}×{dims[2]}: "
                "resize the images"
            )
    return dims


def check_spec_structure(spec: Any) -> tuple[list[int], list[Any]]:
    """The spec's input and raw layer list, or SpecError if the spec is not even shaped right.

    Per-layer problems are *not* raised here: the shape engine reports them on their row.
    """
    if not isinstance(spec, dict):
        raise SpecError('a spec is an object: {"input": [C, H, W], "layers": [...]}')
    extra = set(spec) - {"input", "layers", "name"}
    if extra:
        raise SpecError(f"unknown spec key(s) {', '.join(sorted(extra))}: use input and layers")
    if "input" not in spec:
        raise SpecError('the spec has no "input": add e.g. "input": [3, 64, 64]')
    dims = check_input(spec["input"])
    layers = spec.get("layers", [])
    if not isinstance(layers, list):
        raise SpecError('"layers" must be a list of layer objects')
    if len(layers) > MAX_LAYERS:
        raise SpecError(
            f"{len(layers)} layers is more than the {MAX_LAYERS} cnnviz handles: "
            "remove some (a deep stack is rarely what a small dataset needs)"
        )
    return dims, layers


def describe(layer: dict, in_dim: int | None = None) -> str:
    """The layer as PyTorch writes it, e.g. ``Conv2d(3, 6, kernel_size=3)``.

    ``in_dim`` is the inferred in_channels / in_features / num_features (None if unknown).
    Parameters equal to torch's default are left out.
    """
    kind = kind_of(layer)
    args: list[str] = []
    if kind.inferred:
        args.append(str(in_dim) if in_dim is not None else "?")
    for p in kind.params:
        if p.name not in layer:
            continue
        v = layer[p.name]
        if (
            p.required
            and kind.type in ("conv2d", "linear")
            and p.name in ("out_channels", "out_features")
        ):
            args.append(repr(v))
        elif p.required or v != p.default:
            args.append(f"{p.name}={_py(v)}")
    args += [f"{k}={_py(v)}" for k, v in kind.fixed_kwargs.items()]
    return f"{kind.torch_name}({', '.join(args)})"


def _py(v: Any) -> str:
    """A value written as Python source."""
    if isinstance(v, list):
        return f"({', '.join(_py(x) for x in v)})"
    return repr(v)


def torch_kwargs(layer: dict, in_dim: int | None) -> dict[str, Any]:
    """Constructor kwargs for the torch class of a normalized layer."""
    kind = kind_of(layer)
    kwargs: dict[str, Any] = {}
    for name in kind.inferred:
        kwargs[name] = in_dim
    for p in kind.params:
        v = layer[p.name]
        kwargs[p.name] = tuple(v) if isinstance(v, list) else v
    kwargs.update(kind.fixed_kwargs)
    return kwargs
