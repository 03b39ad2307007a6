"""The Inspect page's "Prediction" and "Where it looks" tabs.

Prediction: softmax probabilities with class names, the logits beside them, a
temperature slider, the sum of the probabilities, and what "evaluation mode"
means. Where it looks: a Grad-CAM overlay (gradient saliency when the network
has no Conv2d) for a chosen class and layer.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from cnnviz.inspect.capture import CaptureError, predict
from cnnviz.inspect.gradcam import gradcam
from cnnviz.plots.inspect import results
from cnnviz.text.escape import for_markdown
from cnnviz.ui.figures import show
from cnnviz.ui.inspect.image import Chosen
from cnnviz.ui.inspect.layers import layer_titles
from cnnviz.ui.inspect.model import Subject

EVAL_NOTE = (
    "This forward pass runs under `model.eval()` and `torch.no_grad()`: evaluation, so no backward "
    "pass and no gradients, Dropout is off and BatchNorm2d uses the running mean and variance it "
    "learned during training (not the statistics of this one image)."
)


def verdict(subject: Subject, chosen: Chosen, probs: torch.Tensor) -> str:
    """'The network says **circle** (p = 0.93) — right' in markdown, with a Material icon
    (emoji fonts are missing on many classroom machines)."""
    k = int(probs.argmax())
    text = f"The network says **{subject.class_name(k)}** (p = {float(probs[k]):.3f})"
    if chosen.label is not None:
        ok = chosen.label == k
        text += (
            " — :material/check_circle: right"
            if ok
            else f" — :material/cancel: wrong: it is a **{subject.class_name(chosen.label)}**"
        )
    return text


def prediction_tab(subject: Subject, chosen: Chosen, x: torch.Tensor, *, key: str = "pred") -> None:
    """``x``: the normalized float input [1, C, H, W]."""
    t = st.slider(
        "Temperature T",
        0.1,
        5.0,
        1.0,
        0.1,
        key=f"{key}.temperature",
        help="Softmax of logits / T. T > 1 makes the network look less sure (flatter), T < 1 more sure. "
        "The predicted class never changes.",
    )
    try:
        with subject.lock:  # shared across sessions: one forward pass at a time
            pred = predict(subject.model, x, temperature=t)
    except CaptureError as e:
        st.error(f"The forward pass could not run: {for_markdown(e)}")
        return
    probs, logits = pred.probs[0], pred.logits[0]
    st.markdown(verdict(subject, chosen, probs))
    fig = results.probabilities_figure(
        probs,
        logits,
        class_names=list(subject.classes),
        temperature=t,
        true_class=chosen.label,
    )
    show(fig, name="softmax-probabilities", presenter=True, key=f"{key}.fig")
    a, b, c = st.columns(3)
    a.metric("Σ p (all classes)", f"{float(probs.sum()):.3f}")
    b.metric("largest p", f"{float(probs.max()):.3f}")
    c.metric("temperature T", f"{t:g}")
    st.latex(r"p_i = \mathrm{softmax}(z / T)_i = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}}")
    st.caption(
        "z = the logits: the last Linear layer's raw outputs. Softmax turns them into probabilities that are "
        "all positive and add up to 1. " + EVAL_NOTE
    )
    with st.expander("The numbers"):
        table = pd.DataFrame(
            {
                "class": list(subject.classes)[: len(probs)] or [str(i) for i in range(len(probs))],
                "logit z": logits.tolist(),
                "probability p": probs.tolist(),
            }
        )
        st.dataframe(
            table.sort_values("probability p", ascending=False),
            hide_index=True,
            column_config={
                "logit z": st.column_config.NumberColumn(format="%.3f"),
                "probability p": st.column_config.ProgressColumn(
                    format="%.3f", min_value=0.0, max_value=1.0
                ),
            },
        )


def _map_layers(subject: Subject, x: torch.Tensor) -> list[str]:
    """Paths of the layers whose output has feature maps (Grad-CAM can use them), inner layers
    of blocks included, from the spec's shapes."""
    try:
        from cnnviz.design.shapes import summarize

        rows = summarize(subject.spec)
        return [r["path"] for r in rows if r.get("output_shape") and len(r["output_shape"]) == 4]
    except Exception:
        return []


def gradcam_tab(subject: Subject, chosen: Chosen, x: torch.Tensor, *, key: str = "cam") -> None:
    try:
        with subject.lock:
            probs = predict(subject.model, x).probs[0]
    except CaptureError as e:
        st.error(f"The forward pass could not run: {for_markdown(e)}")
        return
    k = int(probs.argmax())
    classes = list(range(len(probs)))
    titles = layer_titles(subject)
    layers = _map_layers(subject, x)
    a, b, c = st.columns([2, 2, 1])
    with a:
        target = st.selectbox(
            "Explain the score of class",
            classes,
            index=k,
            format_func=lambda i: (
                f"{subject.class_name(i)} (p = {float(probs[i]):.2f})"
                + (" — predicted" if i == k else "")
            ),
            key=f"{key}.class",
        )
    with b:
        layer = None
        if layers:
            kinds = ("Conv2d", "Residual", "Concat")  # a block's output: its merged maps
            convs = [
                p
                for p in layers
                if "." not in p and titles.get(p, "").split("· ")[-1].startswith(kinds)
            ]
            default = convs[-1] if convs else layers[-1]
            layer = st.selectbox(
                "At layer",
                layers,
                index=layers.index(default),
                format_func=lambda i: titles.get(i, i),
                key=f"{key}.layer",
                help="Grad-CAM usually looks at the last Conv2d: deep enough to know about classes, "
                "still a map of where things are.",
            )
    with c:
        opacity = st.slider("Overlay", 0.0, 1.0, 0.5, 0.05, key=f"{key}.opacity")
    try:
        with subject.lock:  # hooks for a moment: no other session's pass in between
            att = gradcam(subject.model, x, int(target), layer=layer, classes=subject.classes)
    except CaptureError as e:
        st.error(f"Grad-CAM could not run: {for_markdown(e)}")
        return
    fig = results.gradcam_figure(
        chosen.x[0],
        att.heatmap,
        opacity=opacity,
        title=f"{att.method} for class {subject.class_name(target)}",
    )
    show(fig, name=f"{att.method}-{subject.class_name(target)}", presenter=True, key=f"{key}.fig")
    st.caption(f"{att.method}: {for_markdown(att.note)}.")
    st.caption(
        "How: one forward pass, then the gradient of the chosen class's logit with respect to the layer's "
        "feature maps (a backward pass, only for this picture; the weights do not change). Each map is "
        "weighted by its average gradient; the weighted sum's positive part is scaled up to the image size."
    )
