"""Shapes: the built-in dataset, drawn procedurally with vectorised torch (no network, no PIL).

Ten classes a student can name (circle, square, triangle, cross, star, ring, hexagon,
heart, crescent, arrow). Every image gets a random position, size, rotation, foreground
and background colour, a few clutter lines in other colours and pixel noise, so that a
linear model cannot solve it while a small CNN learns it in a few epochs.

Drawing works on whole groups of images at once: one coordinate grid, per-image affine
transform into the shape's own frame, then a per-class inside/outside test (a signed
distance or polar inequality), blended with a soft edge. Deterministic for a given seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from cnnviz.data.catalog import SHAPE_CLASSES

_CHUNK_PIXELS = 1 << 20  # pixels per drawing step (256 images at 64×64): temporaries stay in cache


def _ngon(u: Tensor, v: Tensor, n: int, apothem: float) -> Tensor:
    """Signed distance-ish value (<0 inside) of a regular n-gon centred at 0."""
    r = torch.sqrt(u * u + v * v)
    th = torch.atan2(v, u) + math.pi / 2  # a vertex points "up" in the shape's frame
    sector = 2 * math.pi / n
    a = torch.remainder(th, sector) - sector / 2
    return r * torch.cos(a) - apothem


def _circle(u: Tensor, v: Tensor) -> Tensor:
    return torch.sqrt(u * u + v * v) - 0.85


def _square(u: Tensor, v: Tensor) -> Tensor:
    return torch.maximum(u.abs(), v.abs()) - 0.7


def _triangle(u: Tensor, v: Tensor) -> Tensor:
    return _ngon(u, v + 0.15, 3, 0.5)


def _cross(u: Tensor, v: Tensor) -> Tensor:
    arm_h = torch.maximum(u.abs() - 0.9, v.abs() - 0.27)
    arm_v = torch.maximum(v.abs() - 0.9, u.abs() - 0.27)
    return torch.minimum(arm_h, arm_v)


def _star(u: Tensor, v: Tensor) -> Tensor:
    # five-pointed star polygon: fold every point into the half-wedge next to a tip, then
    # take the signed distance to the one edge running from that tip to the next valley
    r = torch.sqrt(u * u + v * v)
    th = torch.atan2(v, u) + math.pi / 2
    a = (torch.remainder(th, _STAR_SECTOR) - _STAR_SECTOR / 2).abs()  # 0 at a tip
    a = _STAR_SECTOR / 2 - a
    px, py = r * torch.cos(a), r * torch.sin(a)
    return (px - _STAR_TIP) * _STAR_N[0] + py * _STAR_N[1]


_STAR_SECTOR = 2 * math.pi / 5
_STAR_TIP, _STAR_VALLEY = 0.98, 0.42


def _star_normal() -> tuple[float, float]:
    vx = _STAR_VALLEY * math.cos(_STAR_SECTOR / 2) - _STAR_TIP
    vy = _STAR_VALLEY * math.sin(_STAR_SECTOR / 2)
    length = math.hypot(vx, vy)
    return (vy / length, -vx / length)  # perpendicular, pointing away from the centre


_STAR_N = _star_normal()


def _ring(u: Tensor, v: Tensor) -> Tensor:
    return (torch.sqrt(u * u + v * v) - 0.65).abs() - 0.22


def _hexagon(u: Tensor, v: Tensor) -> Tensor:
    return _ngon(u, v, 6, 0.78)


def _heart(u: Tensor, v: Tensor) -> Tensor:
    # a square standing on its corner plus two circles on its upper sides (y points up)
    x, y = u, -v
    diamond = (x.abs() + (y + 0.12).abs() - 0.78) * math.sqrt(0.5)
    lobes = torch.sqrt((x.abs() - 0.39) ** 2 + (y - 0.27) ** 2) - 0.55
    return torch.minimum(diamond, lobes)


def _crescent(u: Tensor, v: Tensor) -> Tensor:
    outer = torch.sqrt(u * u + v * v) - 0.88
    inner = torch.sqrt((u - 0.42) ** 2 + v * v) - 0.7
    return torch.maximum(outer, -inner)


def _arrow(u: Tensor, v: Tensor) -> Tensor:
    shaft = torch.maximum((u + 0.35).abs() - 0.6, v.abs() - 0.17)
    head = torch.maximum(-(u - 0.2), v.abs() - (0.95 - u) * 0.75)  # tip at u=0.95
    return torch.minimum(shaft, torch.maximum(head, u - 0.95))


_DRAW: tuple[Callable[[Tensor, Tensor], Tensor], ...] = (
    _circle,
    _square,
    _triangle,
    _cross,
    _star,
    _ring,
    _hexagon,
    _heart,
    _crescent,
    _arrow,
)


def _colours(n: int, g: torch.Generator) -> tuple[Tensor, Tensor]:
    """Background and foreground RGB in 0..1 whose luminance differs by at least 0.3."""
    bg = torch.rand(n, 3, generator=g)
    fg = torch.rand(n, 3, generator=g)
    w = torch.tensor([0.299, 0.587, 0.114])
    lum_bg, lum_fg = bg @ w, fg @ w
    diff = lum_fg - lum_bg
    sign = torch.ones_like(diff) if _LIGHT_ON_DARK else torch.where(diff >= 0, 1.0, -1.0)
    push = sign * (_CONTRAST - sign * diff).clamp(min=0)
    fg = fg + push[:, None]
    # pushing may leave 0..1: shift the whole colour pair back into range
    over = (fg.amax(1) - 1).clamp(min=0)
    under = (-fg.amin(1)).clamp(min=0)
    shift = under - over
    return (bg + shift[:, None]).clamp(0, 1), (fg + shift[:, None]).clamp(0, 1)


def _draw_chunk(labels: Tensor, size: int, g: torch.Generator, noise: Tensor) -> Tensor:
    """Float images [n, 3, size, size] in 0..1 for the given labels."""
    n = labels.numel()
    lin = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2 - 1  # pixel centres in -1..1
    xx = lin.view(1, 1, size)  # broadcasts to (n, H, W)
    yy = lin.view(1, size, 1)
    px = 2.0 / size  # one pixel in grid units

    bg, fg = _colours(n, g)
    # background: a gentle linear gradient of the background colour
    gdir = (torch.rand(n, 2, 1, 1, generator=g) * 2 - 1) * 0.15
    ramp = 1 + gdir[:, 0] * xx + gdir[:, 1] * yy  # (n, H, W)
    img = bg[:, :, None, None] * ramp[:, None]  # (n, 3, H, W)

    # clutter: thin line segments in two random colours behind the shape (lines k and
    # k+2 share a colour: one blend per colour keeps the 3-channel work small)
    cover = [torch.zeros(n, size, size), torch.zeros(n, size, size)]
    for k in range(_LINES):
        centre = torch.rand(n, 2, 1, 1, generator=g) * 2 - 1
        ang = torch.rand(n, 1, 1, generator=g) * math.pi
        half = 0.3 + torch.rand(n, 1, 1, generator=g) * 0.9
        width = 0.5 + torch.rand(n, 1, 1, generator=g) * 0.7  # in pixels
        on = torch.rand(n, 1, 1, generator=g) < (1.0 if k < _LINES_ALWAYS else 0.5)
        width = torch.where(on, width + 0.5, -1.0)  # soft edge: coverage = width + ½ - distance
        ca, sa = torch.cos(ang) / px, torch.sin(ang) / px
        dx, dy = xx - centre[:, 0], yy - centre[:, 1]  # (n, 1, W) and (n, H, 1)
        across = (dx * sa - dy * ca).abs_()  # distance from the line, in pixels
        alpha = (width - across).clamp_(0, 1)
        alpha.masked_fill_((dx * ca + dy * sa).abs_() > half / px, 0)  # beyond the segment's ends
        torch.maximum(cover[k % 2], alpha, out=cover[k % 2])
    for a in cover:
        col = torch.rand(n, 3, 1, 1, generator=g)
        img.lerp_(col.expand_as(img), a[:, None])

    # the shape: scale, rotation and position in grid units
    lo, hi = _SCALE
    scale = lo + torch.rand(n, generator=g) * (
        hi - lo
    )  # half-size, as a fraction of half the image
    angle = (torch.rand(n, generator=g) * 2 - 1) * _ROTATION
    margin = (1 - scale * 0.95) * _SHIFT
    cx = (torch.rand(n, generator=g) * 2 - 1) * margin
    cy = (torch.rand(n, generator=g) * 2 - 1) * margin
    cos, sin = torch.cos(angle), torch.sin(angle)

    alpha = torch.empty(n, size, size)
    for c, draw in enumerate(_DRAW):
        idx = (labels == c).nonzero().squeeze(1)
        if idx.numel() == 0:
            continue
        s = scale[idx].view(-1, 1, 1)
        xs = (xx - cx[idx].view(-1, 1, 1)) / s  # (k, 1, W)
        ys = (yy - cy[idx].view(-1, 1, 1)) / s  # (k, H, 1)
        co, si = cos[idx].view(-1, 1, 1), sin[idx].view(-1, 1, 1)
        u = co * xs + si * ys  # (k, H, W): the shape's own frame
        v = co * ys - si * xs
        sd = draw(u, v)  # < 0 inside, in shape units
        alpha[idx] = (0.5 - sd * (s / px)).clamp_(0, 1)
    img.lerp_(fg[:, :, None, None].expand_as(img), alpha[:, None])

    # grain, the same in each channel: one of a bank of noise fields (drawing fresh normal
    # numbers for every pixel was the slowest step), flipped at random
    pick = torch.randint(0, len(noise), (n,), generator=g)
    grain = noise[pick]
    grain = torch.where(torch.rand(n, 1, 1, 1, generator=g) < 0.5, grain, grain.flip(-1))
    img += grain
    return img.clamp_(0, 1)


_LINES = 2  # clutter lines per image at most
_LINES_ALWAYS = 1  # the first ones are always drawn, the others half the time
_SCALE = (0.5, 0.8)  # shape half-size range, as a fraction of half the image
_ROTATION = math.pi  # shapes are turned by up to ± this angle (any angle)
_LIGHT_ON_DARK = True  # True: the shape is always lighter than the background
_CONTRAST = 0.45  # least luminance difference between shape and background
_SHIFT = 0.5  # how far from the centre a shape may sit, as a fraction of the room left
_NOISE_BANK = 256  # distinct noise fields per call
_NOISE = 0.06  # standard deviation of the pixel noise, in 0..1 units


def make_shapes(
    n: int, *, size: int = 64, channels: int = 3, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """``n`` Shapes images as uint8 ``[n, channels, size, size]`` and int64 labels ``[n]``.

    Classes are balanced exactly (counts differ by at most one) and shuffled. The same
    ``(n, size, channels, seed)`` always gives the same tensors. ``channels`` is 1
    (greyscale, luminance) or 3 (RGB).
    """
    if n < 0:
        raise ValueError(f"number of images must be ≥ 0, got {n}")
    if channels not in (1, 3):
        raise ValueError(f"Shapes has 1 (greyscale) or 3 (RGB) channels, not {channels}")
    if not 8 <= size <= 256:
        raise ValueError(f"Shapes image size must be between 8 and 256 pixels, got {size}")
    g = torch.Generator().manual_seed(int(seed))
    k = len(SHAPE_CLASSES)
    labels = (torch.arange(n) % k)[torch.randperm(n, generator=g)]
    out = torch.empty(n, channels, size, size, dtype=torch.uint8)
    lum = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    step = max(1, _CHUNK_PIXELS // (size * size))
    noise = torch.randn(min(n, _NOISE_BANK), 1, size, size, generator=g).mul_(_NOISE)
    for start in range(0, n, step):
        chunk = _draw_chunk(labels[start : start + step], size, g, noise)
        if channels == 1:
            chunk = (chunk * lum).sum(1, keepdim=True)
        out[start : start + step] = (
            chunk.mul_(255).add_(0.5).to(torch.uint8)
        )  # rounds: values are ≥ 0
    return out, labels
