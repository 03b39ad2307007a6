"""Lesson 2: max pooling, step by step, and the multiplications it saves the next layer."""

from __future__ import annotations

import streamlit as st
from torch import nn

from cnnviz.design.shapes import format_count
from cnnviz.inspect.capture import layer_module
from cnnviz.learn.steps import pool_ops_saved
from cnnviz.text.escape import for_markdown
from cnnviz.ui.learn import stepper
from cnnviz.ui.learn.network import (
    Net,
    index_slider,
    layer_io,
    layer_row,
    lesson_inputs,
    pick_layer,
)

P = "learn.pool."


def pool_lesson(net: Net) -> None:
    st.markdown(
        "**MaxPool2d** keeps the largest number of each window and drops the rest: the feature "
        "map gets smaller, with no weights to learn."
    )
    c0, c1, c2 = st.columns([2, 1, 1])
    index = pick_layer(net, (nn.MaxPool2d,), P + "layer", "MaxPool2d layer", c0)
    if index is None:
        st.info("This network has no MaxPool2d layer. Add one on the Design page to see it here.")
        return
    images, x = lesson_inputs(net)
    image = index_slider(c1, "Image", len(x), P + "image", images.source)
    inp, out = (t[0] for t in layer_io(net, x, image, index))
    busiest = int(inp.flatten(1).std(1).argmax())  # a channel with something in it
    channel = index_slider(c2, "Channel", inp.shape[0], P + "channel", default=busiest)
    pool: nn.MaxPool2d = layer_module(net.model, index)
    # stepping, playing and hovering happen in the page: the numbers go there once
    stepper.show(stepper.pool_data(pool, inp, out, channel), key=P + "stepper")
    row_info = layer_row(net, index)
    note = f" {for_markdown(row_info['note'])}." if row_info.get("note") else ""
    st.markdown(
        "Output size, as on Design: "
        + "; ".join(f"`{f}`" for f in row_info.get("formula", [])[:2])
        + note
    )
    saved = pool_ops_saved(net.spec, int(index)) if "." not in index else None
    if saved is not None:
        after, before, name = saved
        st.markdown(
            f"The next layer, **{for_markdown(name)}**, does {format_count(after)} mult-adds per image after this "
            f"pooling; without it, {format_count(before)}: **{before / max(after, 1):.1f}× fewer** "
            "multiplications (numbers from the Design page's shape engine)."
        )
