"""Uploads: a digit that fills its frame is centred like MNIST (as the canvas does), and an
image far from the training images' statistics gets a warning."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import torch
from PIL import Image, ImageDraw

from cnnviz.data.shapes_set import make_shapes
from cnnviz.inspect.images import unlike_training
from cnnviz.ui.inspect.image import convert_upload

DIGITS = SimpleNamespace(
    input_shape=(1, 28, 28), dataset="mnist", classes=[str(i) for i in range(10)]
)


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def test_an_upload_that_fills_the_frame_is_centred_like_mnist():
    im = Image.new("L", (280, 280), 255)  # a pen digit on paper, edge to edge
    ImageDraw.Draw(im).line([(40, 0), (250, 279)], fill=0, width=40)
    chosen, error = convert_upload(_png(im), DIGITS, dark=True)
    assert error is None
    x = chosen.x[0, 0].numpy().astype(float)
    ys, xs = np.nonzero(x > 25)
    assert ys.max() - ys.min() + 1 <= 21 and xs.max() - xs.min() + 1 <= 21  # the 20×20 box
    cy, cx = (x.sum(1) * np.arange(28)).sum() / x.sum(), (x.sum(0) * np.arange(28)).sum() / x.sum()
    assert abs(cy - 14) < 1.0 and abs(cx - 14) < 1.0  # centre of mass at MNIST's (14, 14)
    assert any("like a drawing" in n and "centred by centre of mass" in n for n in chosen.notes)


def test_a_clean_red_circle_on_white_is_flagged_as_unlike_the_shapes_set():
    test_x, _ = make_shapes(300, size=64, channels=3, seed=1)
    assert unlike_training(test_x[:1], test_x[1:]) is None  # one of their own is not flagged
    im = Image.new("RGB", (64, 64), (255, 255, 255))
    ImageDraw.Draw(im).ellipse([12, 12, 52, 52], fill=(220, 0, 0))
    x = torch.from_numpy(np.asarray(im).copy()).permute(2, 0, 1)[None]
    why = unlike_training(x, test_x)
    assert why is not None and "unlike the training images" in why
