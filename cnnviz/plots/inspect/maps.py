"""Plotly figures for looking inside a network (no streamlit): feature maps, one map, vectors.

Figures for weights (filters, kernels, histograms) live in ``inspect_weights``, those for
predictions, the confusion matrix, mistakes and Grad-CAM in ``inspect_results``; both are
re-exported here, so pages import one module.

Feature maps are drawn as ONE tiled heatmap (channels side by side with NaN gaps
between them), not one subplot per channel: 64 maps build and serialise several
times faster that way (see bench/inspection.py). Each figure's ``layout.meta`` holds
facts the page and tests read: ``{"panels": shown, "channels": total, "shape": [...], ...}``;
hovering a pixel shows its channel, row, column and value.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np
import plotly.graph_objects as go

from cnnviz.plots.inspect.tiles import _grid, _image_axes, _np, _shown, _shrink, _tile
from cnnviz.text.escape import for_plotly

MAX_MAPS = 64  # feature maps drawn per layer
MAX_HOVER_POSITIONS = 65_536  # tiled pixels up to which hover also names row and column
MAX_CANVAS = 400_000  # pixels sent per figure; bigger layers are shown with k×k blocks averaged
MAX_BARS = 256  # longer vectors are drawn as a strip
MAP_SCALE = "Viridis"


class Scale(StrEnum):
    PER_MAP = "per map"  # each map stretched over the full colour range (structure)
    SHARED = "shared"  # one colour scale for the layer (which maps are strong)


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
    head = f"{for_plotly(title)} · " if title else ""
    text = f"{head}output [{c}, {full_h}, {full_w}] · {_shown(c, n, 'feature maps')}"
    if k > 1:
        text += f" · drawn at 1/{k} size ({k}×{k} blocks averaged)"
    flat = maps.reshape(n, -1)
    still = flat.max(1) == flat.min(1)  # constant maps, e.g. ReLU channels that never fire
    constant = int(still.sum())
    if constant:
        zero = bool((flat[still] == 0).all())
        text += f" · {constant} of {n} constant" + (" (all 0)" if zero else "")
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
            "constant": constant,
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
        title=f"{for_plotly(title)} · {h}×{w}, {stats}{drawn}".lstrip(" ·"),
        height=min(700, 120 + 16 * a.shape[0] + (14 * h if show else 0)),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        meta={"panels": 1, "shape": [h, w]},
    )
    return fig


def vector_figure(
    values: Any,
    *,
    title: str = "",
    names: list[str] | None = None,
    max_bars: int = MAX_BARS,
    value_label: str = "value",
) -> go.Figure:
    """A Linear (or Flatten) output as a bar strip: one bar per feature / neuron.

    ``value_label``: the bars' axis title, e.g. "logit (raw score)" for the final Linear.

    Longer vectors (a Flatten of thousands of values) become one coloured strip instead
    (red < 0 < blue), which stays light and readable.
    """
    v = _np(values).reshape(-1)
    x = (
        [for_plotly(n) for n in names]
        if names is not None and len(names) == v.size
        else list(range(v.size))
    )
    what = "class" if names and len(names) == v.size else "neuron"
    if v.size <= max_bars:
        trace: go.Bar | go.Heatmap = go.Bar(
            x=x,
            y=v,
            marker_color=np.where(v >= 0, "#1f77b4", "#d62728").tolist(),
            hovertemplate="%{x}: %{y:.4g}<extra></extra>",
        )
        height, kind = 260, ""
    else:
        m = float(np.abs(v).max()) or 1.0
        trace = go.Heatmap(
            z=v[None],
            colorscale="RdBu",
            zmid=0,
            zmin=-m,
            zmax=m,
            hovertemplate=f"{what} %{{x}}: %{{z:.4g}}<extra></extra>",
            colorbar={"thickness": 10},
        )
        height, kind = 150, " · as a strip (red < 0 < blue)"
    fig = go.Figure(trace)
    fig.update_layout(
        title=f"{for_plotly(title)} · output [{v.size}]{kind}".lstrip(" ·"),
        height=height,
        bargap=0.05 if v.size > 50 else 0.2,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title=what,
        yaxis_title=value_label if v.size <= max_bars else None,
        meta={"panels": 1, "shape": [v.size]},
    )
    if v.size > max_bars:
        fig.update_yaxes(visible=False)
    return fig
