"""The Inspect page's "Feature maps" and "Filters" tabs.

Feature maps: every layer's output for the chosen image (``cnnviz.capture``,
hooks always removed, mode restored), a grid of channels per conv-like layer with
the layer's shape in the title, Linear/Flatten outputs as bar strips, and one
channel large with its values. A layer picker (all layers, or one) keeps the
page light for big networks.

Filters: the first Conv2d's kernels as images (colour when it reads 3 channels),
a deeper Conv2d's kernels per input channel, and a weight histogram per layer.
"""

from __future__ import annotations

import streamlit as st
import torch
from torch import nn

from cnnviz.inspect.capture import CaptureError, capture, layer_module, layer_paths
from cnnviz.plots.inspect import maps as plots
from cnnviz.plots.inspect import weights
from cnnviz.text.escape import for_markdown
from cnnviz.ui.figures import show
from cnnviz.ui.inspect.model import Subject

ALL = -1


def layer_titles(subject: Subject) -> dict[str, str]:
    """'Layer 3 · Conv2d(6, 12, kernel_size=3)' per layer path ('Layer 5.2 · ...' inside a
    block), in the order the forward pass makes the outputs (the design's names when they can
    be computed). Numbered from 1 like the Design page; the keys are the 0-based paths."""
    paths = layer_paths(subject.model)
    names = {p: type(layer_module(subject.model, p)).__name__ for p in paths}
    try:
        from cnnviz.design.shapes import summarize

        rows = summarize(subject.spec)
        if [r["path"] for r in rows] == paths:
            names = {r["path"]: str(r.get("name") or names[r["path"]]) for r in rows}
    except Exception:  # the spec is only used for nicer names
        pass
    return {p: f"Layer {_label(p)} · {n}" for p, n in names.items()}


def _label(path: str) -> str:
    return ".".join(str(int(p) + 1) for p in path.split("."))


def _value_label(subject: Subject, path: str, names: list[str] | None) -> str:
    """The bars' axis title: the final Linear gives logits, a final Softmax probabilities."""
    try:
        module = layer_module(subject.model, path)
    except CaptureError:
        module = None
    if names and isinstance(module, torch.nn.Linear):
        return "logit (raw score)"
    if names and isinstance(module, torch.nn.Softmax):
        return "probability"
    return "value"


def feature_maps_tab(subject: Subject, x: torch.Tensor, *, key: str = "fm") -> None:
    """``x``: the normalized float input [1, C, H, W]."""
    titles = layer_titles(subject)
    a, b = st.columns([3, 2])
    with a:
        which = st.selectbox(
            "Layers",
            [ALL, *titles],
            format_func=lambda i: "All layers" if i == ALL else titles[i],
            key=f"{key}.layer",
            help="One layer at a time is quicker for big networks.",
        )
    with b:
        scale = st.segmented_control(
            "Colour scale",
            list(plots.Scale),
            default=plots.Scale.PER_MAP,
            format_func=lambda s: (
                "per map" if s == plots.Scale.PER_MAP else "shared across the layer"
            ),
            key=f"{key}.scale",
            required=True,
            help="Per map: each map uses all colours, to show its pattern. Shared: one scale for the "
            "layer, to compare which maps respond strongly.",
        )
    try:
        with subject.lock:  # the model may be shared with other sessions: one forward at a time
            caps = capture(subject.model, x, list(titles) if which == ALL else [which])
    except CaptureError as e:
        st.error(f"The forward pass could not run: {for_markdown(e)}")
        return
    st.caption(
        "Each tile is one channel of the layer's output for this image (bright = high value). "
        "Captured with forward hooks during one forward pass under `model.eval()` and `torch.no_grad()`."
    )
    n_classes = len(subject.classes)
    last = [p for p in titles if "." not in p][-1:]  # the network's output
    for cap in caps:
        title = titles.get(cap.path, cap.name)
        if cap.is_map:
            fig = plots.feature_maps_figure(cap.output[0], title=title, scale=scale)
        else:
            vec = cap.output[0].reshape(-1)
            names = (
                list(subject.classes) if [cap.path] == last and vec.numel() == n_classes else None
            )
            fig = plots.vector_figure(
                vec, title=title, names=names, value_label=_value_label(subject, cap.path, names)
            )
        show(
            fig,
            name=f"{title}-" + ("feature-maps" if cap.is_map else "outputs"),
            presenter=True,
            key=f"{key}.fig.{cap.path}",
        )
    maps = [c for c in caps if c.is_map]
    if maps:
        _one_channel(maps, titles, key)


