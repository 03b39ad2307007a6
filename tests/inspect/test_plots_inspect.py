"""Inspect figures: panels, titles with shapes, probabilities summing to 1, confusion z = counts."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz.inspect.evaluate import Mistake
from cnnviz.plots.inspect import maps as pi
from cnnviz.plots.inspect import results, weights


def test_feature_maps_grid_panels_title_and_values() -> None:
    act = torch.arange(8 * 5 * 6, dtype=torch.float32).view(1, 8, 5, 6)
    fig = pi.feature_maps_figure(act, title="3 ReLU")
    meta = fig.layout.meta
    assert meta["panels"] == 8 and meta["channels"] == 8 and meta["shape"] == [1, 8, 5, 6]
    assert "3 ReLU" in fig.layout.title.text and "[8, 5, 6]" in fig.layout.title.text
    assert len(fig.data) == 1  # one tiled heatmap, not 8 traces
    z = np.asarray(fig.data[0].z, dtype=np.float64)
    rows, cols = meta["grid"]
    assert rows * cols >= 8
    assert np.isfinite(z).sum() == 8 * 5 * 6  # every pixel of every map, NaN only in gaps
    custom = np.asarray(fig.data[0].customdata)
    # channel 2, row 1, column 3 holds the raw value 2*30 + 1*6 + 3
    hit = (custom[..., 0] == 2) & (custom[..., 1] == 1) & (custom[..., 2] == 3)
    assert hit.sum() == 1 and custom[hit][0, 3] == 69
    assert np.nanmin(z) == 0 and np.nanmax(z) == 1  # per map: each stretched to 0..1
    shared = pi.feature_maps_figure(act[0], scale="shared")
    zs = np.asarray(shared.data[0].z, dtype=np.float64)
    assert np.nanmax(zs) == 8 * 30 - 1 and shared.data[0].zmax == 8 * 30 - 1


def test_constant_maps_are_counted() -> None:
    act = torch.rand(6, 5, 5)
    act[[1, 4]] = 0.0  # two dead ReLU channels
    fig = pi.feature_maps_figure(act)
    assert fig.layout.meta["constant"] == 2 and "2 of 6 constant (all 0)" in fig.layout.title.text
    assert "constant" not in pi.feature_maps_figure(torch.rand(6, 5, 5)).layout.title.text


def test_feature_maps_cap_says_how_many_are_shown() -> None:
    fig = pi.feature_maps_figure(torch.rand(64, 4, 4), max_maps=32)
    assert fig.layout.meta["panels"] == 32
    assert "showing 32 of 64" in fig.layout.title.text
    json.loads(fig.to_json())


def test_channel_vector_and_bad_input() -> None:
    fig = pi.channel_figure(torch.rand(6, 6), title="0 Conv2d, channel 3")
    assert fig.data[0].texttemplate and "6×6" in fig.layout.title.text
    big = pi.channel_figure(torch.rand(64, 64))
    assert not big.data[0].texttemplate
    vec = pi.vector_figure(torch.tensor([1.0, -2.0, 3.0]), title="9 Linear")
    assert list(vec.data[0].y) == [1.0, -2.0, 3.0] and "[3]" in vec.layout.title.text
    strip = pi.vector_figure(torch.randn(3136), title="8 Flatten")
    assert strip.data[0].type == "heatmap" and np.asarray(strip.data[0].z).shape == (1, 3136)
    assert "[3136]" in strip.layout.title.text and "strip" in strip.layout.title.text
    with pytest.raises(ValueError, match="C, H, W"):
        pi.feature_maps_figure(torch.rand(10))


def test_filters_colour_and_gray_and_kernels() -> None:
    conv = nn.Conv2d(3, 6, 5)
    rgb = weights.filters_figure(conv.weight, title="0 Conv2d")
    assert rgb.data[0].type == "image" and rgb.layout.meta["panels"] == 6
    assert "[6, 3, 5, 5]" in rgb.layout.title.text
    img = np.asarray(rgb.data[0].z)
    assert img.shape[-1] == 3 and img.max() == 255  # each filter stretched to 0..1
    gray = weights.filters_figure(nn.Conv2d(1, 4, 3).weight)
    assert gray.data[0].type == "heatmap" and gray.data[0].zmid == 0
    k = weights.kernels_figure(nn.Conv2d(32, 64, 3).weight, max_out=4, max_in=5)
    assert k.layout.meta["grid"] == [4, 5] and k.layout.meta["panels"] == 20
    assert "showing 4 of 64 filters" in k.layout.title.text
    one = weights.kernels_figure(nn.Conv2d(2, 8, 3).weight, out_channels=[5])
    assert one.layout.meta["grid"] == [1, 2]


def test_weight_histograms_per_layer() -> None:
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(36, 2)
    )
    hists = weights.weight_histograms(model, bins=10)
    assert [n for n, _ in hists] == [
        "Layer 1 · Conv2d",
        "Layer 2 · BatchNorm2d",
        "Layer 5 · Linear",
    ]
    fig = hists[0][1]
    assert sum(fig.data[0].y) == 36 and len(fig.data[0].x) == 10


def test_probabilities_figure() -> None:
    logits = torch.tensor([2.0, 0.5, -1.0])
    probs = torch.softmax(logits / 2, 0)
    fig = results.probabilities_figure(
        probs, logits, class_names=["cat", "dog", "car"], temperature=2
    )
    assert fig.layout.meta["sum"] == pytest.approx(1.0)
    assert "sum to 1.000" in fig.layout.title.text and "T = 2" in fig.layout.title.text
    assert list(fig.data[0].y) == ["cat", "dog", "car"]
    assert sum(fig.data[0].x) == pytest.approx(1.0)
    assert list(fig.data[1].x) == [2.0, 0.5, -1.0]
    many = results.probabilities_figure(
        torch.softmax(torch.arange(30.0), 0), torch.arange(30.0), top=5
    )
    assert list(many.data[0].y) == ["29", "28", "27", "26", "25"]


def test_confusion_figure_counts_normalised_and_click() -> None:
    counts = torch.tensor([[5, 1, 0], [2, 7, 1], [0, 0, 4]])
    fig = results.confusion_figure(counts, class_names=["a", "b", "c"])
    assert np.array_equal(np.asarray(fig.data[0].z), counts.numpy())
    assert list(fig.data[0].x) == ["a", "b", "c"]
    assert "accuracy 80.0%" in fig.layout.title.text
    norm = results.confusion_figure(counts, normalized=True)
    np.testing.assert_allclose(np.asarray(norm.data[0].z).sum(1), 1.0)
    cells = fig.data[1]
    assert len(cells.x) == 9
    i = 5  # row 1 (true b), column 2 (predicted c)
    assert (cells.y[i], cells.x[i]) == ("b", "c") and list(cells.customdata[i][:3]) == [1, 2, 1]
    assert cells.hoverinfo != "skip" and fig.data[0].hoverinfo == "skip"  # clicks need hover
    event = {"selection": {"points": [{"x": "c", "y": "b", "customdata": [1, 2]}]}}
    assert results.selected_cell(event) == (1, 2)
    browser = {"selection": {"points": [{"customdata": {"0": 1, "1": 2, "2": 1, "3": 10.0}}]}}
    assert results.selected_cell(browser) == (1, 2)
    assert results.selected_cell({"selection": {"points": []}}) is None


def test_gallery_overlay_and_gradcam_figure() -> None:
    images = torch.randint(0, 256, (10, 1, 4, 4), dtype=torch.uint8)
    ms = [Mistake(7, 1, 2, 0.9, 0.05), Mistake(3, 0, 1, 0.6, 0.3)]
    arrays, caps = results.gallery(images, ms, class_names=["zero", "one", "two"], upscale=2)
    assert arrays[0].shape == (8, 8) and np.array_equal(arrays[0][::2, ::2], images[7, 0].numpy())
    assert caps[0] == "#7: true one → said two (90%)"
    rgb = torch.randint(0, 256, (3, 5, 5), dtype=torch.uint8)
    assert results.to_display(rgb).shape == (5, 5, 3)
    heat = np.zeros((5, 5), np.float32)
    out = results.overlay(rgb, heat, opacity=0.0)
    assert np.array_equal(out, rgb.permute(1, 2, 0).numpy())
    fig = results.gradcam_figure(images[0], np.ones((4, 4)), opacity=0.4)
    assert fig.data[2].type == "heatmap" and fig.data[2].opacity == 0.4
    with pytest.raises(ValueError, match="differ"):
        results.overlay(rgb, np.zeros((3, 3)))


def test_huge_layers_are_drawn_smaller_with_a_note() -> None:
    act = torch.zeros(8, 300, 300)
    act[:, :150] = 1.0  # top half bright
    fig = pi.feature_maps_figure(act, scale="shared")
    k = fig.layout.meta["block"]
    assert (
        k > 1
        and f"1/{k} size" in fig.layout.title.text
        and "[8, 300, 300]" in fig.layout.title.text
    )
    z = np.asarray(fig.data[0].z, dtype=np.float64)
    assert np.isfinite(z).sum() <= pi.MAX_CANVAS
    assert np.nanmax(z) == 1.0 and np.nanmin(z) == 0.0  # averaging keeps the values' range
    one = pi.channel_figure(torch.rand(1024, 1024))
    assert "1/" in one.layout.title.text and np.asarray(one.data[0].z).size <= pi.MAX_CANVAS


def test_probability_labels_are_consistent_and_the_winner_readable() -> None:
    probs = torch.tensor([0.935, 0.05, 0.012, 0.003])
    fig = results.probabilities_figure(probs, torch.log(probs), class_names=list("abcd"))
    bar = fig.data[0]
    assert list(bar.text) == ["93.5%", "5.0%", "1.2%", ""]  # none below 1%
    assert list(bar.textposition) == ["inside", "outside", "outside", "outside"]
    assert bar.textfont.color[0] == "white" and bar.marker.color[0] == "#ef553b"


def test_confusion_axes_hug_the_grid() -> None:
    fig = results.confusion_figure(
        np.array([[5, 1, 0], [0, 4, 2], [1, 0, 3]]), class_names=list("abc")
    )
    assert list(fig.layout.xaxis.range) == [-0.5, 2.5] and fig.layout.xaxis.side == "bottom"
    assert list(fig.layout.yaxis.range) == [2.5, -0.5]  # reversed: first class on top
    assert fig.layout.xaxis.automargin and fig.layout.yaxis.automargin


def test_vector_figure_names_the_values() -> None:
    assert pi.vector_figure(np.arange(3.0)).layout.yaxis.title.text == "value"
    fig = pi.vector_figure(np.arange(3.0), names=list("abc"), value_label="logit (raw score)")
    assert fig.layout.yaxis.title.text == "logit (raw score)"
