"""Plotly figures of what a network learned (no streamlit): conv filters, kernels, weight histograms.

Re-exported by ``cnnviz.plots.inspect``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import torch

from cnnviz.plots.inspect.tiles import _grid, _image_axes, _np, _shown, _tile
from cnnviz.text.escape import for_plotly

MAX_FILTERS = 64  # first-layer filters drawn
MAX_KERNELS = 16  # filters (rows) and input channels (columns) in the kernel grid
WEIGHT_SCALE = "RdBu"  # diverging: negative weights red, positive blue, 0 white


def _weights_heatmap(z: np.ndarray, custom: np.ndarray, m: float, hover: str) -> go.Heatmap:
    """Weights on a diverging scale centred on 0 (blue negative, red positive), ±m at the ends."""
    return go.Heatmap(
        z=z,
        customdata=custom,
        colorscale=WEIGHT_SCALE,
        zmid=0,
        zmin=-m,
        zmax=m,
        hoverongaps=False,
        hovertemplate=hover,
    )


def filters_figure(
    weight: Any, *, title: str = "", rgb: bool | None = None, max_filters: int = MAX_FILTERS
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
    head = f"{for_plotly(title)} · " if title else ""
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
            _weights_heatmap(z, which, m, "filter %{customdata}<br>weight %{z:.4g}<extra></extra>")
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
        _weights_heatmap(
            z,
            custom,
            m,
            "filter %{customdata[0]}, input channel %{customdata[1]}<br>weight %{z:.4g}<extra></extra>",
        )
    )
    _image_axes(fig)
    head = f"{for_plotly(title)} · " if title else ""
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
        title=f"{for_plotly(title)} · {v.size:,} weights, mean {v.mean():.3g}, std {v.std():.3g}".lstrip(
            " ·"
        ),
        height=240,
        bargap=0,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title="weight",
        yaxis_title="count",
        meta={"panels": 1, "count": int(v.size)},
    )
    return fig


def weight_histograms(model: torch.nn.Module, *, bins: int = 50) -> list[tuple[str, go.Figure]]:
    """(layer name, histogram) for each layer that has a weight (Conv2d, Linear, BatchNorm2d),
    those inside blocks included ("Layer 5.2 · Conv2d")."""
    from cnnviz.inspect.capture import layer_module, layer_paths

    out = []
    for path in layer_paths(model):
        m = layer_module(model, path)
        wt = getattr(m, "weight", None)
        if isinstance(wt, torch.Tensor):
            label = ".".join(str(int(p) + 1) for p in path.split("."))
            name = f"Layer {label} · {type(m).__name__}"  # numbered from 1, as on Design
            out.append((name, weight_histogram(wt, title=name, bins=bins)))
    return out
