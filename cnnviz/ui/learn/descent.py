"""Lesson 5: finding the minimum (one weight by calculus, two by gradient descent, the real network)."""

from __future__ import annotations

import streamlit as st
import torch
from torch import nn

from cnnviz.learn.descent import Bowl, Curve, chance_loss, descent_path, loss_along_line, loss_slice
from cnnviz.plots.learn.descent import contour_figure, curve_figure, line_figure, slice_figure
from cnnviz.ui.figures import show
from cnnviz.ui.learn.network import Net, lesson_inputs

P = "learn.descent."
_LINE = "learn.descent.line"  # {net key: (alphas, losses)}
_SLICE = "learn.descent.slice"
ALPHAS = [round(-1 + 0.1 * i, 2) for i in range(21)]
SLICE_ALPHAS = [round(-1 + 0.25 * i, 2) for i in range(9)]


def descent_lesson(net: Net | None) -> None:
    one, two, real = st.tabs(["One weight", "Two weights", "Your network"])
    with one:
        _one()
    with two:
        _two()
    with real:
        _real(net)


def _one() -> None:
    curve = Curve()
    w = st.slider("w", -2.0, 6.0, 4.5, 0.1, key=P + "w")
    axis = torch.linspace(-2, 6, 161)
    show(
        curve_figure(
            axis.numpy(), curve.loss(axis).numpy(), curve.derivative(axis).numpy(),
            w, float(curve.loss(torch.tensor(w))), float(curve.derivative(w)), height=300,
        ),
        key=P + "curve", config={"displayModeBar": False},
    )  # fmt: skip
    st.markdown(
        f"L(w) = ½(w − {curve.minimum:g})² + {curve.floor:g}; its derivative dL/dw = w − {curve.minimum:g} "
        f"is **{float(curve.derivative(w)):.2f}** at w = {w:g}. Setting it to zero gives the minimum "
        f"w = {curve.minimum:g} in one line of calculus. With a million weights there is no such line "
        "to solve: we walk downhill instead, w ← w − η·dL/dw."
    )


def _two() -> None:
    bowl = Bowl()
    c1, c2 = st.columns([3, 2])
    limit = bowl.largest_step
    lr = c2.slider(
        "Learning rate η", 0.01, 0.8, 0.3, 0.01, key=P + "lr",
        help=f"Above 2/λ_max = {limit:.2f} every step overshoots more: it diverges.",
    )  # fmt: skip
    steps = c2.slider("Steps", 1, 100, 30, key=P + "steps")
    start = st.session_state.get(P + "start", (-2.5, 2.5))
    path, diverged = descent_path(bowl.loss, torch.tensor(start), lr, steps)
    axis, loss = bowl.grid()
    with c1:
        event = show(
            contour_figure(axis.numpy(), loss.numpy(), path.numpy(), bowl.minimum, height=360),
            key=P + "contour", on_select="rerun", selection_mode="points",
            config={"displayModeBar": False},
        )  # fmt: skip
    points = (getattr(event, "selection", None) or {}).get("points", []) if event else []
    if points:
        new = (round(float(points[0]["x"]), 2), round(float(points[0]["y"]), 2))
        if new != st.session_state.get(P + "start_seen"):
            st.session_state[P + "start_seen"] = new
            st.session_state[P + "start"] = new
            st.rerun()
    end = path[-1]
    final = float(bowl.loss(end))
    if diverged:
        verdict = f"**diverges**: η = {lr:g} is above 2/λ_max = {limit:.2f}, each step overshoots further."
    elif final > 1e-3:
        verdict = f"**crawls**: after {steps} steps the loss is still {final:.3f}. A larger η gets there sooner."
    else:
        verdict = f"**converges**: loss {final:.1e} after {steps} steps."
    c2.markdown(
        f"Start ({start[0]:g}, {start[1]:g}), click the map to start elsewhere. "
        f"End ({float(end[0]):.2f}, {float(end[1]):.2f}). Gradient descent {verdict}"
    )


def _real(net: Net | None) -> None:
    if net is None or not net.trained:
        st.info(
            "Train a network first (Train page): then this tab shows its loss along a line through "
            "the trained weights."
        )
        st.page_link("views/train.py", label="Train", icon=":material/monitoring:")
        return
    images, x = lesson_inputs(net, n=64)
    if int(images.y.min()) < 0 or isinstance(net.model[-1], nn.Softmax):
        st.info("This network's images have no labels here, so there is no loss to draw.")
        return
    y = images.y
    lines: dict = st.session_state.setdefault(_LINE, {})
    if net.key not in lines:
        with st.spinner("Evaluating the loss along the line…"):
            lines.clear()
            lines[net.key] = loss_along_line(net.model, x, y, ALPHAS)
    show(
        line_figure(ALPHAS, lines[net.key], chance=chance_loss(len(net.classes) or 10), height=260),
        key=P + "line", config={"displayModeBar": False},
    )  # fmt: skip
    st.caption(
        f"Cross-entropy on {len(y)} {images.source.split(' drawn')[0]} at θ + α·d, d a random direction scaled filter by "
        "filter to the weights (Li et al., 2018). The trained weights sit in a valley."
    )
    if st.toggle("Also a 2-D slice (two random directions, 81 forward passes)", key=P + "slice"):
        slices: dict = st.session_state.setdefault(_SLICE, {})
        if net.key not in slices:
            with st.spinner("Evaluating 81 points…"):
                slices.clear()
                slices[net.key] = loss_slice(net.model, x[:32], y[:32], SLICE_ALPHAS)
        show(slice_figure(SLICE_ALPHAS, slices[net.key]), key=P + "slice_fig")
