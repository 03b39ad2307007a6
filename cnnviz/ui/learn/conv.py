"""Lesson 1: a convolution, step by step, on a Conv2d layer of the student's network."""

from __future__ import annotations

import streamlit as st
from torch import nn

from cnnviz.inspect.capture import layer_module
from cnnviz.learn.steps import conv_step
from cnnviz.plots.learn.conv import MAX_PANELS, numbers_figure, output_figure, window_figure
from cnnviz.ui.figures import show
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
POS = P + "pos"


def _pad(conv: nn.Conv2d) -> int:
    rev = conv._reversed_padding_repeated_twice
    return int(max(rev)) if rev else 0


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
    h_out, w_out = out.shape[-2:]
    run_every = stepper.TICK_S if stepper.playing(POS) else None
    st.fragment(run_every=run_every)(_view)(net, index, inp, out, channel)


def _view(net: Net, index: str, inp, out, channel: int) -> None:
    conv: nn.Conv2d = layer_module(net.model, index)
    h_out, w_out = out.shape[-2:]
    if stepper.playing(POS) and stepper.tick(POS, h_out, w_out):
        st.rerun(scope="app")  # the last pixel: stop the timer
    stepper.controls(POS, h_out, w_out)
    row, col = stepper.position(POS, h_out, w_out)
    step = conv_step(conv, inp, channel, row, col)
    left, right = st.columns([3, 2])
    with left:
        show(
            window_figure(
                inp.numpy(), step.in_channels, step.rows, step.cols, pad=_pad(conv), height=260
            ),
            key=P + "window",
            config={"displayModeBar": False},
        )
    with right:
        event = show(
            output_figure(
                out[channel].numpy(), row, col, title=f"output channel {channel}", height=260
            ),
            key=P + "output",
            on_select="rerun",
            selection_mode="points",
            config={"displayModeBar": False},
        )
        if stepper.clicked(event, POS, w_out):
            st.rerun()
    shown = step.in_channels
    which = 0
    if len(shown) > 1:
        which = (
            st.segmented_control(
                "Numbers of input channel",
                list(range(len(shown))),
                format_func=lambda k: str(shown[k]),
                default=0,
                key=P + "in_channel",
            )
            or 0
        )
    first = int(which)
    show(
        numbers_figure(
            [
                (f"window (channel {shown[first]})", step.window[first].numpy()),
                ("× kernel", step.kernel[first].numpy()),
                ("= products", step.products[first].numpy()),
            ],
            height=200,
        ),
        key=P + "numbers",
        config={"displayModeBar": False},
    )
    sums = " + ".join(f"{float(s):.3f}" for s in step.channel_sums[:8])
    more = f" + … ({len(step.channel_sums) - 8} more)" if len(step.channel_sums) > 8 else ""
    bias = f" + bias {step.bias:.3f}" if conv.bias is not None else " (no bias)"
    ok = "✓ equals" if step.matches else "✗ differs from"
    st.markdown(
        f"Sum per input channel: {sums}{more}{bias} = **{step.total:.4f}** — {ok} the captured "
        f"activation **{step.reference:.4f}** at output channel {channel}, row {row}, column {col}."
    )
    if len(step.in_channels) > MAX_PANELS:
        st.caption(
            f"The first {MAX_PANELS} of {len(step.in_channels)} input channels are drawn; all are summed."
        )
    if conv.groups > 1:
        st.caption(
            f"groups={conv.groups}: this filter (group {step.group}) sees input channels "
            f"{step.in_channels[0]}–{step.in_channels[-1]} only."
        )
    row_info = layer_row(net, index)
    pad = conv.padding if isinstance(conv.padding, str) else conv.padding[0]
    st.markdown(
        f"Kernel {conv.kernel_size[0]}×{conv.kernel_size[1]}, stride {conv.stride[0]}, padding {pad} "
        f"(the grey border of zeros), dilation {conv.dilation[0]} (gaps between the window's cells). "
        "Output size, as on Design: " + "; ".join(f"`{f}`" for f in row_info.get("formula", [])[:2])
    )
