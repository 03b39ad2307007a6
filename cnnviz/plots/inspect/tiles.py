"""Shared helpers for the inspect figures: tiling many small maps into one canvas."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
import torch


def _np(a: Any) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().float().numpy()
    return np.asarray(a, dtype=np.float32)


def _grid(n: int, cols: int | None) -> tuple[int, int]:
    cols = cols or max(1, math.ceil(math.sqrt(n)))
    cols = min(cols, n) if n else 1
    return max(1, math.ceil(n / cols)), cols


def _tile(
    maps: np.ndarray, cols: int, gap: int, fill: float = np.nan
) -> tuple[np.ndarray, np.ndarray]:
    """[N, H, W] -> one [rows·(H+gap)-gap, cols·(W+gap)-gap] canvas, and its tile index map."""
    n, h, w = maps.shape
    rows = math.ceil(n / cols)
    canvas = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), fill, np.float32)
    which = np.full(canvas.shape, -1, np.int32)
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = r * (h + gap), c * (w + gap)
        canvas[y : y + h, x : x + w] = maps[i]
        which[y : y + h, x : x + w] = i
    return canvas, which


def _shrink(maps: np.ndarray, limit: int) -> tuple[np.ndarray, int]:
    """[N, H, W] with k×k blocks averaged (k the smallest that fits ``limit`` pixels), and k."""
    n, h, w = maps.shape
    k = 1
    while n * math.ceil(h / k) * math.ceil(w / k) > limit and k < max(h, w):
        k += 1
    if k == 1:
        return maps, 1
    t = torch.from_numpy(np.ascontiguousarray(maps))[None]
    return torch.nn.functional.avg_pool2d(t, k, ceil_mode=True)[0].numpy(), k


def _image_axes(fig: go.Figure) -> None:
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")


def _shown(total: int, cap: int, what: str) -> str:
    """ "showing 32 of 64 feature maps", "64 feature maps" or "1 feature map" (``what`` plural)."""
    if total > cap:
        return f"showing {cap} of {total} {what}"
    return f"1 {what.removesuffix('s')}" if total == 1 else f"{total} {what}"
