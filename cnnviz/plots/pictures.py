"""Pictures in figures travel as PNG: a ``go.Image`` trace's pixels as a data URI.

A ``go.Image`` built from ``z`` sends every pixel as JSON numbers: a 64-sample grid of
64×64 colour images is ~3.3 MB that the browser parses and paints pixel by pixel, on
every page that shows it. The same picture as a PNG ``source`` is a few hundred KB that
the browser decodes natively. The figures keep building from ``z`` (tests read the
pixels back); ``as_png`` converts just before a figure leaves the server (the app's
``show``, the presentation's HTML).

Noisy photographs barely compress as PNG (the Shapes preview grid: ~600 KB). Where a
lossy copy is acceptable (the app's screens, not the presentation file), ``lossy_over``
sends a picture whose PNG is bigger than that many bytes as a JPEG (quality 90, full
colour resolution) when that is under half the size: the same grid in ~160 KB, encoded
ten times faster. Clean pictures (digits, feature maps) stay exact PNGs.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

JPEG_QUALITY = 90


def png_data_uri(image: Any, *, optimize: bool = False, lossy_over: int | None = None) -> str:
    """uint8 [H, W] or [H, W, 3] (or [H, W, 4]) as a ``data:image/png;base64,...`` URI;
    with ``lossy_over``, a ``data:image/jpeg`` one instead when the PNG is bigger than that
    many bytes and the JPEG is under half its size (RGB or grey pictures only)."""
    from PIL import Image

    a = np.asarray(image)
    if a.dtype != np.uint8:
        a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    picture = Image.fromarray(a)
    buf = io.BytesIO()
    picture.save(buf, format="PNG", optimize=optimize)
    if lossy_over is not None and buf.tell() > lossy_over and picture.mode in ("L", "RGB"):
        jpeg = io.BytesIO()
        picture.save(jpeg, format="JPEG", quality=JPEG_QUALITY, subsampling=0)
        if 2 * jpeg.tell() < buf.tell():
            return "data:image/jpeg;base64," + base64.b64encode(jpeg.getvalue()).decode("ascii")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def as_png(fig: Any, *, optimize: bool = False, lossy_over: int | None = None) -> Any:
    """``fig`` with each ``go.Image`` trace's pixels (``z``) replaced by a PNG ``source``
    (a JPEG one where ``lossy_over`` allows it, see ``png_data_uri``).

    Changes ``fig`` in place and returns it: figures are cached and shown again, and the
    second time there is nothing left to convert. Safe when two sessions show the same
    cached figure at once (each reads ``z`` once; both write the same PNG).
    """
    if isinstance(fig, dict):  # a figure as a plain dict (the live charts)
        for trace in fig.get("data", ()):
            z = trace.get("z") if trace.get("type") == "image" else None
            if z is not None:
                trace["source"] = png_data_uri(
                    np.asarray(z), optimize=optimize, lossy_over=lossy_over
                )
                trace.pop("z", None)
        return fig
    for trace in fig.data:
        if trace.type != "image":
            continue
        z = trace.z
        if z is None:
            continue
        src = png_data_uri(np.asarray(z), optimize=optimize, lossy_over=lossy_over)
        trace.update(source=src, z=None)
    return fig


__all__ = ["as_png", "png_data_uri"]
