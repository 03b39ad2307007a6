"""A user's own image (upload or canvas drawing) -> exactly what the network receives.

Uploads: PNG, JPEG, GIF, BMP, WebP (anything Pillow opens) of any size and mode.
Steps, each reported in ``notes``: first frame only; photo orientation from
EXIF; 16-bit / 32-bit / float pixels scaled to 0..255; transparency composited
on white (or black for white-on-black data such as MNIST); palette, CMYK, 1-bit
etc. to RGB or grayscale; to the network's channels (RGB -> gray by luma, gray ->
RGB by copying); to its H×W keeping the aspect ratio (centre-crop or pad);
optionally inverted for white-on-black data when the picture is dark-on-light.

Refused with ``ImageError`` (a message naming the cause and the fix): an empty
file, a file over ``MAX_BYTES``, something that is not an image, a truncated
image, one with more than ``MAX_PIXELS`` pixels (a huge scan, or a decompression
bomb), zero size. ``LIMITS`` says the limits in words, for upload labels.

API::

    conv = to_model_input(data, channels=1, size=28, dark_background=True)
    conv.tensor    # uint8 [1, C, H, W]  (normalize it like the training data)
    conv.preview   # numpy uint8 [H, W] or [H, W, 3]: the same pixels, for st.image
    conv.notes     # list[str] of what was done
    conv = from_drawing(canvas_rgba, like="mnist")   # centred by mass, 20×20 box in 28×28
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from cnnviz.data.image_formats import FORMAT_WORDS, open_user_image
from cnnviz.inspect.image_steps import (
    Fit,
    ImageError,
    _flatten_alpha,
    _resize,
    _to_8bit,
    _to_channels,
)

MAX_BYTES = 20 * 2**20  # uploads larger than this are refused
MAX_PIXELS = 40_000_000  # e.g. 8000×5000; larger is treated as a decompression bomb
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
LIMITS = f"up to {MAX_BYTES // 2**20} MB and {MAX_PIXELS // 10**6} million pixels"


@dataclass(frozen=True)
class Converted:
    tensor: torch.Tensor  # uint8 [1, C, H, W]: what the network receives (before normalization)
    preview: np.ndarray  # uint8 [H, W] (C = 1) or [H, W, 3]: the same pixels
    notes: list[str] = field(default_factory=list)
    original_size: tuple[int, int] = (0, 0)  # (width, height) of the file's image
    original_mode: str = ""  # Pillow mode, e.g. "RGBA", "P", "I;16"
    format: str = ""  # "PNG", "JPEG", ... ("drawing" for the canvas)

    def preview_image(self) -> Image.Image:
        return Image.fromarray(self.preview)

    def normalized(self, normalization: Any) -> torch.Tensor:
        """The float input for the network (normalization: .apply, a callable, or None = /255)."""
        from cnnviz.inspect.evaluate import as_normalizer

        return as_normalizer(normalization)(self.tensor).float()


def _read_bytes(source: bytes | bytearray | str | Path | IO[bytes]) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, Path)):
        p = Path(source)
        if not p.is_file():
            raise ImageError(f"no file at {p}")
        if p.stat().st_size > MAX_BYTES:
            raise ImageError(_too_big(p.stat().st_size))
        data = p.read_bytes()
    elif hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(MAX_BYTES + 1)
    else:
        raise ImageError(f"cannot read an image from {type(source).__name__}")
    if not data:
        raise ImageError("the file is empty (0 bytes): choose an image file")
    if len(data) > MAX_BYTES:
        raise ImageError(_too_big(len(data)))
    return data


def _too_many_pixels(w: int, h: int) -> str:
    limit = MAX_PIXELS // 10**6
    if not w * h:  # Pillow refused it before telling its size
        return f"the image is too large: more than {limit} million pixels; resize it first"
    return (
        f"the image is too large: {w}×{h} is {w * h / 1e6:,.0f} million pixels, "
        f"the limit is {limit} million; resize it first"
    )


def _too_big(n: int) -> str:
    return (
        f"the file is {n / 2**20:.1f} MiB, more than the {MAX_BYTES // 2**20} MiB accepted: "
        "save a smaller copy (the network only sees a few dozen pixels)"
    )


def open_image(
    source: bytes | str | Path | IO[bytes], *, draft: tuple[int, int] | None = None
) -> Image.Image:
    """The file's first frame, fully decoded, or ImageError. Never keeps the file open.

    ``draft`` (width, height): a JPEG may be decoded at a reduced scale no smaller than this
    (much faster for big photos that end up a few dozen pixels wide).
    """
    data = _read_bytes(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = open_user_image(io.BytesIO(data))  # allow-list: never Ghostscript
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise ImageError(_too_many_pixels(w, h))
            if w == 0 or h == 0:
                raise ImageError(f"the image has zero size ({w}×{h}): choose another file")
            fmt = im.format or ""
            if draft is not None and fmt == "JPEG":
                im.draft(im.mode, (max(draft[0], 1) * 4, max(draft[1], 1) * 4))
            im.load()
            im.info["original_size"] = (w, h)  # before any draft reduction
    except ImageError:
        raise
    except UnidentifiedImageError as e:
        raise ImageError(f"this file is not an image ({FORMAT_WORDS})") from e
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageError(_too_many_pixels(0, 0)) from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        msg = str(e)
        if "truncated" in msg.lower() or isinstance(e, EOFError):
            raise ImageError(
                "the image file is cut off (truncated): upload the complete file again"
            ) from e
        raise ImageError(
            f"the image could not be decoded ({msg}): save it again as PNG or JPEG"
        ) from e
    im.format = fmt  # type: ignore[misc]  (kept for notes; load() may drop it on some plugins)
    return im


def _as_size(size: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    if isinstance(size, int):
        size = (size, size)
    h, w = (int(v) for v in size)
    if not (1 <= h <= 1024 and 1 <= w <= 1024):
        raise ImageError(f"the network's input size {h}×{w} is outside 1..1024")
    return h, w


def _pack(arr: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(np.array(arr, dtype=np.uint8, copy=True))
    return (t[None] if t.dim() == 2 else t.permute(2, 0, 1))[None].contiguous()  # (1, C, H, W)


def to_model_input(
    source: bytes | str | Path | IO[bytes],
    *,
    channels: int,
    size: int | tuple[int, int],
    dark_background: bool = False,
    fit: Fit | str = Fit.CROP,
    invert: bool | None = None,
) -> Converted:
    """An image file (bytes, path or file object such as Streamlit's UploadedFile) as network input.

    ``channels`` 1 or 3, ``size`` H or (H, W): the network's input. ``dark_background``:
    the data set is light-on-dark (MNIST): transparency becomes black and, when
    ``invert`` is None, a picture that is mostly light is inverted. ``fit``: "crop"
    (centre-crop to the aspect ratio) or "pad". Raises ImageError.
    """
    hw = _as_size(size)
    notes: list[str] = []
    im = open_image(source, draft=(hw[1], hw[0]))
    fmt, mode, orig = im.format or "", im.mode, im.info.get("original_size", im.size)
    if getattr(im, "n_frames", 1) > 1:
        notes.append(f"first of {im.n_frames} frames used")
    if fmt and fmt not in FORMATS:
        notes.append(f"{fmt} file read by Pillow (PNG, JPEG, GIF, BMP and WebP are the usual ones)")
    transposed = ImageOps.exif_transpose(im)
    if transposed is not None and transposed.size != im.size:
        notes.append("rotated as the photo's EXIF orientation says")
    im = transposed if transposed is not None else im
    background = 0 if dark_background else 255
    im = _to_8bit(im, notes)
    im = _flatten_alpha(im, background, notes)
    im = _to_channels(im, channels, notes)
    rotated = any("EXIF" in n for n in notes)
    im = _resize(im, hw, Fit(fit), background, notes, None if rotated else orig)
    arr = np.asarray(im, dtype=np.uint8)
    if invert is None:
        invert = dark_background and _border_mean(arr) > 127
        if invert:
            notes.append(
                "inverted (light-on-dark, like the training images): the picture was dark on light"
            )
    elif invert:
        notes.append("inverted")
    if invert:
        arr = 255 - arr
    return Converted(_pack(arr), arr.copy(), notes, orig, mode, fmt)


def _border_mean(arr: np.ndarray) -> float:
    """The mean value along the image's edge (the background, usually)."""
    a = arr.astype(np.float64)
    return float(
        np.concatenate([a[0].ravel(), a[-1].ravel(), a[:, 0].ravel(), a[:, -1].ravel()]).mean()
    )


def _ink(rgba: np.ndarray) -> np.ndarray:
    """float [H, W] in 0..1: how much was drawn at each pixel (1 = full stroke)."""
    a = np.asarray(rgba)
    if a.ndim == 2:
        gray = a.astype(np.float64)
        alpha = None
    elif a.ndim == 3 and a.shape[2] in (1, 3, 4):
        rgb = a[..., :3].astype(np.float64)
        gray = rgb.mean(-1) if a.shape[2] >= 3 else rgb[..., 0]
        alpha = a[..., 3].astype(np.float64) / 255.0 if a.shape[2] == 4 else None
    else:
        raise ImageError(f"a drawing is an [H, W, 4] RGBA array, got shape {list(a.shape)}")
    if gray.max() > 1.0 or a.dtype == np.uint8:
        gray = gray / 255.0
    if alpha is not None and alpha.min() < 1.0:  # strokes on a transparent canvas
        return alpha
    return 1.0 - gray if np.median(gray) > 0.5 else gray  # dark-on-light drawings are inverted


def from_drawing(
    rgba: np.ndarray, *, like: str = "mnist", size: int = 28, box: int = 20
) -> Converted:
    """A canvas drawing as an MNIST-style digit: white on black, the strokes scaled so the
    longer side is ``box`` px (20), placed in ``size``×``size`` (28) with the centre of mass
    at the centre, the way LeCun et al. prepared MNIST. ``like="plain"`` only resizes.
    Raises ImageError for an empty canvas."""
    ink = _ink(rgba)
    notes: list[str] = []
    ys, xs = np.nonzero(ink > 0.1)
    if ys.size == 0:
        raise ImageError("the canvas is empty: draw a digit first")
    if like != "mnist":
        im = Image.fromarray(np.uint8(np.clip(ink * 255, 0, 255)), "L").resize(
            (size, size), Image.Resampling.LANCZOS
        )
        arr = np.asarray(im, dtype=np.uint8)
        return Converted(
            _pack(arr),
            arr.copy(),
            [f"resized to {size}×{size}"],
            ink.shape[::-1],
            "RGBA",
            "drawing",
        )
    crop = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    ch, cw = crop.shape
    scale = box / max(ch, cw)
    nh, nw = max(1, round(ch * scale)), max(1, round(cw * scale))
    small = Image.fromarray(np.uint8(np.clip(crop * 255, 0, 255)), "L").resize(
        (nw, nh), Image.Resampling.LANCZOS
    )
    s = np.asarray(small, dtype=np.float64)
    total = s.sum()
    if total <= 0:
        raise ImageError("the drawing is too faint: draw with a thicker stroke")
    cy = (s.sum(1) * np.arange(nh)).sum() / total
    cx = (s.sum(0) * np.arange(nw)).sum() / total
    # MNIST's digits have their centre of mass at pixel (14, 14) of 28×28 (index coordinates);
    # the shift is sub-pixel (bilinear), and clamped so the whole digit stays inside
    top = min(max(size / 2 - cy, 0.0), float(size - nh))
    left = min(max(size / 2 - cx, 0.0), float(size - nw))
    placed = small.transform(
        (size, size),
        Image.Transform.AFFINE,
        (1, 0, -left, 0, 1, -top),
        resample=Image.Resampling.BILINEAR,
        fillcolor=0,
    )
    out = np.asarray(placed, dtype=np.uint8).copy()
    notes.append(
        f"strokes cropped ({cw}×{ch} px), scaled to fit a {box}×{box} box, centred by centre of mass "
        f"in {size}×{size}, white on black (how MNIST was made)"
    )
    return Converted(_pack(out), out.copy(), notes, (ink.shape[1], ink.shape[0]), "RGBA", "drawing")


def centre_like_mnist(arr: np.ndarray, *, size: int = 28, box: int = 20) -> Converted:
    """A light-on-dark digit (uint8 [H, W], already the network's size) cropped to its strokes,
    scaled into a ``box``×``box`` square and centred by mass, exactly as ``from_drawing`` does
    for the canvas, so an upload that fills its frame looks like an MNIST digit.
    Raises ImageError for a picture with no strokes."""
    return from_drawing(np.asarray(arr, dtype=np.uint8), like="mnist", size=size, box=box)


def unlike_training(
    x: torch.Tensor, reference: torch.Tensor, *, z_limit: float = 3.0
) -> str | None:
    """Why the image ``x`` (uint8 [1, C, H, W]) looks unlike ``reference`` (uint8 [N, C, H, W],
    e.g. the test images), or None: its brightness per channel, and its contrast, compared with
    the spread of the reference images' own (more than ``z_limit`` standard deviations away)."""
    ref = reference[:2000].float()
    img = x.float()
    means, stds = ref.mean(dim=(2, 3)), ref.std(dim=(2, 3))  # (N, C): each image's own
    m, s = img.mean(dim=(2, 3))[0], img.std(dim=(2, 3))[0]  # (C,)

    def z(v: torch.Tensor, col: torch.Tensor) -> torch.Tensor:
        return (v - col.mean(0)).abs() / col.std(0).clamp_min(1.0)

    zm, zs = z(m, means), z(s, stds)
    if float(torch.maximum(zm, zs).max()) <= z_limit:
        return None
    avg, spread = means.mean().item(), means.mean(1).std().item()
    return (
        f"This image is unlike the training images: its mean pixel value is {m.mean().item():.0f} "
        f"(the test images: {avg:.0f} ± {spread:.0f}) and its contrast {s.mean().item():.0f} "
        f"(theirs: {stds.mean().item():.0f}). The network has only seen images like those, so "
        "its answer, however sure, may mean little."
    )
