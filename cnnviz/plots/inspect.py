"""Plotly figures for looking inside a network (no streamlit): feature maps, filters, weights.

Figures for predictions, the confusion matrix, mistakes and Grad-CAM live in
``cnnviz.plots.inspect_results`` and are re-exported here, so pages import one module.

Feature maps are drawn as ONE tiled heatmap (channels side by side with NaN gaps
between them), not one subplot per channel: 64 maps build and serialise several
times faster that way (see bench/inspect.py). Each figure's ``layout.meta`` holds
facts the page and tests read: ``{"panels": shown, "channels": total, "shape": [...], ...}``;
hovering a pixel shows its channel, row, column and value.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

import numpy as np
import plotly.graph_objects as go
import torch

from cnnviz.plots.inspect_results import (  # noqa: F401  (re-exported)
    confusion_figure,
    gallery,
    gradcam_figure,
    overlay,
    probabilities_figure,
    selected_cell,
    to_display,
)

MAX_MAPS = 64  # feature maps drawn per layer
MAX_HOVER_POSITIONS = 65_536  # tiled pixels up to which hover also names row and column
MAX_CANVAS = 400_000  # pixels sent per figure; bigger layers are shown with k×k blocks averaged
MAX_KERNELS = 16  # filters (rows) and input channels (columns) in the kernel grid
MAP_SCALE = "Viridis"
WEIGHT_SCALE = "RdBu"  # diverging: negative weights red, positive blue, 0 white


class Scale(StrEnum):
    PER_MAP = "per map"  # each map stretched over the full colour range (structure)
    SHARED = "shared"  # one colour scale for the layer (which maps are strong)


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
    return f"showing {cap} of {total} {what}" if total > cap else f"{total} {what}"


def feature_maps_figure(
    activation: Any,
    *,
    title: str = "",
    scale: Scale | str = Scale.PER_MAP,
    max_maps: int = MAX_MAPS,
    cols: int | None = None,
) -> go.Figure:
    """A grid of a layer's feature maps, one tile per channel, as a single heatmap.

    ``activation``: [C, H, W] or [1, C, H, W] (one image's layer output). ``scale``: "per map"
    (each tile uses the whole colour range) or "shared" (one range for the layer, so strong and
    weak maps can be compared). Title: the layer name, its shape and how many maps are shown.
    """
    a = _np(activation)
    if a.ndim == 4:
        a = a[0]
    if a.ndim != 3:
        raise ValueError(f"feature maps are [C, H, W], got shape {list(a.shape)}")
    c, full_h, full_w = a.shape
    n = min(c, max_maps)
    maps, k = _shrink(a[:n], MAX_CANVAS)
    h, w = maps.shape[1:]
    scale = Scale(scale)
    if scale is Scale.PER_MAP:
        lo = maps.min(axis=(1, 2), keepdims=True)
        hi = maps.max(axis=(1, 2), keepdims=True)
        shown = (maps - lo) / np.where(hi > lo, hi - lo, 1.0)
        zmin, zmax, cbar = 0.0, 1.0, "low → high<br>(per map)"
    else:
        shown = maps
        zmin, zmax, cbar = float(maps.min()), float(maps.max()), "value"
        if zmax <= zmin:
            zmax = zmin + 1.0
    rows, cols = _grid(n, cols)
    gap = max(1, min(h, w) // 16)
    z, which = _tile(shown, cols, gap)
    raw, _ = _tile(maps, cols, gap)
    value = "%{z:.4g}" if scale is Scale.SHARED else "%{customdata[VALUE]:.4g}"
    if z.size <= MAX_HOVER_POSITIONS:  # hover names channel, row, column and value
        yy, xx = np.indices(z.shape)
        parts = [which, (yy % (h + gap)) * k, (xx % (w + gap)) * k]
        hover = "channel %{customdata[0]}<br>row %{customdata[1]}, column %{customdata[2]}"
    else:  # big layers: less data for the browser (channel and value only)
        parts = [which]
        hover = "channel %{customdata[0]}"
    if scale is Scale.PER_MAP:  # z holds 0..1 per map: the raw value rides along
        value = value.replace("VALUE", str(len(parts)))
        parts.append(np.nan_to_num(raw))
    hover += f"<br>value {value}<extra></extra>"
    custom = np.stack(parts, axis=-1)
    custom = custom.astype(
        np.float32 if scale is Scale.PER_MAP else np.int16
    )  # int16: half the bytes
    shape = [1, c, full_h, full_w]
    head = f"{title} · " if title else ""
    text = f"{head}output [{c}, {full_h}, {full_w}] · {_shown(c, n, 'feature maps')}"
    if k > 1:
        text += f" · drawn at 1/{k} size ({k}×{k} blocks averaged)"
    fig = go.Figure(
        go.Heatmap(
            z=z,
            customdata=custom,
            colorscale=MAP_SCALE,
            zmin=zmin,
            zmax=zmax,
            hoverongaps=False,
            colorbar={"title": {"text": cbar}, "thickness": 12},
            hovertemplate=hover,
        )
    )
    _image_axes(fig)
    tile_px = max(24, min(96, 640 // cols))
    fig.update_layout(
        title={"text": text, "font": {"size": 14}},
        height=min(1100, 80 + rows * tile_px + 20),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        meta={
            "panels": n,
            "channels": c,
            "shape": shape,
            "block": k,
            "grid": [rows, cols],
            "scale": str(scale),
        },
    )
    return fig


def channel_figure(fmap: Any, *, title: str = "", values: bool | None = None) -> go.Figure:
    """One feature map large, with its values on hover (and printed in the cells when small)."""
    full = _np(fmap)
    full = full.reshape(full.shape[-2:]) if full.ndim > 2 else full
    small, k = _shrink(full[None], MAX_CANVAS // 4)
    a = small[0]
    h, w = full.shape
    show = (values if values is not None else h * w <= 20 * 20) and k == 1
    fig = go.Figure(
        go.Heatmap(
            z=a,
            colorscale=MAP_SCALE,
            texttemplate="%{z:.2f}" if show else None,
            textfont={"size": 9},
            x0=0,
            dx=k,
            y0=0,
            dy=k,
            hovertemplate="row %{y}, column %{x}<br>value %{z:.4g}<extra></extra>",
        )
    )
    _image_axes(fig)
    drawn = f" · drawn at 1/{k} size ({k}×{k} blocks averaged)" if k > 1 else ""
    stats = f"min {full.min():.3g}, max {full.max():.3g}, mean {full.mean():.3g}"
    fig.update_layout(
        title=f"{title} · {h}×{w}, {stats}{drawn}".lstrip(" ·"),
        height=min(700, 120 + 16 * a.shape[0] + (14 * h if show else 0)),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        meta={"panels": 1, "shape": [h, w]},
    )
    return fig


def vector_figure(values: Any, *, title: str = "", names: list[str] | None = None) -> go.Figure:
    """A Linear (or Flatten) output as a bar strip: one bar per feature / neuron."""
    v = _np(values).reshape(-1)
    x = names if names is not None and len(names) == v.size else list(range(v.size))
    fig = go.Figure(
        go.Bar(
            x=x,
            y=v,
            marker_color=np.where(v >= 0, "#1f77b4", "#d62728").tolist(),
            hovertemplate="%{x}: %{y:.4g}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{title} · output [{v.size}]".lstrip(" ·"),
        height=260,
        bargap=0.05 if v.size > 50 else 0.2,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title="class" if names else "neuron",
        yaxis_title="value",
        meta={"panels": 1, "shape": [v.size]},
    )
    return fig


def filters_figure(
    weight: Any, *, title: str = "", rgb: bool | None = None, max_filters: int = MAX_MAPS
) -> go.Figure:
    """A first conv layer's kernels as small images, one per filter.

    ``weight`` [O, I, kh, kw]. With 3 input channels (``rgb`` None or True) each filter is
    shown in colour, stretched to 0..1 on its own. Otherwise each filter is one diverging
    map (red < 0 < blue, one scale for the layer; the mean over input channels when I > 1:
    use ``kernels_figure`` to see every input channel).
    """
    w = _np(weight)
    if w.ndim != 4:
        raise ValueError(f"conv weights are [out, in, kh, kw], got shape {list(w.shape)}")
    o, i, kh, kw = w.shape
    n = min(o, max_filters)
    rows, cols = _grid(n, None)
    head = f"{title} · " if title else ""
    text = f"{head}weights [{o}, {i}, {kh}, {kw}] · {_shown(o, n, 'filters')}"
    if (rgb is None and i == 3) or (rgb and i == 3):
        f = w[:n].transpose(0, 2, 3, 1)  # (N, kh, kw, 3)
        lo = f.min(axis=(1, 2, 3), keepdims=True)
        hi = f.max(axis=(1, 2, 3), keepdims=True)
        f = (f - lo) / np.where(hi > lo, hi - lo, 1.0)
        canvas = np.ones((rows * (kh + 1) - 1, cols * (kw + 1) - 1, 3), np.float32)
        for k in range(n):
            r, c = divmod(k, cols)
            canvas[r * (kh + 1) : r * (kh + 1) + kh, c * (kw + 1) : c * (kw + 1) + kw] = f[k]
        fig = go.Figure(go.Image(z=np.uint8(np.rint(canvas * 255)), hoverinfo="skip"))
        mode = "colour (each filter stretched to 0..1)"
    else:
        maps = w[:n].mean(axis=1) if i > 1 else w[:n, 0]  # several inputs: their mean
        z, which = _tile(maps, cols, 1)
        m = float(np.abs(maps).max()) or 1.0
        fig = go.Figure(
            go.Heatmap(
                z=z,
                customdata=which,
                colorscale=WEIGHT_SCALE,
                zmid=0,
                zmin=-m,
                zmax=m,
                hoverongaps=False,
                hovertemplate="filter %{customdata}<br>weight %{z:.4g}<extra></extra>",
            )
        )
        mode = "red < 0 < blue" + (" (mean over input channels)" if i > 1 else "")
    _image_axes(fig)
    fig.update_layout(
        title={"text": f"{text} · {mode}", "font": {"size": 14}},
        height=min(900, 80 + rows * max(28, 560 // cols)),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        meta={"panels": n, "channels": o, "shape": [o, i, kh, kw], "grid": [rows, cols]},
    )
    return fig


def kernels_figure(
    weight: Any,
    *,
    title: str = "",
    out_channels: list[int] | None = None,
    max_out: int = MAX_KERNELS,
    max_in: int = MAX_KERNELS,
) -> go.Figure:
    """A deeper conv layer's kernels per input channel: row = filter, column = input channel.

    One diverging colour scale for the layer (red < 0 < blue). Large layers show the first
    ``max_out`` filters × ``max_in`` input channels (or the chosen ``out_channels``).
    """
    w = _np(weight)
    if w.ndim != 4:
        raise ValueError(f"conv weights are [out, in, kh, kw], got shape {list(w.shape)}")
    o, i, kh, kw = w.shape
    rows_idx = list(out_channels) if out_channels else list(range(min(o, max_out)))
    n_in = min(i, max_in)
    sel = w[rows_idx, :n_in]  # (R, n_in, kh, kw)
    z, which = _tile(sel.reshape(-1, kh, kw), n_in, 1)
    m = float(np.abs(sel).max()) or 1.0
    r_of = np.where(which >= 0, np.asarray(rows_idx)[which // n_in], -1)
    custom = np.stack([r_of, np.where(which >= 0, which % n_in, -1)], axis=-1)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            customdata=custom,
            colorscale=WEIGHT_SCALE,
            zmid=0,
            zmin=-m,
            zmax=m,
            hoverongaps=False,
            hovertemplate="filter %{customdata[0]}, input channel %{customdata[1]}"
            "<br>weight %{z:.4g}<extra></extra>",
        )
    )
    _image_axes(fig)
    head = f"{title} · " if title else ""
    fig.update_layout(
        title={
            "text": f"{head}weights [{o}, {i}, {kh}, {kw}] · rows: {_shown(o, len(rows_idx), 'filters')}, "
            f"columns: {_shown(i, n_in, 'input channels')}",
            "font": {"size": 14},
        },
        height=min(900, 80 + len(rows_idx) * max(22, 600 // max(n_in, 1))),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        meta={
            "panels": len(rows_idx) * n_in,
            "grid": [len(rows_idx), n_in],
            "shape": [o, i, kh, kw],
        },
    )
    return fig


def weight_histogram(weight: Any, *, title: str = "", bins: int = 50) -> go.Figure:
    """How a layer's weights are spread: counts per bin (computed here, so the figure stays small)."""
    v = _np(weight).reshape(-1)
    counts, edges = np.histogram(v, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(
        go.Bar(
            x=centres,
            y=counts,
            width=float(edges[1] - edges[0]),
            marker_color="#636efa",
            hovertemplate="%{x:.3g}: %{y} weights<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{title} · {v.size:,} weights, mean {v.mean():.3g}, std {v.std():.3g}".lstrip(" ·"),
        height=240,
        bargap=0,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title="weight",
        yaxis_title="count",
        meta={"panels": 1, "count": int(v.size)},
    )
    return fig


def weight_histograms(model: torch.nn.Module, *, bins: int = 50) -> list[tuple[str, go.Figure]]:
    """(layer name, histogram) for each child layer that has a weight (Conv2d, Linear, BatchNorm2d)."""
    out = []
    for idx, m in enumerate(model.children()):
        wt = getattr(m, "weight", None)
        if isinstance(wt, torch.Tensor):
            name = f"{idx} {type(m).__name__}"
            out.append((name, weight_histogram(wt, title=name, bins=bins)))
    return out
