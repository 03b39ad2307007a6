"""Plotly figures and image arrays for what a network answers (no streamlit).

Probabilities with logits, the confusion matrix (clickable cells), the mistakes
gallery (arrays for ``st.image``) and the Grad-CAM overlay. Re-exported by
``cnnviz.plots.inspect``.

Confusion-matrix clicks: a Plotly heatmap gives Streamlit no selection
(streamlit/streamlit#8760), so ``confusion_figure`` lays an invisible marker on
every cell with ``customdata = [true, pred, count, percent of row]``; the markers
take hover (Plotly sends clicks only to traces that do), the heatmap does not.
Read a click with::

    event = st.plotly_chart(fig, on_select="rerun", selection_mode="points", key=...)
    cell = selected_cell(event)   # (true, pred) or None
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from cnnviz.text.escape import for_plotly


def _np(a: Any, dtype: Any = np.float32) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=dtype)


def _names(names: list[str] | None, k: int) -> list[str]:
    if names is not None and len(names) == k:
        return [for_plotly(n) for n in names]
    return [str(i) for i in range(k)]


def probabilities_figure(
    probs: Any,
    logits: Any,
    *,
    class_names: list[str] | None = None,
    temperature: float = 1.0,
    true_class: int | None = None,
    top: int = 20,
) -> go.Figure:
    """Softmax probabilities (left) and the logits they come from (right), one row per class.

    The predicted class is highlighted (and the true one outlined when known). The title
    shows the temperature and the probabilities' sum. With many classes the ``top`` most
    probable are shown.
    """
    p = _np(probs).reshape(-1)
    z = _np(logits).reshape(-1)
    k = p.size
    names = _names(class_names, k)
    order = np.argsort(-p, kind="stable")[:top] if k > top else np.arange(k)
    pred = int(p.argmax())
    colours = ["#ef553b" if i == pred else "#636efa" for i in order]
    lines = [2.5 if true_class is not None and i == true_class else 0 for i in order]
    ylab = [names[i] for i in order]
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=("probability = softmax(logits / T)", "logit (last Linear's output)"),
    )
    fig.add_trace(
        go.Bar(
            x=p[order],
            y=ylab,
            orientation="h",
            marker={"color": colours, "line": {"width": lines, "color": "#00cc96"}},
            # every bar from 1% up is labelled, the same way: inside (white) on a long bar,
            # just outside on a short one; none below 1% (they would read as clutter)
            text=[f"{v:.1%}" if v >= 0.01 else "" for v in p[order]],
            textposition=["inside" if v >= 0.2 else "outside" for v in p[order]],
            insidetextanchor="end",
            textfont={"color": ["white" if v >= 0.2 else "#262730" for v in p[order]], "size": 12},
            constraintext="none",  # the same size on every bar (plotly shrinks inside text)
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.4f}<extra>probability</extra>",
            name="probability",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            x=z[order],
            y=ylab,
            orientation="h",
            marker={"color": "#ab63fa"},
            hovertemplate="%{y}: %{x:.4g}<extra>logit</extra>",
            name="logit",
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(range=[0, 1], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(autorange="reversed", type="category")
    shown = "" if k <= top else f" · top {top} of {k} classes"
    fig.update_layout(
        title=f"T = {temperature:g} · prediction: {names[pred]} ({p[pred]:.1%}) · "
        f"probabilities sum to {p.sum():.3f}{shown}",
        showlegend=False,
        height=max(220, 60 + 26 * len(order)),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        meta={"panels": 2, "sum": float(p.sum()), "predicted": pred, "temperature": temperature},
    )
    return fig


def confusion_figure(
    counts: Any, *, class_names: list[str] | None = None, normalized: bool = False
) -> go.Figure:
    """The confusion matrix: row = true class, column = predicted class.

    ``normalized``: colours and numbers are row fractions (each row sums to 1: where the
    images of that class went); hover always shows the count. Cells are clickable through
    the invisible marker layer (``selected_cell``).
    """
    c = _np(counts, np.int64)
    k = c.shape[0]
    names = _names(class_names, k)
    sums = c.sum(1, keepdims=True)
    frac = np.where(sums > 0, c / np.maximum(sums, 1), 0.0)
    z = frac if normalized else c
    tt = np.arange(k)[:, None].repeat(k, 1)
    pp = np.arange(k)[None, :].repeat(k, 0)
    custom = np.stack([tt, pp, c, np.round(frac * 100, 1)], axis=-1)
    small = k <= 20
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=names,
            y=names,
            colorscale="Blues",
            texttemplate=("%{z:.2f}" if normalized else "%{z}") if small else None,
            hoverinfo="skip",  # the marker layer above answers hover and clicks
            colorbar={
                "title": {"text": "fraction of row" if normalized else "images"},
                "thickness": 12,
            },
        )
    )
    # Plotly sends clicks only to traces that take hover: the invisible markers do both
    fig.add_trace(
        go.Scatter(
            x=[names[j] for j in pp.ravel()],
            y=[names[i] for i in tt.ravel()],
            mode="markers",
            customdata=custom.reshape(-1, 4),
            marker={
                "size": max(8, min(40, 400 // k)),
                "color": "rgba(0,0,0,0)",
                "symbol": "square",
            },
            hovertemplate="true %{y}, predicted %{x}<br>%{customdata[2]} images "
            "(%{customdata[3]}% of %{y})<br>click to see them<extra></extra>",
            showlegend=False,
            name="cells",
        )
    )
    # fixed ranges: the invisible markers would otherwise pad the autorange and leave
    # the class labels floating away from the grid
    fig.update_xaxes(
        title="predicted class",
        type="category",
        side="bottom",
        range=[-0.5, k - 0.5],
        automargin=True,
        showgrid=False,
        zeroline=False,
    )
    fig.update_yaxes(
        title="true class",
        type="category",
        range=[k - 0.5, -0.5],
        automargin=True,
        showgrid=False,
        zeroline=False,
    )
    total = int(c.sum())
    acc = float(np.trace(c) / total) if total else 0.0
    fig.update_layout(
        title=f"Confusion matrix · {total:,} images · accuracy {acc:.1%} (the diagonal)"
        + (" · rows sum to 1" if normalized else ""),
        height=max(320, 120 + 32 * min(k, 30)),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        clickmode="event+select",
        dragmode="select" if not small else "zoom",
        meta={"panels": 1, "classes": k, "normalized": normalized},
    )
    return fig


def selected_cell(event: Any) -> tuple[int, int] | None:
    """(true, pred) of the clicked confusion-matrix cell from st.plotly_chart's return, or None.

    customdata arrives as a list, or (from the browser) as a dict {"0": t, "1": p, ...}.
    """
    sel = event.get("selection") if isinstance(event, dict) else getattr(event, "selection", None)
    points = (sel.get("points") if isinstance(sel, dict) else getattr(sel, "points", None)) or []
    for pt in points:
        cd = pt.get("customdata") if isinstance(pt, dict) else None
        if isinstance(cd, dict):  # the browser sends an array as {"0": t, "1": p, ...}
            cd = [cd.get("0", cd.get(0)), cd.get("1", cd.get(1))]
        try:
            return int(cd[0]), int(cd[1])
        except (TypeError, ValueError, IndexError, KeyError):
            continue
    return None


def to_display(image: Any, *, upscale: int = 1) -> np.ndarray:
    """A uint8 image [C, H, W] / [H, W] / [H, W, C] as [H, W] or [H, W, 3] for st.image,
    optionally enlarged by whole pixels (sharp edges instead of a blur)."""
    a = _np(image, np.float32)
    if a.ndim == 4:
        a = a[0]
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3):
        a = a.transpose(1, 2, 0)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    if upscale > 1:
        a = a.repeat(upscale, 0).repeat(upscale, 1)
    return a


def gallery(
    images: Any, mistakes: list[Any], *, class_names: list[str] | None = None, upscale: int = 3
) -> tuple[list[np.ndarray], list[str]]:
    """(arrays, captions) for ``st.image(arrays, caption=captions)``: one per mistake
    (``evaluate.Mistake``), caption "#index: true 3 → said 5 (97%)"."""
    imgs, caps = [], []
    k = None if class_names is None else len(class_names)
    for m in mistakes:
        imgs.append(to_display(images[m.index], upscale=upscale))
        t = class_names[m.true] if k and m.true < k else str(m.true)
        p = class_names[m.pred] if k and m.pred < k else str(m.pred)
        caps.append(f"#{m.index}: true {t} → said {p} ({m.confidence:.0%})")
    return imgs, caps


_LUT_CACHE: dict[str, np.ndarray] = {}


def _lut(name: str) -> np.ndarray:
    if name not in _LUT_CACHE:
        cols = sample_colorscale(name, list(np.linspace(0, 1, 256)), colortype="tuple")
        _LUT_CACHE[name] = np.uint8(np.rint(np.asarray(cols) * 255))
    return _LUT_CACHE[name]


def overlay(
    image: Any, heatmap: Any, *, opacity: float = 0.5, colorscale: str = "Jet"
) -> np.ndarray:
    """uint8 [H, W, 3]: the image (gray shown as RGB) blended with the 0..1 heatmap's colours."""
    base = to_display(image)
    if base.ndim == 2:
        base = np.repeat(base[..., None], 3, axis=-1)
    h = np.clip(_np(heatmap), 0, 1)
    if h.shape != base.shape[:2]:
        raise ValueError(f"heatmap {list(h.shape)} and image {list(base.shape[:2])} differ in size")
    col = _lut(colorscale)[np.rint(h * 255).astype(np.int64)]
    out = (1 - opacity) * base.astype(np.float32) + opacity * col.astype(np.float32)
    return np.uint8(np.clip(np.rint(out), 0, 255))


def gradcam_figure(
    image: Any, heatmap: Any, *, opacity: float = 0.5, title: str = "", colorscale: str = "Jet"
) -> go.Figure:
    """The image with the heatmap laid over it (hover shows the heat value), side by side
    with the image alone."""
    base = to_display(image)
    rgb = base if base.ndim == 3 else np.repeat(base[..., None], 3, axis=-1)
    h = np.clip(_np(heatmap), 0, 1)
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.03, subplot_titles=("image", "where it looks")
    )
    fig.add_trace(go.Image(z=rgb, hoverinfo="skip"), row=1, col=1)
    fig.add_trace(go.Image(z=rgb, hoverinfo="skip"), row=1, col=2)
    fig.add_trace(
        go.Heatmap(
            z=h,
            colorscale=colorscale,
            zmin=0,
            zmax=1,
            opacity=opacity,
            colorbar={"title": {"text": "importance"}, "thickness": 12},
            hovertemplate="row %{y}, column %{x}<br>importance %{z:.2f}<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    fig.update_layout(
        title=for_plotly(title) or None,
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        meta={"panels": 2, "shape": list(h.shape)},
    )
    return fig
