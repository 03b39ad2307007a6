"""Pictures leave the server as PNG: the pixels decoded from the data URI are the figure's own."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image

from cnnviz.plots.data.figures import sample_grid
from cnnviz.plots.pictures import as_png


def _decode(uri: str) -> np.ndarray:
    head, data = uri.split(",", 1)
    assert head == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))


def test_an_image_trace_becomes_the_same_pixels_as_png_and_much_smaller():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (60, 3, 32, 32), dtype=torch.uint8, generator=g)
    x[:, :, :16] = 200  # a flat half, as real pictures have
    y = torch.arange(60) % 10
    fig = sample_grid(x, y, [str(i) for i in range(10)], per_class=6)
    pixels = np.asarray(fig.data[0].z).copy()
    before = len(fig.to_json())
    assert as_png(fig) is fig
    assert fig.data[0].z is None and fig.data[0].source.startswith("data:image/png;base64,")
    np.testing.assert_array_equal(_decode(fig.data[0].source), pixels)
    assert len(fig.to_json()) < before / 2
    assert fig.layout.annotations  # the labels stay
    src = fig.data[0].source
    as_png(fig)  # shown again: nothing left to convert
    assert fig.data[0].source == src


def test_other_traces_and_plain_dicts():
    heat = go.Figure(go.Heatmap(z=[[1, 2], [3, 4]]))
    as_png(heat)
    assert heat.data[0].z is not None  # a heatmap keeps its values (hover shows them)
    pic = np.zeros((4, 5, 3), dtype=np.uint8)
    pic[1, 2] = (255, 0, 0)
    d = {"data": [{"type": "image", "z": pic.tolist()}, {"type": "scatter", "y": [1]}]}
    as_png(d)
    assert "z" not in d["data"][0]
    np.testing.assert_array_equal(_decode(d["data"][0]["source"]), pic)
    assert d["data"][1] == {"type": "scatter", "y": [1]}


def _pixels(uri: str) -> tuple[str, np.ndarray]:
    head, data = uri.split(",", 1)
    return head, np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))


def test_a_big_noisy_picture_goes_to_the_screen_as_a_jpeg_close_to_its_pixels():
    from cnnviz.data.shapes_set import make_shapes
    from cnnviz.plots.pictures import png_data_uri

    x, y = make_shapes(200, seed=1)
    pixels = np.asarray(sample_grid(x, y, [str(i) for i in range(10)]).data[0].z)
    exact = png_data_uri(pixels)
    assert exact == png_data_uri(pixels, lossy_over=len(exact))  # not bigger: stays PNG
    small = png_data_uri(pixels, lossy_over=150_000)
    head, seen = _pixels(small)
    assert len(exact) > 150_000 * 4 / 3  # the PNG (base64) really is over the bound
    assert head == "data:image/jpeg;base64" and len(small) < len(exact) / 2
    assert seen.shape == pixels.shape
    assert np.abs(seen.astype(int) - pixels.astype(int)).mean() < 4  # q90, full colour
    fig = sample_grid(x, y, [str(i) for i in range(10)])
    as_png(fig, lossy_over=150_000)
    assert fig.data[0].source == small


def test_a_clean_picture_stays_an_exact_png_even_where_jpeg_is_allowed():
    digits = np.zeros((400, 400), dtype=np.uint8)
    digits[50:350:20, 40:360] = 255  # strokes on black, as MNIST: PNG is small and exact
    uri = png_data_uri_of(digits)
    assert len(uri) > 200  # over the bound below: the JPEG was tried, and lost
    head, seen = _pixels(uri)
    assert head == "data:image/png;base64"
    np.testing.assert_array_equal(seen[..., 0], digits)
    rgba = np.full((300, 300, 4), 7, dtype=np.uint8)
    rgba[..., :3] = np.random.default_rng(0).integers(0, 256, (300, 300, 3))
    assert png_data_uri_of(rgba).startswith("data:image/png")  # JPEG has no alpha


def png_data_uri_of(a: np.ndarray) -> str:
    from cnnviz.plots.pictures import png_data_uri

    return png_data_uri(a, lossy_over=100)
