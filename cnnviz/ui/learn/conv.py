"""Lesson 1: a convolution, step by step, on a Conv2d layer of the student's network.

The steps run in the page (``cnnviz.ui.learn.stepper``): the server computes once.
"""

from __future__ import annotations

import streamlit as st
from torch import nn

from cnnviz.inspect.capture import layer_module
from cnnviz.plots.learn.conv import MAX_PANELS
from cnnviz.ui.learn import stepper
from cnnviz.ui.learn.network import (
    Net,
    index_slider,
    layer_io,
    layer_row,
    lesson_inputs,
    pick_layer,
)

P = "learn.conv."


def conv_lesson(net: Net) -> None:
    st.markdown(
        "A **Conv2d** filter slides over its input. At each output pixel it multiplies the "
        "window it sees by its kernel, element by element, adds everything up, and adds the bias."
    )
    c0, c1, c2 = st.columns([2, 1, 1])
    index = pick_layer(net, (nn.Conv2d,), P + "layer", "Conv2d layer", c0)
    if index is None:
        st.info("This network has no Conv2d layer. Add one on the Design page to see it here.")
        st.page_link("views/design.py", label="Design", icon=":material/architecture:")
        return
    conv: nn.Conv2d = layer_module(net.model, index)
    images, x = lesson_inputs(net)
    image = index_slider(c1, "Image", len(x), P + "image", images.source)
    channel = index_slider(c2, "Output channel (filter)", conv.out_channels, P + "channel")
    inp, out = (t[0] for t in layer_io(net, x, image, index))  # (C_in, H, W), (C_out, H_out, W_out)
    # stepping, playing and hovering happen in the page: the numbers go there once
    stepper.show(stepper.conv_data(conv, inp, out, channel), key=P + "stepper")
    if conv.in_channels // conv.groups > MAX_PANELS:
        st.caption(
            f"The first {MAX_PANELS} of {conv.in_channels // conv.groups} input channels are "
            "drawn; all are summed."
        )
    if conv.groups > 1:
        st.caption(
            f"groups={conv.groups}: each filter sees the input channels of its own group only "
            f"({conv.in_channels // conv.groups} of {conv.in_channels})."
        )
    row_info = layer_row(net, index)
    pad = conv.padding if isinstance(conv.padding, str) else conv.padding[0]
    st.markdown(
        f"Kernel {conv.kernel_size[0]}×{conv.kernel_size[1]}, stride {conv.stride[0]}, padding {pad} "
        f"(the grey border of zeros), dilation {conv.dilation[0]} (gaps between the window's cells). "
        "Output size, as on Design: " + "; ".join(f"`{f}`" for f in row_info.get("formula", [])[:2])
    )
