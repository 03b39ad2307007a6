"""User images: odd modes and sizes become exactly the network's input; bad files are refused."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from cnnviz.data.image_formats import FORMAT_WORDS
from cnnviz.inspect.image_steps import ImageError
from cnnviz.inspect.images import LIMITS, MAX_BYTES, Converted, from_drawing, to_model_input


def encode(im: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def check(conv: Converted, channels: int, h: int, w: int) -> None:
    assert conv.tensor.dtype == torch.uint8
    assert tuple(conv.tensor.shape) == (1, channels, h, w)
    # the preview is exactly what the tensor holds
    back = conv.tensor[0, 0] if channels == 1 else conv.tensor[0].permute(1, 2, 0)
    assert np.array_equal(conv.preview, back.numpy())
    assert np.array_equal(np.asarray(conv.preview_image()), conv.preview)


def test_rgba_on_white_or_black() -> None:
    im = Image.new("RGBA", (40, 40), (0, 0, 0, 0))  # fully transparent ...
    im.paste((255, 0, 0, 255), (10, 10, 30, 30))  # ... with an opaque red square
    data = encode(im)
    light = to_model_input(data, channels=3, size=40)
    check(light, 3, 40, 40)
    assert tuple(light.preview[0, 0]) == (255, 255, 255)  # background white
    assert tuple(light.preview[20, 20]) == (255, 0, 0)
    dark = to_model_input(data, channels=1, size=40, dark_background=True)
    check(dark, 1, 40, 40)
    assert dark.preview[0, 0] == 0 and dark.preview[20, 20] == 76  # luma of pure red
    assert any("transparent" in n for n in dark.notes)


def test_palette_la_cmyk_and_1bit() -> None:
    p = Image.new("P", (10, 10))
    p.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    p.paste(1, (0, 0, 5, 10))
    conv = to_model_input(encode(p), channels=3, size=10)
    check(conv, 3, 10, 10)
    assert tuple(conv.preview[0, 0]) == (0, 0, 255) and tuple(conv.preview[0, 9]) == (0, 0, 0)

    p.info["transparency"] = 0  # colour 0 (black) transparent, as GIFs do
    seen = to_model_input(encode(p), channels=3, size=10)
    assert tuple(seen.preview[0, 9]) == (255, 255, 255) and tuple(seen.preview[0, 0]) == (0, 0, 255)

    la = Image.new("LA", (8, 8), (200, 255))
    check(to_model_input(encode(la), channels=1, size=8), 1, 8, 8)

    cmyk = Image.new("CMYK", (12, 12), (0, 255, 255, 0))  # red in CMYK
    conv = to_model_input(encode(cmyk, "JPEG"), channels=3, size=12)
    check(conv, 3, 12, 12)
    r, g, b = (int(v) for v in conv.preview[6, 6])
    assert r > 200 and g < 60 and b < 60

    one = Image.new("1", (16, 16), 0)
    one.paste(1, (0, 0, 8, 16))
    conv = to_model_input(encode(one), channels=1, size=16)
    check(conv, 1, 16, 16)
    assert conv.preview[0, 0] == 255 and conv.preview[0, 15] == 0


def test_16_bit_is_scaled_not_clipped() -> None:
    a = np.full((10, 10), 65535, np.uint16)
    a[:, :5] = 32768
    im = Image.fromarray(a)
    assert im.mode.startswith("I;16")
    conv = to_model_input(encode(im), channels=1, size=10)
    check(conv, 1, 10, 10)
    assert conv.preview[0, 9] == 255 and conv.preview[0, 0] == 128
    assert any("16-bit" in n for n in conv.notes)


def test_gray_to_three_channels_and_rgb_to_one() -> None:
    gray = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 4)
    conv = to_model_input(encode(gray), channels=3, size=8)
    check(conv, 3, 8, 8)
    assert torch.equal(conv.tensor[0, 0], conv.tensor[0, 1]) and torch.equal(
        conv.tensor[0, 1], conv.tensor[0, 2]
    )
    rgb = Image.new("RGB", (8, 8), (10, 200, 30))
    conv = to_model_input(encode(rgb), channels=1, size=8)
    check(conv, 1, 8, 8)
    ref = np.asarray(Image.new("RGB", (8, 8), (10, 200, 30)).convert("L"))
    assert np.array_equal(conv.preview, ref)  # Pillow's luma, same as torchvision's Grayscale


def test_aspect_ratio_crop_or_pad() -> None:
    im = Image.new("L", (100, 50), 255)  # wide and white
    crop = to_model_input(encode(im), channels=1, size=(28, 28))
    check(crop, 1, 28, 28)
    assert crop.preview.min() == 255
    assert any("centre-cropped" in n for n in crop.notes)
    pad = to_model_input(
        encode(im), channels=1, size=28, fit="pad", dark_background=True, invert=False
    )
    check(pad, 1, 28, 28)
    assert pad.preview[0, 14] == 0 and pad.preview[14, 14] == 255  # black bars above and below
    assert any("padded" in n for n in pad.notes)
    rect = to_model_input(encode(im), channels=1, size=(20, 30))
    check(rect, 1, 20, 30)


def test_dark_on_light_is_inverted_for_light_on_dark_data() -> None:
    im = Image.new("L", (28, 28), 255)
    im.paste(0, (12, 4, 16, 24))  # a black stroke on white paper
    conv = to_model_input(encode(im), channels=1, size=28, dark_background=True)
    assert conv.preview[0, 0] == 0 and conv.preview[14, 14] == 255
    assert any("inverted" in n for n in conv.notes)
    same = to_model_input(encode(im), channels=1, size=28)  # light data: untouched
    assert same.preview[0, 0] == 255


def test_big_photo_gif_frames_and_file_objects(tmp_path) -> None:
    big = Image.new("RGB", (3000, 2000), (0, 128, 0))
    conv = to_model_input(io.BytesIO(encode(big, "JPEG")), channels=3, size=64)
    check(conv, 3, 64, 64)
    frames = [Image.new("L", (9, 9), v) for v in (10, 250)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    gif = to_model_input(buf.getvalue(), channels=1, size=9)
    assert abs(int(gif.preview[0, 0]) - 10) <= 2
    assert any("first of 2 frames" in n for n in gif.notes)
    path = tmp_path / "x.webp"
    Image.new("RGB", (5, 5), (1, 2, 3)).save(path, "WEBP", lossless=True)
    check(to_model_input(path, channels=3, size=5), 3, 5, 5)
    bmp = to_model_input(encode(Image.new("RGB", (5, 5)), "BMP"), channels=1, size=5)
    assert bmp.format == "BMP"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_decompression_bomb_is_refused() -> None:
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)  # 10^10 gray pixels claimed
    idat = zlib.compress(b"\x00" * 1000)
    png = (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )
    with pytest.raises(ImageError) as err:
        to_model_input(png, channels=1, size=28)
    assert str(err.value) == (
        "the image is too large: more than 40 million pixels; resize it first"
    )


def test_a_big_photo_is_refused_in_plain_words() -> None:
    buf = io.BytesIO()
    Image.new("L", (8000, 8000)).save(buf, "PNG")  # 64 million pixels: over the 40 million limit
    with pytest.raises(ImageError) as err:
        to_model_input(buf.getvalue(), channels=1, size=28)
    assert "64 million pixels, the limit is 40 million; resize it first" in str(err.value)
    assert "bomb" not in str(err.value) and "40 million pixels" in LIMITS


def test_zero_size_image_is_refused() -> None:
    ihdr = struct.pack(">IIBBBBB", 0, 10, 8, 0, 0, 0, 0)  # 0 pixels wide
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b""))
    with pytest.raises(ImageError, match="PNG, JPEG"):
        to_model_input(png + _chunk(b"IEND", b""), channels=1, size=28)


def test_truncated_random_empty_and_oversized_files() -> None:
    png = encode(
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    )
    with pytest.raises(ImageError, match="truncated"):
        to_model_input(png[: len(png) // 2], channels=3, size=28)
    with pytest.raises(ImageError) as err:
        to_model_input(np.random.default_rng(1).bytes(5000), channels=3, size=28)
    assert str(err.value) == f"this file is not an image ({FORMAT_WORDS})"
    with pytest.raises(ImageError, match="empty"):
        to_model_input(b"", channels=3, size=28)
    with pytest.raises(ImageError, match="MiB"):
        to_model_input(b"\x00" * (MAX_BYTES + 1), channels=3, size=28)
    with pytest.raises(ImageError, match="channels"):
        to_model_input(png, channels=2, size=28)


def test_drawing_is_centred_and_scaled_like_mnist() -> None:
    canvas = np.zeros((280, 280, 4), np.uint8)  # transparent canvas
    canvas[20:120, 200:240] = (255, 255, 255, 255)  # a stroke in the top-right corner
    conv = from_drawing(canvas)
    check(conv, 1, 28, 28)
    a = conv.preview.astype(np.float64)
    ys, xs = np.nonzero(a > 30)
    assert ys.max() - ys.min() + 1 <= 21 and ys.max() - ys.min() + 1 >= 19  # the 20-px box
    cy = (a.sum(1) * np.arange(28)).sum() / a.sum()
    cx = (a.sum(0) * np.arange(28)).sum() / a.sum()
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5  # centre of mass at (14, 14), as in MNIST
    assert conv.preview[0, 0] == 0  # white on black


def test_drawing_black_on_white_and_empty() -> None:
    canvas = np.full((100, 100, 4), 255, np.uint8)  # opaque white canvas
    canvas[30:70, 45:55, :3] = 0  # black stroke
    conv = from_drawing(canvas)
    assert conv.preview.max() > 200 and conv.preview[0, 0] == 0
    with pytest.raises(ImageError, match="empty"):
        from_drawing(np.zeros((50, 50, 4), np.uint8))


def test_truncated_jpeg_exif_rotation_and_jpeg_draft() -> None:
    photo = Image.fromarray(
        np.random.default_rng(2).integers(0, 255, (600, 800, 3), dtype=np.uint8)
    )
    jpg = encode(photo, "JPEG", quality=90)
    with pytest.raises(ImageError, match="truncated"):
        to_model_input(jpg[: len(jpg) // 3], channels=3, size=28)
    tall = Image.new("RGB", (40, 20), (255, 255, 255))
    tall.paste((0, 0, 0), (0, 0, 20, 20))  # left half black
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    conv = to_model_input(encode(tall, "JPEG", exif=exif), channels=1, size=(40, 20), fit="pad")
    assert any("EXIF" in n for n in conv.notes)
    assert conv.preview[:10].mean() < 60 and conv.preview[-10:].mean() > 200  # black now on top
    big = to_model_input(
        encode(Image.new("RGB", (4000, 3000), (200, 10, 10)), "JPEG"), channels=3, size=32
    )
    assert big.original_size == (4000, 3000)
    r, g, b = (int(v) for v in big.preview[16, 16])
    assert r > 170 and g < 50 and b < 50


def _mnist_digits(folder, n: int) -> np.ndarray:
    import gzip

    raw = gzip.decompress((folder / "t10k-images-idx3-ubyte.gz").read_bytes())
    return np.frombuffer(raw[16 : 16 + n * 784], np.uint8).reshape(n, 28, 28)


def test_real_digits_round_trip(shared_mnist) -> None:
    """A digit saved as dark-on-light PNG comes back exactly; a digit redrawn large on a canvas
    comes back close to the original (MNIST's own centring and scaling)."""
    for digit in _mnist_digits(shared_mnist, 5):
        paper = Image.fromarray(255 - digit)  # how a student would scan it: dark ink on paper
        conv = to_model_input(encode(paper), channels=1, size=28, dark_background=True)
        assert np.array_equal(conv.preview, digit)
        canvas = np.zeros((280, 280, 4), np.uint8)
        big = np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR))
        canvas[..., :3] = 255
        canvas[..., 3] = big  # white strokes on a transparent canvas
        drawn = from_drawing(canvas).preview.astype(np.float64)
        corr = np.corrcoef(drawn.ravel(), digit.astype(np.float64).ravel())[0, 1]
        assert corr > 0.85, corr
