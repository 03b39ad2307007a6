"""Lesson 4: a Linear layer is a matrix product (the whiteboard demo, then the user's layers)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz.learn.matrix import linear_facts, whiteboard
from cnnviz.plots.learn.matrix import linear_diagram
from cnnviz.ui.figures import show
from cnnviz.ui.learn.network import Net

P = "learn.matrix."


def _bmatrix(rows: list[list[float]]) -> str:
    body = r" \\ ".join(
        " & ".join(f"{v:g}" if abs(v - round(v, 1)) < 1e-6 else f"{v:.2f}" for v in r) for r in rows
    )
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def matrix_lesson(net: Net | None) -> None:
    st.markdown(
        "`nn.Linear(3, 4)` holds a weight matrix W of shape **4×3** (one row per output) and a bias b "
        "of 4 numbers. A mini-batch X of **2 inputs × 3 numbers** becomes the hidden layer "
        "H = X·Wᵀ + b of shape **2×4** (M×n: M inputs, n neurons)."
    )
    seed = st.session_state.get(P + "seed", 0)
    wb = whiteboard(seed)
    st.latex(
        r"\underbrace{" + _bmatrix(wb.x.tolist()) + r"}_{X\;(2\times3)}\cdot"
        r"\underbrace{" + _bmatrix(wb.weight.T.tolist()) + r"}_{W^\top\;(3\times4)}"
    )
    st.latex(
        r"+ \underbrace{" + _bmatrix([wb.bias.tolist()]) + r"}_{b\;(4)} = "
        r"\underbrace{" + _bmatrix(wb.hidden.tolist()) + r"}_{H\;(2\times4)}"
    )
    c1, c2, c3 = st.columns([1, 1, 1])
    n = c1.radio("Input (row of X)", [0, 1], horizontal=True, key=P + "n")
    j = c2.radio("Neuron (column of H)", [0, 1, 2, 3], horizontal=True, key=P + "j")
    c3.button(
        "New numbers",
        key=P + "new",
        on_click=lambda: st.session_state.update({P + "seed": seed + 1}),
    )
    st.markdown(
        f"`{wb.entry(n, j)}` — row {n} of X times row {j} of W (column {j} of Wᵀ), plus b[{j}]."
    )
    show(
        linear_diagram(wb.weight.numpy(), highlight=None, height=260),
        key=P + "diagram",
        config={"displayModeBar": False},
    )
    st.caption(
        "Each line is one weight: hover it to see where it sits in W (row = output neuron, column = input)."
    )
    if net is None:
        return
    facts = linear_facts(net.spec)
    if not facts:
        st.info("Your design has no Linear layer yet.")
        return
    st.markdown("**Your network's Linear layers** (mini-batch of 2, as on Design):")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "layer": f["layer"],
                    "Linear": f["name"],
                    "W": "×".join(map(str, f["W"] or [])),
                    "b": "×".join(map(str, f["b"] or [])) or "—",
                    "parameters": f["formula"] or f"{f['params']:,}",
                    "product": f["matmul"],
                }
                for f in facts
            ]
        ).set_index("layer"),
        width="stretch",
    )
