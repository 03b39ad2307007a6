"""The gradients' figures: histograms re-binned without losing a value, flags coloured, names escaped."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.plots.train.gradients import (
    FLAG_COLOUR,
    histogram_heatmap,
    live_sizes_figure,
    rebin,
    sizes_over_time_figure,
    sizes_overlay,
)
from cnnviz.train.gradient_words import flags, latest_flags, layer_title, sentence
from cnnviz.train.gradients import GradRecord, Histogram


def _rec(it: int, layer: str, size: float, lo: float = -1.0, hi: float = 1.0) -> GradRecord:
    edges = list(np.linspace(lo, hi, 31))
    counts = [i % 4 for i in range(30)]
    return GradRecord(it, it / 4, layer, "Conv2d", sum(counts), 1.0, size * 10, size,
                      Histogram(edges, counts), Histogram(edges, counts))  # fmt: skip


def test_rebin_keeps_every_value_and_where_it_was():
    edges, counts = [0.0, 1.0, 2.0], [4, 6]
    out = rebin(edges, counts, np.array([-1.0, 0.5, 1.5, 3.0]))
    assert out.tolist() == pytest.approx([2.0, 5.0, 3.0])
    assert rebin([0, 1], [1, 2], np.array([0.0, 1.0])).tolist() == [0.0]  # malformed: nothing


def test_heatmap_rows_are_moments_and_each_sums_to_all_values():
    records = [_rec(1, "0", 0.1, -1, 1), _rec(2, "0", 0.01, -0.1, 0.1), _rec(2, "3", 0.5)]
    fig = histogram_heatmap(records, "0", "grad")
    heat = fig.data[0]
    assert list(heat.y) == ["epoch 0.25", "epoch 0.5"]
    assert [sum(row) for row in heat.z] == pytest.approx([100.0, 100.0])
    assert heat.x[0] < -0.9 and heat.x[-1] > 0.9  # one value axis shared by every moment
    assert histogram_heatmap(records, "9").data == ()  # no such layer: an empty figure


def test_live_bars_flag_vanished_and_exploding_layers():
    sizes = [
        {"iteration": 5, "layer": "0", "kind": "Conv2d", "grad_mean_abs": 1e-7},
        {"iteration": 5, "layer": "3.1", "kind": "Conv2d", "grad_mean_abs": 0.01},
        {"iteration": 5, "layer": "4", "kind": "Linear", "grad_mean_abs": 50.0},
    ]
    fig = live_sizes_figure([sizes])
    bars = fig.data[0]
    assert list(bars.y) == ["Conv2d 1", "Conv2d 4.2", "Linear 5"]
    assert list(bars.marker.color) == [
        FLAG_COLOUR["vanishing"], FLAG_COLOUR[None], FLAG_COLOUR["exploding"]
    ]  # fmt: skip
    assert fig.layout.xaxis.type == "log"
    words = flags(sizes)
    assert words[0].startswith("Conv2d 1's gradients have vanished")
    assert "stopped learning" in words[0]
    assert words[1].startswith("Linear 5's gradients are exploding")
    assert "lower the learning rate or add BatchNorm2d" in words[1]
    assert len(words) == 2


def test_sizes_over_time_and_the_overlay_of_runs():
    a = [_rec(i, layer, 0.1 / i) for i in (1, 2, 4) for layer in ("0", "2")]
    b = [_rec(i, "0", 1e-6) for i in (1, 4)]
    fig = sizes_over_time_figure(a)
    assert [t.name for t in fig.data] == ["Conv2d 1", "Conv2d 3"]
    assert list(fig.data[0].y) == pytest.approx([0.1, 0.05, 0.025])
    over = sizes_overlay(
        [("<b>mine</b>", "#000", a), ("other", "#111", b), ("none", "#222", [])], "0"
    )
    assert [t.name for t in over.data] == ["&lt;b&gt;mine&lt;/b&gt; (Conv2d 1)", "other (Conv2d 1)"]
    assert latest_flags(b) == [sentence("0", "Conv2d", 1e-6)]
    assert latest_flags(a) == []
    assert layer_title("4.1.0", "Conv2d") == "Conv2d 5.2.1"
