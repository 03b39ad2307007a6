"""Data figures: built from tensors without a server; the numbers shown are the data's."""

from __future__ import annotations

import numpy as np
import torch

from cnnviz.data import registry as D
from cnnviz.data import pipeline
from cnnviz.plots.data import figures as P


def _bundle():
    x = torch.randint(0, 256, (40, 3, 8, 8), dtype=torch.uint8)
    y = torch.arange(40) % 4
    return x, y, ("a", "b", "c", "d")


def test_tile_places_every_image():
    x = torch.stack([torch.full((1, 4, 4), v, dtype=torch.uint8) for v in (10, 20, 30)])
    pic = P.tile(x, ncols=2, pad=1)
    assert pic.shape == (2 * 5 + 1, 2 * 5 + 1, 3) and pic.dtype == np.uint8
    assert (
        (pic[1:5, 1:5] == 10).all()
        and (pic[1:5, 6:10] == 20).all()
        and (pic[6:10, 1:5] == 30).all()
    )
    assert (pic[6:10, 6:10] == 255).all()  # empty slot stays white


def test_to_display_scales_floats():
    x = torch.tensor([[[[-2.0, 0.0, 2.0]]]])
    assert P.to_display(x).flatten().tolist() == [0, 128, 255]


def test_sample_grid_rows_per_class_and_labels():
    x, y, classes = _bundle()
    fig = P.sample_grid(x, y, classes, per_class=3)
    texts = [a.text for a in fig.layout.annotations]
    assert texts == [c for c in classes for _ in range(3)]
    assert fig.data[0].type == "image"
    few = P.sample_grid(
        x[:5], y[:5], classes, per_class=3
    )  # classes with fewer images keep rows aligned
    assert len(few.layout.annotations) == 12


def test_class_counts_match_bincount():
    _, y, classes = _bundle()
    fig = P.class_counts(
        classes, {"train": y, "validation": y[:8], "test": torch.zeros(0, dtype=torch.long)}
    )
    assert [t.name for t in fig.data] == ["train (40)", "validation (8)"]
    assert list(fig.data[0].y) == [10, 10, 10, 10]
    assert list(fig.data[1].y) == torch.bincount(y[:8], minlength=4).tolist()


def test_histograms_raw_and_normalized():
    x, _, _ = _bundle()
    norm = pipeline.fit_normalization("standardize", x)
    fig = P.pixel_histograms(x, norm.apply(x), bins=16)
    assert len(fig.data) == 6  # 3 channels × (raw, normalized)
    raw, fed = fig.data[0::2], fig.data[1::2]
    assert abs(sum(raw[0].y) - 1) < 1e-6  # shares of pixels
    assert raw[0].x[0] < 10 and raw[0].x[-1] > 245  # raw axis spans 0..255
    assert abs(sum(raw[0].y[:4]) - (x[:, 0] < 64).float().mean().item()) < 1e-6  # 16 levels per bin
    for k in range(3):  # the same bars, moved by (v/255 - mean)/std
        want = [(v / 255 - norm.mean[k]) / norm.std[k] for v in raw[k].x]
        assert np.allclose(fed[k].x, want, atol=1e-4) and list(fed[k].y) == list(raw[k].y)
    odd = P.pixel_histograms(x, norm.apply(x).pow(3), bins=8)  # not affine: its own histogram
    assert abs(sum(odd.data[1].y) - 1) < 1e-6
    stats = P.channel_stats(norm.apply(x))
    assert [s["channel"] for s in stats] == ["red", "green", "blue"]
    assert all(abs(s["mean"]) < 1e-4 and abs(s["std"] - 1) < 1e-3 for s in stats)


def test_batch_grid_title_has_tensor_shape():
    x, y, classes = _bundle()
    fig = P.batch_grid(x[:32].float(), y[:32], classes, max_images=16)
    assert "[32, 3, 8, 8]" in fig.layout.title.text and "first 16" in fig.layout.title.text
    assert [a.text for a in fig.layout.annotations] == [classes[int(i)] for i in y[:16]]
