"""A convolution and a max pooling, one output pixel at a time, with every number shown.

``conv_step(conv, x, channel, row, col) -> ConvStep``: for one output pixel of an
``nn.Conv2d`` on one image's input ``x`` (``[C_in, H, W]``), the input window it sees
(per input channel of its group, zeros where it hangs over the padding), the kernel,
their element-wise products, each channel's sum, the bias and the total. ``total``
equals torch's output at that pixel (``reference``). Stride, padding, dilation and
groups are all honoured: window position ``(kh, kw)`` reads input pixel
``(row·S − P + kh·D, col·S − P + kw·D)``.

``pool_step(pool, x, channel, row, col) -> PoolStep``: the same for ``nn.MaxPool2d``
(padding counts as −∞, so it is never picked), with the maximum and where it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _pair(v: int | tuple[int, ...]) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


@dataclass(frozen=True)
class ConvStep:
    channel: int  # output channel (filter)
    row: int
    col: int
    in_channels: tuple[int, ...]  # the input channels this filter sees (its group)
    rows: tuple[int, ...]  # input rows of the window (negative or ≥ H: padding)
    cols: tuple[int, ...]
    window: Tensor  # [C_g, K_h, K_w] input values (0 on the padding)
    kernel: Tensor  # [C_g, K_h, K_w] the filter's weights
    products: Tensor  # window · kernel, element by element
    channel_sums: Tensor  # [C_g] one sum per input channel
    bias: float  # 0 when the layer has no bias
    total: float  # Σ products + bias
    reference: float  # torch's output at (channel, row, col)
    group: int = 0
    groups: int = 1

    @property
    def matches(self) -> bool:
        return abs(self.total - self.reference) <= 1e-4 * max(1.0, abs(self.reference))


def out_size(conv: nn.Conv2d | nn.MaxPool2d, h: int, w: int) -> tuple[int, int]:
    """torch's output height and width for an input of ``h × w``."""
    y = conv(torch.zeros(1, getattr(conv, "in_channels", 1), h, w))
    return int(y.shape[-2]), int(y.shape[-1])


def _padding(conv: nn.Conv2d) -> tuple[int, int]:
    """(top, left) zero rows and columns in front of the input (also for padding='same')."""
    rev = conv._reversed_padding_repeated_twice  # (left, right, top, bottom)
    return int(rev[2]), int(rev[0])


def conv_step(conv: nn.Conv2d, x: Tensor, channel: int, row: int, col: int) -> ConvStep:
    """One output pixel of ``conv`` on ``x`` ([C_in, H, W] or [1, C_in, H, W]) worked out."""
    x = x.detach().float()
    x = x[0] if x.dim() == 4 else x  # (C_in, H, W)
    c_in, h, w = x.shape
    kh, kw = _pair(conv.kernel_size)
    sh, sw = _pair(conv.stride)
    dh, dw = _pair(conv.dilation)
    pt, pl = _padding(conv)
    per_group = conv.out_channels // conv.groups
    group = channel // per_group
    cg = c_in // conv.groups
    chans = tuple(range(group * cg, (group + 1) * cg))
    rows = tuple(row * sh - pt + i * dh for i in range(kh))
    cols = tuple(col * sw - pl + j * dw for j in range(kw))
    r = torch.tensor(rows)
    c = torch.tensor(cols)
    inside = ((r >= 0) & (r < h))[:, None] & ((c >= 0) & (c < w))[None, :]  # (K_h, K_w)
    window = torch.zeros(cg, kh, kw)
    sub = x[list(chans)][:, r.clamp(0, h - 1)][:, :, c.clamp(0, w - 1)]  # (C_g, K_h, K_w)
    window = torch.where(inside, sub, window)
    kernel = conv.weight.detach().float()[channel]  # (C_g, K_h, K_w)
    products = window * kernel
    sums = products.sum(dim=(1, 2))
    bias = float(conv.bias.detach()[channel]) if conv.bias is not None else 0.0
    with torch.no_grad():
        ref = float(conv(x[None])[0, channel, row, col])
    return ConvStep(
        channel, row, col, chans, rows, cols, window, kernel, products, sums, bias,
        float(sums.sum()) + bias, ref, group, conv.groups,
    )  # fmt: skip


@dataclass(frozen=True)
class PoolStep:
    channel: int
    row: int
    col: int
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    window: Tensor  # [K_h, K_w] values (−inf on the padding and past the edge)
    pick: tuple[int, int]  # (i, j) in the window of the maximum
    value: float  # the maximum: the output pixel
    reference: float  # torch's output

    @property
    def matches(self) -> bool:
        return self.value == self.reference


def pool_step(pool: nn.MaxPool2d, x: Tensor, channel: int, row: int, col: int) -> PoolStep:
    """One output pixel of ``pool`` on ``x`` ([C, H, W] or [1, C, H, W]) worked out."""
    x = x.detach().float()
    x = x[0] if x.dim() == 4 else x
    _, h, w = x.shape
    kh, kw = _pair(pool.kernel_size)
    sh, sw = _pair(pool.stride if pool.stride is not None else pool.kernel_size)
    dh, dw = _pair(pool.dilation)
    ph, pw = _pair(pool.padding)
    rows = tuple(row * sh - ph + i * dh for i in range(kh))
    cols = tuple(col * sw - pw + j * dw for j in range(kw))
    window = torch.full((kh, kw), float("-inf"))
    for i, rr in enumerate(rows):
        for j, cc in enumerate(cols):
            if 0 <= rr < h and 0 <= cc < w:
                window[i, j] = x[channel, rr, cc]
    flat = int(window.reshape(-1).argmax())
    with torch.no_grad():
        ref = float(pool(x[None])[0, channel, row, col])
    return PoolStep(
        channel, row, col, rows, cols, window, divmod(flat, kw), float(window.max()), ref
    )


def pool_ops_saved(spec: dict, index: int) -> tuple[int, int, str] | None:
    """(mult-adds of the next Conv2d/Linear with the pooling, without it, its name), or None.

    "Without" is the same design with layer ``index`` taken out, from the shape engine.
    """
    from cnnviz.design.shapes import summarize

    layers = spec.get("layers") or []
    rows = summarize(spec)
    nxt = next(
        (
            r
            for r in rows[index + 1 :]
            if r.get("type") in ("conv2d", "linear") and r["status"] == "ok"
        ),
        None,
    )
    if nxt is None:
        return None
    without = {**spec, "layers": layers[:index] + layers[index + 1 :]}
    other = summarize(without)[nxt["index"] - 1]
    if other.get("status") != "ok":
        return None
    return int(nxt["mult_adds"]), int(other["mult_adds"]), str(nxt["name"])


def reference_conv(conv: nn.Conv2d, x: Tensor) -> Tensor:
    """torch's own output for one image (``F.conv2d``), ``[C_out, H_out, W_out]``."""
    x = x[0] if x.dim() == 4 else x
    with torch.no_grad():
        return F.conv2d(
            x[None].float(),
            conv.weight,
            conv.bias,
            conv.stride,
            conv.padding,
            conv.dilation,
            conv.groups,
        )[0]


__all__ = [
    "ConvStep",
    "PoolStep",
    "conv_step",
    "out_size",
    "pool_ops_saved",
    "pool_step",
    "reference_conv",
]
