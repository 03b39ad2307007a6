"""The convolution and max-pooling steppers, in the page (a Streamlit custom component, v2).

The page sends the lesson's numbers once: the input (the channels the filter sees), the
kernel and bias, the layer's geometry and torch's output map for the channel. The
component (stepper.js, stepper.css: package data, no CDN) then steps (◀ Back, Next ▶),
plays, scrubs and, on hover over an output pixel, outlines that pixel's input window and
writes its sum, window × kernel summed per input channel plus the bias, beside torch's
own activation, without asking the server again. The arithmetic is the one of
``cnnviz.learn.steps.conv_step`` / ``pool_step`` (checked against torch in tests), and the
browser test checks the page's numbers against ``F.conv2d``.

Arrays travel as float32 bytes in base64: exact, and a quarter of their JSON size.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
from torch import Tensor, nn

from cnnviz.plots.learn.conv import MAX_DRAWN, MAX_PANELS
from cnnviz.ui import state

HERE = Path(__file__).parent
TICK_MS = 400  # between steps while playing
CANVAS_PX = 260  # the input panels' side, in CSS pixels (before the browser's scaling)

_component = st.components.v2.component(
    "cnnviz_conv_stepper",
    html='<div class="cvs-root"></div>',
    css=(HERE / "stepper.css").read_text(encoding="utf-8"),
    js=(HERE / "stepper.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # the page's font and presenter mode's sizes apply
)


def _b64(a: Any) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


def _pair(v: int | tuple[int, ...]) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(v[0]), int(v[1])]


def conv_data(conv: nn.Conv2d, inp: Tensor, out: Tensor, channel: int) -> dict[str, Any]:
    """What the page needs for output channel ``channel`` of ``conv``: input ``inp``
    [C_in, H, W], torch's output ``out`` [C_out, H_out, W_out] (the captured activation)."""
    per_group = conv.out_channels // conv.groups
    cg = inp.shape[0] // conv.groups
    group = channel // per_group
    chans = list(range(group * cg, (group + 1) * cg))
    rev = conv._reversed_padding_repeated_twice  # (left, right, top, bottom)
    kernel = conv.weight.detach().float()[channel]  # (C_g, K_h, K_w)
    return {
        "kind": "conv",
        "in_channels": chans,
        "panels": list(range(min(len(chans), MAX_PANELS))),
        "in_size": list(inp.shape[-2:]),
        "input": _b64(inp.detach().float()[chans].numpy()),
        "kernel": _b64(kernel.numpy()),
        "kernel_size": _pair(conv.kernel_size),
        "has_bias": conv.bias is not None,
        "bias": float(conv.bias.detach()[channel]) if conv.bias is not None else 0.0,
        "stride": _pair(conv.stride),
        "padding": [int(rev[2]), int(rev[0])] if rev else [0, 0],
        "dilation": _pair(conv.dilation),
        "channel": int(channel),
        "out_size": list(out.shape[-2:]),
        "output": _b64(out.detach().float()[channel].numpy()),
    }


def pool_data(pool: nn.MaxPool2d, inp: Tensor, out: Tensor, channel: int) -> dict[str, Any]:
    """The same for ``nn.MaxPool2d`` on one channel (padding is never picked)."""
    return {
        "kind": "pool",
        "in_channels": [int(channel)],
        "panels": [0],
        "in_size": list(inp.shape[-2:]),
        "input": _b64(inp.detach().float()[channel].numpy()),
        "kernel_size": _pair(pool.kernel_size),
        "has_bias": False,
        "bias": 0.0,
        "stride": _pair(pool.stride if pool.stride is not None else pool.kernel_size),
        "padding": _pair(pool.padding),
        "dilation": _pair(pool.dilation),
        "channel": int(channel),
        "out_size": list(out.shape[-2:]),
        "output": _b64(out.detach().float()[channel].numpy()),
    }


def show(data: dict[str, Any], *, key: str, pos: int = 0) -> None:
    """Show the stepper for ``data`` (``conv_data`` or ``pool_data``), starting at pixel ``pos``.

    Nothing comes back to the server: stepping, playing and hovering stay in the page.
    """
    payload = {
        **data,
        "pos": int(pos),
        "tick_ms": TICK_MS,
        "max_drawn": MAX_DRAWN,
        "canvas_px": CANVAS_PX,
        "big": state.teaching(),
    }
    ident = hashlib.blake2b(repr(sorted(payload.items())).encode(), digest_size=8).hexdigest()
    _component(key=key, data={**payload, "id": ident}, width="stretch")
