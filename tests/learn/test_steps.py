"""Convolution and max-pool steps checked against torch: the displayed sum plus bias is the
captured activation, the max-pool pick is torch's output, for random layers of every kind."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnviz.design.presets import PRESETS
from cnnviz.learn.steps import conv_step, pool_ops_saved, pool_step

CONVS = [
    dict(in_channels=3, out_channels=5, kernel_size=3),
    dict(in_channels=2, out_channels=4, kernel_size=3, stride=2, padding=1),
    dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=2, dilation=2, groups=2),
    dict(
        in_channels=6, out_channels=6, kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), groups=3
    ),
    dict(in_channels=1, out_channels=2, kernel_size=5, padding="same", bias=False),
    dict(in_channels=3, out_channels=3, kernel_size=3, dilation=3, padding=3, groups=3),
]


@pytest.mark.parametrize("kw", CONVS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_sum_plus_bias_is_torchs_output_at_every_pixel(kw: dict) -> None:
    torch.manual_seed(len(str(kw)))
    conv = nn.Conv2d(**kw)
    x = torch.randn(kw["in_channels"], 9, 10)
    out = conv(x[None])[0].detach()  # what capture hooks record for this layer
    for o in range(out.shape[0]):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                s = conv_step(conv, x, o, i, j)
                assert s.total == pytest.approx(float(out[o, i, j]), abs=1e-5)
                assert float(s.products.sum()) + s.bias == pytest.approx(s.total, abs=1e-6)
                assert torch.allclose(s.channel_sums, s.products.sum(dim=(1, 2)))
    groups = kw.get("groups", 1)
    s = conv_step(conv, x, out.shape[0] - 1, 0, 0)
    assert len(s.in_channels) == kw["in_channels"] // groups
    assert s.in_channels[-1] == kw["in_channels"] - 1  # the last filter sees the last group


def test_window_positions_follow_stride_padding_and_dilation() -> None:
    conv = nn.Conv2d(1, 1, 3, stride=2, padding=1, dilation=2)
    x = torch.arange(64.0).reshape(1, 8, 8)
    s = conv_step(conv, x, 0, 1, 2)
    assert s.rows == (1, 3, 5) and s.cols == (3, 5, 7)  # row·S − P + k·D
    s = conv_step(conv, x, 0, 0, 0)
    assert s.rows == (-1, 1, 3)
    assert torch.equal(s.window[0, 0], torch.zeros(3))  # the padding row reads zeros
    assert float(s.window[0, 1, 1]) == float(x[0, 1, 1])


@pytest.mark.parametrize(
    "kw",
    [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, stride=1, dilation=2),
     dict(kernel_size=3, stride=2, ceil_mode=True)],
)  # fmt: skip
def test_max_pool_pick_is_torchs_output(kw: dict) -> None:
    torch.manual_seed(1)
    pool = nn.MaxPool2d(**kw)
    x = torch.randn(2, 9, 9)
    out = pool(x[None])[0]
    for c in range(2):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                s = pool_step(pool, x, c, i, j)
                assert s.value == float(out[c, i, j]) and s.matches
                pi, pj = s.pick
                assert float(x[c, s.rows[pi], s.cols[pj]]) == s.value


def test_pooling_saves_the_next_layer_mult_adds() -> None:
    spec = PRESETS["lecture-7-23"].spec
    after, before, name = pool_ops_saved(spec, 2)  # the first MaxPool2d(2)
    assert name.startswith("Conv2d(6, 12")
    # 62×62 → 31×31 in front of a 3×3 conv: outputs 29×29 against 60×60
    assert after == 12 * 6 * 9 * 29 * 29 and before == 12 * 6 * 9 * 60 * 60