def _one_channel(maps: list, titles: dict[str, str], key: str) -> None:
    with st.expander(
        "One channel, large, with its values", icon=":material/zoom_in:", expanded=False
    ):
        a, b = st.columns(2)
        by_index = {c.path: c for c in maps}
        with a:
            i = st.selectbox(
                "Layer",
                list(by_index),
                format_func=lambda j: titles.get(j, j),
                key=f"{key}.one.layer",
            )
        cap = by_index[i]
        channels = int(cap.shape[1])
        with b:
            ch = st.number_input(
                f"Channel (0–{channels - 1})", 0, channels - 1, 0, step=1, key=f"{key}.one.ch.{i}"
            )
        fig = plots.channel_figure(cap.output[0, int(ch)], title=f"{titles[i]} · channel {int(ch)}")
        show(
            fig,
            name=f"{titles[i]}-channel-{int(ch)}",
            presenter=True,
            key=f"{key}.one.fig",
        )


def conv_layers(model: nn.Module) -> list[tuple[str, nn.Conv2d]]:
    """(path, module) of every Conv2d, those inside blocks included, in forward order."""
    found = [(p, layer_module(model, p)) for p in layer_paths(model)]
    return [(p, m) for p, m in found if isinstance(m, nn.Conv2d)]


def filters_tab(subject: Subject, *, key: str = "flt") -> None:
    titles = layer_titles(subject)
    convs = conv_layers(subject.model)
    if not convs:
        st.info(
            "This network has no Conv2d layer, so there are no filters to show. Its weight histograms are below."
        )
    else:
        i0, first = convs[0]
        st.markdown(f"**First convolution — {for_markdown(titles[i0])}**")
        st.caption(
            "Each small image is one filter's kernel: the weights it multiplies with every "
            f"{first.kernel_size[0]}×{first.kernel_size[1]} patch of the input. First-layer filters "
            "look at pixels directly, so after training they often look like edge, stripe or colour detectors."
        )
        w = first.weight.detach()
        show(
            weights.filters_figure(w, title=titles[i0]),
            name=f"{titles[i0]}-filters",
            presenter=True,
            key=f"{key}.first",
        )
        if len(convs) > 1:
            st.markdown("**Deeper convolutions: one kernel per filter and input channel**")
            options = [i for i, _ in convs[1:]]
            i = st.selectbox("Layer", options, format_func=lambda j: titles[j], key=f"{key}.deep")
            w = dict(convs)[i].weight.detach()
            st.caption(
                f"Row = filter (output channel), column = input channel: each filter has "
                f"{w.shape[1]} kernels of {w.shape[2]}×{w.shape[3]}, one per channel of the previous layer's "
                "output, and adds up what they find. Red < 0 < blue."
            )
            show(
                weights.kernels_figure(w, title=titles[i]),
                name=f"{titles[i]}-kernels",
                presenter=True,
                key=f"{key}.deepfig",
            )
    st.markdown("**How the weights are spread, per layer**")
    hists = weights.weight_histograms(subject.model)
    cols = st.columns(2)
    for k, (_name, fig) in enumerate(hists):
        with cols[k % 2]:
            show(fig, name=f"{_name}-weights-histogram", presenter=True, key=f"{key}.hist.{k}")
