"""A trained network as data a web page can run: every layer's settings and weights, in order.

``model_payload(model, ...) -> dict`` walks the torch modules (not the spec), so what the page
computes is what torch computes: an ``nn.Sequential`` of leaf layers, where a module with
``body`` and ``shortcut`` is a residual block (output = body(x) + shortcut(x)) and a module
with ``branches`` (an ``nn.ModuleList`` of ``nn.Sequential``) is a channel concatenation.
Every number a layer needs is read from the module (kernel, stride, padding, dilation,
groups, ceil_mode, count_include_pad, eps, negative_slope, ...); the weights go into one
little-endian float32 (or float16) buffer, base64, and each layer names its slices.

Names follow torch's ``named_modules``: ``"0"``, ``"3.body.1"``, ``"5.branches.0.2"``, so a
test can hook the same modules and compare.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from torch import nn


class NotEmbeddable(ValueError):
    """The network cannot go into the page; the message says why (in the user's words)."""


class Unsupported(NotEmbeddable):
    """A module the page has no forward pass for (named, with the fix)."""


def _pair(v: Any) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(v[0]), int(v[1])]


class _Weights:
    """Every tensor the layers need, in one flat array; a layer keeps (offset, length, shape)."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.size = 0

    def add(self, t: Any) -> dict:
        a = t.detach().cpu().float().contiguous().numpy().reshape(-1)
        ref = {"offset": self.size, "length": int(a.size), "shape": list(t.shape)}
        self.parts.append(a)
        self.size += int(a.size)
        return ref

    def encode(self, dtype: str) -> str:
        flat = np.concatenate(self.parts) if self.parts else np.zeros(0, np.float32)
        return base64.b64encode(
            flat.astype("<f4" if dtype == "float32" else "<f2").tobytes()
        ).decode()


def _conv(m: nn.Conv2d, w: _Weights) -> dict:
    if m.padding_mode != "zeros":
        raise Unsupported(
            f"Conv2d with padding_mode={m.padding_mode!r}: only zero padding runs in the page"
        )
    rev = m._reversed_padding_repeated_twice  # (left, right, top, bottom), also for "same"
    return {
        "type": "conv2d",
        "in_channels": m.in_channels,
        "out_channels": m.out_channels,
        "kernel_size": _pair(m.kernel_size),
        "stride": _pair(m.stride),
        "padding": [int(rev[2]), int(rev[3]), int(rev[0]), int(rev[1])],  # top, bottom, left, right
        "dilation": _pair(m.dilation),
        "groups": m.groups,
        "weight": w.add(m.weight),
        "bias": w.add(m.bias) if m.bias is not None else None,
    }


def _pool(m: nn.Module, kind: str) -> dict:
    k = _pair(m.kernel_size)
    out = {
        "type": kind,
        "kernel_size": k,
        "stride": _pair(m.stride if m.stride is not None else m.kernel_size),
        "padding": _pair(m.padding),
        "ceil_mode": bool(m.ceil_mode),
    }
    if kind == "maxpool2d":
        out["dilation"] = _pair(m.dilation)
    else:
        if getattr(m, "divisor_override", None):
            raise Unsupported("AvgPool2d with divisor_override does not run in the page")
        out["dilation"] = [1, 1]
        out["count_include_pad"] = bool(m.count_include_pad)
    return out


def _leaf(m: nn.Module, w: _Weights) -> dict:
    if isinstance(m, nn.Conv2d):
        return _conv(m, w)
    if isinstance(m, nn.MaxPool2d):
        return _pool(m, "maxpool2d")
    if isinstance(m, nn.AvgPool2d):
        return _pool(m, "avgpool2d")
    if isinstance(m, nn.AdaptiveAvgPool2d):
        size = m.output_size
        size = [size, size] if isinstance(size, int) or size is None else list(size)
        return {
            "type": "adaptiveavgpool2d",
            "output_size": [None if s is None else int(s) for s in size],
        }
    if isinstance(m, nn.BatchNorm2d):
        if m.running_mean is None:
            raise Unsupported("BatchNorm2d without running statistics does not run in the page")
        return {
            "type": "batchnorm2d",
            "num_features": m.num_features,
            "eps": float(m.eps),
            "running_mean": w.add(m.running_mean),
            "running_var": w.add(m.running_var),
            "weight": w.add(m.weight) if m.weight is not None else None,
            "bias": w.add(m.bias) if m.bias is not None else None,
        }
    if isinstance(m, nn.Linear):
        return {
            "type": "linear",
            "in_features": m.in_features,
            "out_features": m.out_features,
            "weight": w.add(m.weight),
            "bias": w.add(m.bias) if m.bias is not None else None,
        }
    if isinstance(m, nn.Flatten):
        return {"type": "flatten", "start_dim": int(m.start_dim), "end_dim": int(m.end_dim)}
    if isinstance(m, nn.Dropout | nn.Dropout2d | nn.Identity):
        return {"type": "dropout" if not isinstance(m, nn.Identity) else "identity"}
    if isinstance(m, nn.LeakyReLU):
        return {"type": "leakyrelu", "negative_slope": float(m.negative_slope)}
    if isinstance(m, nn.GELU):
        return {"type": "gelu", "approximate": str(m.approximate)}
    if isinstance(m, nn.Softmax):
        return {"type": "softmax", "dim": 1 if m.dim is None else int(m.dim)}
    for cls, kind in ((nn.ReLU, "relu"), (nn.Sigmoid, "sigmoid"), (nn.Tanh, "tanh")):
        if isinstance(m, cls):
            return {"type": kind}
    raise Unsupported(
        f"{type(m).__name__} has no forward pass in the page yet: the explained network "
        "cannot be exported (the rest of the presentation is)"
    )


def _sequence(seq: nn.Module, prefix: str, w: _Weights) -> list[dict]:
    return [_entry(m, f"{prefix}{name}", w) for name, m in seq.named_children()]


def _entry(m: nn.Module, name: str, w: _Weights) -> dict:
    if hasattr(m, "body") and hasattr(m, "shortcut"):
        sc = m.shortcut
        shortcut = [] if isinstance(sc, nn.Identity) else _sequence(sc, f"{name}.shortcut.", w)
        out = {
            "type": "residual",
            "layers": _sequence(m.body, f"{name}.body.", w),
            "shortcut": "identity" if isinstance(sc, nn.Identity) else "conv1x1",
            "shortcut_layers": shortcut,
        }
    elif hasattr(m, "branches"):
        out = {
            "type": "concat",
            "branches": [
                _sequence(b, f"{name}.branches.{i}.", w) for i, b in enumerate(m.branches)
            ],
        }
    elif isinstance(m, nn.Sequential):
        out = {"type": "sequential", "layers": _sequence(m, f"{name}.", w)}
    else:
        out = _leaf(m, w)
    out["name"] = name
    out["label"] = label(out)
    return out


def label(e: dict) -> str:
    """A layer in a few words: 'Conv2d 3→6, 3×3, stride 1, padding 1'."""
    t = e["type"]

    def hw(v: list[int]) -> str:
        return f"{v[0]}" if v[0] == v[1] else f"{v[0]}×{v[1]}"

    if t == "conv2d":
        k = e["kernel_size"]
        pad = e["padding"]
        extra = [f"stride {hw(e['stride'])}"] if e["stride"] != [1, 1] else []
        if any(pad):
            extra.append(f"padding {pad[0]}" if len(set(pad)) == 1 else f"padding {pad}")
        if e["dilation"] != [1, 1]:
            extra.append(f"dilation {hw(e['dilation'])}")
        if e["groups"] != 1:
            extra.append(f"groups {e['groups']}")
        return ", ".join(
            [f"Conv2d {e['in_channels']}→{e['out_channels']}", f"{k[0]}×{k[1]}", *extra]
        )
    if t in ("maxpool2d", "avgpool2d"):
        k = e["kernel_size"]
        name = "MaxPool2d" if t == "maxpool2d" else "AvgPool2d"
        extra = [f"stride {hw(e['stride'])}"] if e["stride"] != k else []
        if any(e["padding"]):
            extra.append(f"padding {hw(e['padding'])}")
        if e["dilation"] != [1, 1]:
            extra.append(f"dilation {hw(e['dilation'])}")
        if e["ceil_mode"]:
            extra.append("ceil_mode")
        return ", ".join([name, f"{k[0]}×{k[1]}", *extra])
    names = {
        "adaptiveavgpool2d": lambda: f"AdaptiveAvgPool2d → {e['output_size']}",
        "batchnorm2d": lambda: f"BatchNorm2d ({e['num_features']}, running statistics)",
        "linear": lambda: f"Linear {e['in_features']}→{e['out_features']}",
        "flatten": lambda: "Flatten",
        "dropout": lambda: "Dropout (nothing changes in evaluation)",
        "identity": lambda: "Identity",
        "relu": lambda: "ReLU",
        "leakyrelu": lambda: f"LeakyReLU (slope {e['negative_slope']:g})",
        "sigmoid": lambda: "Sigmoid",
        "tanh": lambda: "Tanh",
        "gelu": lambda: "GELU",
        "softmax": lambda: "Softmax",
        "residual": lambda: f"Residual block (+ {e['shortcut']} shortcut)",
        "concat": lambda: f"Concatenation of {len(e['branches'])} branches",
        "sequential": lambda: "Sequential",
    }
    return names[t]()


def model_payload(model: nn.Module, input_shape: list[int], *, dtype: str = "float32") -> dict:
    """The network as the page's data: ``{"input", "layers", "dtype", "weights", "count"}``.

    ``model``: an ``nn.Sequential`` (as ``build_model`` makes), in eval mode or not (the page
    computes evaluation: BatchNorm2d with its running statistics, Dropout does nothing).
    Raises ``Unsupported`` for a module the page cannot run.
    """
    if dtype not in ("float32", "float16"):
        raise ValueError(f"dtype must be float32 or float16, not {dtype!r}")
    w = _Weights()
    layers = _sequence(model, "", w)
    return {
        "input": [int(s) for s in input_shape],
        "layers": layers,
        "dtype": dtype,
        "count": w.size,
        "weights": w.encode(dtype),
    }


def weight_count(model: nn.Module) -> int:
    """How many numbers the page would carry (parameters and BatchNorm's running statistics)."""
    return sum(
        int(t.numel())
        for k, t in model.state_dict().items()
        if not k.endswith("num_batches_tracked")
    )


__all__ = ["NotEmbeddable", "Unsupported", "label", "model_payload", "weight_count"]
