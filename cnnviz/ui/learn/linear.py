"""Lesson 3: linear or not? The two tests run on a layer of the network, then the consequence."""

from __future__ import annotations

import streamlit as st
import torch
from torch import nn

from cnnviz.design.shapes import summarize
from cnnviz.learn.linearity import (
    Verdict,
    check_linearity,
    collapse_linears,
    demo_stack,
    linear_runs,
    maxpool_counterexample,
)
from cnnviz.text.escape import for_markdown
from cnnviz.ui.learn.network import Net, layer_inputs, lesson_inputs

P = "learn.linear."

MEANING = {
    Verdict.LINEAR: "**linear**: both tests hold. It is a matrix product, nothing more.",
    Verdict.AFFINE: (
        "**affine**, not linear: a linear map plus a constant (the bias, or BatchNorm2d's shift). "
        "f(a + b) = f(a) + f(b) − f(0): the constant is counted twice on the right."
    ),
    Verdict.NOT_LINEAR: "**not linear**: no matrix (and no matrix plus a constant) does what it does.",
}


def side_values(left: torch.Tensor, right: torch.Tensor, k: int = 3) -> tuple[str, str]:
    """``k`` numbers of each side, where the two sides differ most (the first ``k`` when they
    agree): a ✗ always shows the numbers that make it one."""
    u, v = left.reshape(-1), right.reshape(-1)
    gap = (u - v).abs()
    at = int(gap.argmax()) if gap.numel() and float(gap.max()) > 0 else 0
    lo = max(0, min(at - k // 2, u.numel() - k))
    hi = min(u.numel(), lo + k)

    def words(t: torch.Tensor) -> str:
        head = "…, " if lo > 0 else ""
        tail = ", …" if hi < t.numel() else ""
        return head + ", ".join(f"{x:.3f}" for x in t[lo:hi].tolist()) + tail

    return words(u), words(v)


def linear_lesson(net: Net) -> None:
    st.markdown(
        "A layer f is **linear** when f(a + b) = f(a) + f(b) and f(c·a) = c·f(a) for any inputs "
        "a, b and number c. Try it on any layer of your network, with two real images as a and b:"
    )
    rows = summarize(net.spec)
    c1, c2, c3 = st.columns([3, 1, 1])
    index = c1.selectbox(
        "Layer",
        list(range(len(net.model))),
        format_func=lambda i: f"layer {i + 1}: {rows[i]['name']}",
        key=P + "layer",
    )
    c = c2.number_input("c", value=2.0, step=0.5, key=P + "c")
    bias_off = c3.toggle("No bias", key=P + "nobias", help="Take the Conv2d's or Linear's bias out")
    _, x = lesson_inputs(net, n=2)
    a = layer_inputs(net, x, 0)[index]
    b = layer_inputs(net, x, 1)[index]
    module = net.model[index]
    if bias_off and getattr(module, "bias", None) is not None:
        import copy

        module = copy.deepcopy(module)
        module.bias = None
    r = check_linearity(module, a, b, float(c))
    sum_l, sum_r = side_values(r.f_sum, r.sum_f)
    sc_l, sc_r = side_values(r.f_scaled, r.scaled_f)
    st.markdown(
        "| test | left side | right side | largest gap | holds |\n|---|---|---|---|---|\n"
        f"| f(a + b) = f(a) + f(b) | {sum_l} | {sum_r} | {r.sum_gap:.1e} | "
        f"{'✓' if r.additive else '✗'} |\n"
        f"| f({c:g}·a) = {c:g}·f(a) | {sc_l} | {sc_r} | {r.scale_gap:.1e} | "
        f"{'✓' if r.homogeneous else '✗'} |"
    )
    st.caption("Each side shows three of its numbers: where the two sides differ most.")
    st.markdown(f"{for_markdown(rows[index]['name'])} is {MEANING[r.verdict]}")
    if isinstance(module, nn.MaxPool2d | nn.ReLU) and r.homogeneous and c > 0:
        st.caption(
            "For c > 0 it keeps f(c·a) = c·f(a): scaling every number by c scales the maximum by c. "
            "Try a negative c, and look at sums:"
        )
    _counterexample()
    _stack(net)


def _counterexample() -> None:
    a, b, f_sum, sum_f = maxpool_counterexample()
    with st.expander("Max pooling breaks sums: the smallest case", expanded=False):
        st.markdown(
            f"a = `{a[0, 0].tolist()}`, b = `{b[0, 0].tolist()}` (one 2×2 window each). "
            f"MaxPool2d(2)(a + b) = **{f_sum:g}**, but MaxPool2d(2)(a) + MaxPool2d(2)(b) = "
            f"**{sum_f:g}**. The maximum of a sum is not the sum of the maxima."
        )


def _stack(net: Net) -> None:
    st.markdown(
        "**The consequence:** Linear layers with no activation between them are *one* Linear layer: "
        "W = W₂·W₁, b = W₂·b₁ + b₂. Stacking them adds parameters, not power."
    )
    runs = linear_runs(net.model)
    if runs:
        layers = [net.model[i] for i in runs[0]]
        where = f"your layers {', '.join(str(i + 1) for i in runs[0])}"
    else:
        stack = demo_stack()
        layers = [stack[0], stack[1]]
        where = "Linear(3, 4) → Linear(4, 2) (your network has no two Linear layers in a row)"
    one = collapse_linears(layers)
    z = torch.randn(3, layers[0].in_features, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        stacked = z
        for lay in layers:
            stacked = lay(stacked)
        single = one(z)
    st.markdown(
        f"Built both for {where}: the single Linear({one.in_features}, {one.out_features}) gives "
        f"`{side_values(single[0], stacked[0])[0]}` and the stack `{side_values(single[0], stacked[0])[1]}` for the same input; "
        f"largest difference over 3 inputs **{float((single - stacked).abs().max()):.1e}** (rounding)."
    )
