"""Toy 2-D datasets (TensorFlow Playground's lesson): points in the plane, two classes.

``make_toy(kind, n, seed=0, noise=0.1) -> (points float32 [N, 2], labels int64 [N])``,
balanced classes, points roughly inside ``[-LIMIT, LIMIT]²``:

- ``blobs``: two Gaussian clouds, one line separates them (a linear problem);
- ``xor``: the four quadrants, opposite ones alike (no line separates them);
- ``circles``: a disc inside a ring (no line either);
- ``spiral``: two interleaved arms (hard: needs several bent boundaries).

As a dataset (``cnnviz.data.registry``) the points are stored like every other set as
uint8, one byte per coordinate: ``to_uint8`` maps ``[-LIMIT, LIMIT]`` onto 0..255
(a grid of ``2·LIMIT/255 ≈ 0.012``, finer than the noise); ``from_uint8`` maps back.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from cnnviz.data.catalog import ToyKind

LIMIT = 1.5  # points lie in [-LIMIT, LIMIT]² (clamped there when stored as uint8)


def make_toy(
    kind: ToyKind | str, n: int, *, seed: int = 0, noise: float = 0.1
) -> tuple[Tensor, Tensor]:
    """``n`` points ``[N, 2]`` (float32) and labels ``[N]`` (int64, classes 0 and 1 alternate)."""
    kind = ToyKind(kind)
    if n < 1:
        raise ValueError(f"number of points must be at least 1, got {n}")
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    sign = y.float() * 2 - 1  # -1 for class 0, +1 for class 1
    jitter = torch.randn(n, 2, generator=g) * noise
    if kind is ToyKind.BLOBS:
        x = torch.randn(n, 2, generator=g) * 0.3 + sign[:, None] * 0.55
        x = x + jitter
    elif kind is ToyKind.XOR:
        u = (torch.rand(n, 2, generator=g) * 0.9 + 0.1) * torch.where(
            torch.rand(n, 1, generator=g) < 0.5, 1.0, -1.0
        )  # x coordinate anywhere away from the axis
        # class 1 where the signs agree, class 0 where they differ
        side = torch.sign(u[:, 0])
        u[:, 1] = u[:, 1].abs() * torch.where(y == 1, side, -side)
        x = u + jitter
    elif kind is ToyKind.CIRCLES:
        angle = torch.rand(n, generator=g) * 2 * math.pi
        radius = torch.where(
            y == 1, torch.rand(n, generator=g) * 0.45, 0.75 + torch.rand(n, generator=g) * 0.4
        )
        x = torch.stack([radius * angle.cos(), radius * angle.sin()], 1) + jitter
    else:
        t = torch.rand(n, generator=g).sqrt()  # along the arm, denser further out
        angle = t * 3.2 * math.pi + y.float() * math.pi
        radius = t * 1.2
        x = torch.stack([radius * angle.cos(), radius * angle.sin()], 1) + jitter
    return x.clamp(-LIMIT, LIMIT).float(), y.long()


def to_uint8(points: Tensor) -> Tensor:
    """``[-LIMIT, LIMIT]`` -> 0..255 (uint8, rounded), as a dataset stores the points."""
    scaled = (points.clamp(-LIMIT, LIMIT) + LIMIT) * (255.0 / (2 * LIMIT))
    return scaled.round().to(torch.uint8)


def from_uint8(x: Tensor) -> Tensor:
    """0..255 -> ``[-LIMIT, LIMIT]`` (float32), the inverse of ``to_uint8`` up to rounding."""
    return x.float() * (2 * LIMIT / 255.0) - LIMIT


__all__ = [
    "LIMIT",
    "from_uint8",
    "make_toy",
    "to_uint8",
]
