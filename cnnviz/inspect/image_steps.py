"""The conversion steps from a decoded picture to the network's channels and size (Pillow only).

Each step appends what it did, in plain words, to ``notes``. Used by ``cnnviz.images``.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from PIL import Image, ImageOps


class ImageError(ValueError):
    """The file cannot be used as an image; the message says why and what to do."""


class Fit(StrEnum):
    CROP = "crop"  # cut the centre to the network's aspect ratio, then resize
    PAD = "pad"  # resize to fit inside, then fill the border with the background


def _to_8bit(im: Image.Image, notes: list[str]) -> Image.Image:
    """Modes with more than 8 bits per value (I;16, I, F) scaled to 0..255 gray."""
    mode = im.mode
    if not (mode.startswith("I") or mode == "F"):
        return im
    a = np.asarray(im, dtype=np.float64)
    if mode.startswith("I;16"):
        a = a / 257.0
        notes.append("16-bit pixels scaled to 0..255")
    else:
        lo, hi = float(a.min()), float(a.max())
        if lo < 0 or hi > 255 or mode == "F":
            a = (a - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(a)
            notes.append(f"{mode} pixels from {lo:g}..{hi:g} stretched to 0..255")
    return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), "L")


def _flatten_alpha(im: Image.Image, background: int, notes: list[str]) -> Image.Image:
    """Transparent parts composited on a plain background; the result is L or RGB."""
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        im.mode == "P" and "transparency" in im.info
    )
    if im.mode == "1":
        return im.convert("L")
    if not has_alpha:
        if im.mode in ("L", "RGB"):
            return im
        if im.mode == "P":
            return im.convert("RGB")
        notes.append(f"{im.mode} colours converted to RGB")
        return im.convert("RGB")
    rgba = im.convert("RGBA")
    if rgba.getchannel("A").getextrema()[0] < 255:
        name = "white" if background else "black"
        notes.append(f"transparent parts filled with {name}")
    bg = Image.new("RGBA", rgba.size, (background, background, background, 255))
    out = Image.alpha_composite(bg, rgba)
    return out.convert("L" if im.mode in ("LA", "La") else "RGB")


def _to_channels(im: Image.Image, channels: int, notes: list[str]) -> Image.Image:
    if channels == 1:
        if im.mode != "L":
            notes.append("colour turned to gray (luma: 0.299 R + 0.587 G + 0.114 B), 1 channel")
            im = im.convert("L")
        return im
    if channels == 3:
        if im.mode != "RGB":
            notes.append("gray copied into 3 channels (R = G = B)")
            im = im.convert("RGB")
        return im
    raise ImageError(
        f"the network expects {channels} input channels; an image has 1 (gray) or 3 (RGB): "
        "build the network with input [1, H, W] or [3, H, W]"
    )


def _resize(
    im: Image.Image,
    size: tuple[int, int],
    fit: Fit,
    background: int,
    notes: list[str],
    label: tuple[int, int] | None = None,
) -> Image.Image:
    """To (h, w) keeping the aspect ratio; ``label``: the size to name in the note (the file's)."""
    h, w = size
    if im.size == (w, h):
        return im
    src_w, src_h = im.size
    if fit is Fit.CROP:
        out = ImageOps.fit(im, (w, h), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))
        same = abs(src_w * h - src_h * w) <= max(src_w, src_h)
        shape = "a square" if w == h else f"the network's {w}:{h} shape"
        how = "resized" if same else f"centre-cropped to {shape} and resized"
    else:
        color = background if im.mode == "L" else (background,) * 3
        out = ImageOps.pad(
            im, (w, h), method=Image.Resampling.LANCZOS, color=color, centering=(0.5, 0.5)
        )
        same = abs(src_w * h - src_h * w) <= max(src_w, src_h)
        how = "resized" if same else "resized to fit and padded"
    lw, lh = label or im.size
    notes.append(f"{how} from {lw}×{lh} to {w}×{h}")
    return out
