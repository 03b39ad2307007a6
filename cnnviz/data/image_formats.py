"""The image formats cnnviz opens from users, and the one way to open them.

Pillow recognises dozens of formats by their first bytes, whatever the file is
called; some of them (EPS/PostScript, PDF) hand the file to an external
program (Ghostscript) on the server. A user's file (an upload in Inspect, an
image inside a ZIP or a folder) is therefore opened only with
``open_user_image``, which passes Pillow an allow-list: a PostScript file named
``cat.png`` is "not an image", and nothing else is started.
"""

from __future__ import annotations

from typing import IO, Any

# Pillow's format names; each decodes in-process, in Pillow's own C code.
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF", "PPM")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
FORMAT_WORDS = "PNG, JPEG, GIF, BMP, WebP, TIFF or PPM"


def open_user_image(fp: str | Any | IO[bytes], formats: tuple[str, ...] = IMAGE_FORMATS) -> Any:
    """``PIL.Image.open`` limited to ``formats`` (raises UnidentifiedImageError for any other)."""
    from PIL import Image

    return Image.open(fp, formats=list(formats))


__all__ = ["FORMAT_WORDS", "IMAGE_FORMATS", "IMAGE_SUFFIXES", "open_user_image"]
