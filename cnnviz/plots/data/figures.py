"""Figures for "look at the data" (Plotly only, no streamlit): samples, class counts, pixel
histograms before/after normalization, one mini-batch as an image grid.

Images are tiled into one picture (one ``go.Image`` trace), so a grid of 100 samples is
one light figure, not 100 subplots. Labels are drawn as annotations under each tile.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from torch import Tensor

from cnnviz.text.escape import for_plotly

CHANNEL_COLOURS = {1: ("#444444",), 3: ("#d62728", "#2ca02c", "#1f77b4")}
CHANNEL_NAMES = {1: ("grey",), 3: ("red", "green", "blue")}
_AFFINE_CHECK = 200_000  # pixels per channel checked for "normalization is x·a + b"
SPLIT_COLOURS = {"train": "#1f77b4", "validation": "#ff7f0e", "test": "#2ca02c"}


def to_display(x: Tensor) -> Tensor:
    """uint8 images for display: uint8 as is; floats (e.g. normalized) min-max scaled to 0..255."""
    if x.dtype == torch.uint8:
        return x
    x = x.detach().float().cpu()
    lo, hi = x.amin(), x.amax()
    return ((x - lo) / (hi - lo).clamp(min=1e-8) * 255).round().to(torch.uint8)


def tile(images: Tensor, ncols: int, *, pad: int = 2, scale: int = 1, band: int = 0) -> np.ndarray:
    """``[N, C, H, W]`` images → one ``[rows·(H+band+pad)+pad, ncols·(W+pad)+pad, 3]`` uint8
    picture on white; ``band`` leaves room under each tile for a caption."""
    x = to_display(images)
    n, c, h, w = x.shape
    if scale > 1:
        x = x.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)
        h, w = h * scale, w * scale
    if c == 1:
        x = x.expand(-1, 3, -1, -1)
    rows = max(1, -(-n // ncols))
    canvas = torch.full(
        (rows * (h + band + pad) + pad, ncols * (w + pad) + pad, 3), 255, dtype=torch.uint8
    )
    for i in range(n):
        r, k = divmod(i, ncols)
        y0, x0 = pad + r * (h + band + pad), pad + k * (w + pad)
        canvas[y0 : y0 + h, x0 : x0 + w] = x[i, :3].permute(1, 2, 0)
    return canvas.numpy()


def _upscale(h: int) -> int:
    return max(1, 64 // max(h, 1))  # small images (28×28) get bigger pixels so labels fit


def image_grid(
    images: Tensor,
    labels: Sequence[str] | None = None,
    *,
    ncols: int = 8,
    title: str = "",
    label_colours: Sequence[str] | None = None,
) -> go.Figure:
    """A grid of images with a caption under each one (e.g. its class name)."""
    n, _, h, w = images.shape
    s = _upscale(h)
    pad = 2
    band = 18 if labels is not None else 0  # room under each tile for its caption
    pic = tile(images, ncols, pad=pad, scale=s, band=band)
    # One list of annotations: add_annotation in a loop re-validates the layout each call
    # (seconds for a 60-image grid).
    notes = [
        {
            "x": pad + k * (w * s + pad) + w * s / 2,
            "y": pad + r * (h * s + band + pad) + h * s + band / 2,
            "text": for_plotly(text),
            "showarrow": False,
            "font": {"size": 11, "color": label_colours[i] if label_colours else "#222"},
        }
        for i, text in enumerate(labels[:n] if labels is not None else [])
        for r, k in [divmod(i, ncols)]
    ]
    fig = go.Figure(go.Image(z=pic, hoverinfo="skip"), layout={"annotations": notes})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(
        title=for_plotly(title) or None,
        margin={"l": 0, "r": 0, "t": 30 if title else 0, "b": 0},
        height=min(
            900, int(pic.shape[0] * max(1.0, 560 / max(pic.shape[1], 1))) + (30 if title else 0)
        ),
    )
    return fig


def sample_grid(
    x: Tensor, y: Tensor, classes: Sequence[str], *, per_class: int = 6, seed: int = 0
) -> go.Figure:
    """``per_class`` random samples of every class, one row per class, labelled."""
    g = torch.Generator().manual_seed(seed)
    picks, names = [], []
    for c, name in enumerate(classes):
        idx = (y == c).nonzero().squeeze(1)
        idx = idx[torch.randperm(len(idx), generator=g)[:per_class]]
        picks.append(idx)
        names += [name] * len(idx)
        missing = per_class - len(idx)
        if missing > 0:  # keep rows aligned when a class has few images
            picks.append(torch.full((missing,), -1, dtype=torch.long))
            names += [""] * missing
    order = torch.cat(picks) if picks else torch.zeros(0, dtype=torch.long)
    blank = torch.full((1, *x.shape[1:]), 255, dtype=torch.uint8)
    imgs = torch.cat([x, blank])[order.clamp(min=-1)]  # -1 picks the blank tile
    return image_grid(imgs, names, ncols=per_class, title=f"{per_class} random samples per class")


def class_counts(classes: Sequence[str], splits: dict[str, Tensor]) -> go.Figure:
    """Bar chart: images per class in each split (``{"train": y, "validation": y, "test": y}``)."""
    fig = go.Figure()
    for split, y in splits.items():
        if y is None or len(y) == 0:
            continue
        counts = torch.bincount(y.cpu(), minlength=len(classes))[: len(classes)].tolist()
        fig.add_bar(
            x=[for_plotly(c) for c in classes],
            y=counts,
            name=f"{split} ({len(y):,})",
            marker_color=SPLIT_COLOURS.get(split),
        )
    fig.update_layout(
        barmode="group",
        title="Images per class",
        xaxis_title="class",
        yaxis_title="images",
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
        height=320,
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def channel_stats(x: Tensor) -> list[dict]:
    """Per channel: min, max, mean, std of a float or uint8 tensor ``[N, C, H, W]``."""
    xf = x.detach().float().cpu()
    return [
        {
            "channel": CHANNEL_NAMES.get(xf.shape[1], tuple(str(i) for i in range(xf.shape[1])))[c],
            "min": xf[:, c].min().item(),
            "max": xf[:, c].max().item(),
            "mean": xf[:, c].mean().item(),
            "std": xf[:, c].std().item(),
        }
        for c in range(xf.shape[1])
    ]


def _affine(raw: Tensor, fed: Tensor) -> tuple[float | None, float | None]:
    """``(a, b)`` with ``fed = raw·a + b`` for every pixel, or ``(None, None)``."""
    raw, fed = raw.flatten(), fed.flatten()
    lo_i, hi_i = int(raw.argmin()), int(raw.argmax())
    r_lo, r_hi = raw[lo_i].item(), raw[hi_i].item()
    f_lo, f_hi = fed[lo_i].item(), fed[hi_i].item()
    a = (f_hi - f_lo) / (r_hi - r_lo) if r_hi > r_lo else 1.0
    b = f_lo - a * r_lo
    # checked on an even spread of at most _AFFINE_CHECK pixels (every pixel: seconds)
    step = max(1, raw.numel() // _AFFINE_CHECK)
    if not torch.allclose(raw[::step] * a + b, fed[::step], rtol=1e-4, atol=1e-4):
        return None, None
    return a, b


def _level_counts(x: Tensor, bins: int) -> Tensor:
    """How many pixels fall in each of ``bins`` equal bins of 0–256 (uint8: exact and fast)."""
    if x.dtype == torch.uint8 and 256 % bins == 0:
        return torch.bincount(x.reshape(-1), minlength=256).view(bins, -1).sum(1).float()
    return torch.histc(x.float(), bins=bins, min=0.0, max=256.0)


def pixel_histograms(
    raw: Tensor, normalized: Tensor, *, bins: int = 64, after_title: str = "after normalization"
) -> go.Figure:
    """Side by side: per-channel pixel histograms of the raw uint8 values (0–255) and the
    same images after normalization (what the network is fed)."""
    c = raw.shape[1]
    colours = CHANNEL_COLOURS.get(c, ("#444444",) * c)
    names = CHANNEL_NAMES.get(c, tuple(str(i) for i in range(c)))
    fig = make_subplots(rows=1, cols=2, subplot_titles=("raw pixels (0–255)", after_title))
    raw = raw.detach().cpu()
    r = raw.float()
    d = normalized.detach().float().cpu()
    edges = torch.linspace(0.0, 256.0, bins + 1)  # whole pixel levels per bin: no comb pattern
    centres = (edges[:-1] + edges[1:]) / 2 - 0.5
    for k in range(c):
        counts = _level_counts(raw[:, k], bins)
        share = (counts / counts.sum().clamp(min=1)).tolist()
        line = {"color": colours[k], "shape": "hvh"}
        fig.add_scatter(
            x=centres.tolist(), y=share, mode="lines", line=line,
            name=names[k], legendgroup=names[k], row=1, col=1,
        )  # fmt: skip
        # normalization is an affine map per channel (x·a + b): the same bars, moved along x
        a, b = _affine(r[:, k], d[:, k]) if d.shape == r.shape else (None, None)
        if a is not None:
            x2, y2 = (centres * a + b).tolist(), share
        else:  # not affine (or not the same images): a histogram of its own
            lo, hi = d[:, k].min().item(), max(d[:, k].max().item(), d[:, k].min().item() + 1e-6)
            e2 = torch.linspace(lo, hi, bins + 1)
            x2 = ((e2[:-1] + e2[1:]) / 2).tolist()
            c2 = torch.histc(d[:, k], bins=bins, min=lo, max=hi)
            y2 = (c2 / c2.sum().clamp(min=1)).tolist()
        fig.add_scatter(
            x=x2, y=y2, mode="lines", line=line, name=names[k], legendgroup=names[k],
            showlegend=False, row=1, col=2,
        )  # fmt: skip
    fig.update_yaxes(title_text="share of pixels", row=1, col=1)
    fig.update_xaxes(title_text="pixel value", row=1, col=1)
    fig.update_xaxes(title_text="value fed to the network", row=1, col=2)
    fig.update_layout(
        height=300,
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


def batch_grid(
    x: Tensor,
    y: Tensor,
    classes: Sequence[str],
    *,
    ncols: int = 16,
    max_images: int = 64,
    shape: tuple[int, ...] | None = None,
) -> go.Figure:
    """One mini-batch: ``[B, C, H, W]`` in the title, labels under the images.

    ``x`` may be the uint8 pictures while ``shape`` names the fed float tensor's shape.
    """
    b = x.shape[0]
    shown = x[:max_images]
    dims = shape or tuple(x.shape)
    title = f"one mini-batch: tensor of shape [{', '.join(str(int(v)) for v in dims)}] (B, C, H, W)"
    if b > max_images:
        title += f", first {max_images} shown"
    return image_grid(
        shown,
        [classes[int(i)] for i in y[:max_images]],
        ncols=min(ncols, max(1, len(shown))),
        title=title,
    )
