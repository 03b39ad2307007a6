"""A small drawing canvas for digit-like data (1×28×28), built on Streamlit custom components v2.

Streamlit 1.67 has no drawing widget; ``st.components.v2.component`` takes inline
HTML/CSS/JS and lets the JavaScript hand values back to Python with
``setStateValue``. The canvas draws white strokes on black (how MNIST looks) and,
after every stroke, sends the picture as a PNG data URL. ``drawing()`` decodes it
into an RGBA ``numpy`` array (H, W, 4) for ``cnnviz.images.from_drawing``; no extra
package is needed.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import streamlit as st

_HTML = """
<div class="cnv-wrap">
  <canvas class="cnv" width="280" height="280"></canvas>
  <div class="cnv-bar">
    <button class="cnv-clear" type="button">Clear</button>
    <span class="cnv-hint">Draw one digit, large, in the middle.</span>
  </div>
</div>
"""

_CSS = """
.cnv-wrap { display: inline-block; font-family: var(--st-font); color: var(--st-text-color); }
.cnv { background: #000; border-radius: 6px; touch-action: none; cursor: crosshair;
       width: 280px; height: 280px; display: block; }
.cnv-bar { display: flex; gap: 0.75rem; align-items: center; margin-top: 0.4rem; }
.cnv-clear { font: inherit; padding: 0.25rem 0.9rem; border-radius: 0.5rem; cursor: pointer;
             border: 1px solid rgba(128, 128, 128, 0.5); background: var(--st-background-color);
             color: var(--st-text-color); }
.cnv-hint { opacity: 0.7; font-size: 0.9rem; }
"""

_JS = """
export default function({ parentElement, setStateValue }) {
  const canvas = parentElement.querySelector("canvas.cnv");
  if (canvas.dataset.ready) return;  // called again on every rerun: bind once
  canvas.dataset.ready = "1";
  const ctx = canvas.getContext("2d");
  const blank = () => { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height); };
  blank();
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 22; ctx.lineCap = "round"; ctx.lineJoin = "round";
  let drawing = false, last = null;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  };
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true; last = at(e); canvas.setPointerCapture(e.pointerId);
    ctx.beginPath(); ctx.arc(last[0], last[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fillStyle = "#fff"; ctx.fill();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    const p = at(e);
    ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
    last = p;
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    setStateValue("png", canvas.toDataURL("image/png"));
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointerleave", end);
  parentElement.querySelector("button.cnv-clear").addEventListener("click", () => {
    blank(); setStateValue("png", null);
  });
}
"""

_canvas = st.components.v2.component("cnnviz_digit_canvas", html=_HTML, css=_CSS, js=_JS)


def decode_png_data_url(url: str) -> np.ndarray | None:
    """The RGBA pixels (H, W, 4) of a ``data:image/png;base64,...`` URL, or None if it is not one."""
    from PIL import UnidentifiedImageError

    from cnnviz.data.image_formats import open_user_image

    head, _, body = url.partition(",")
    if not head.startswith("data:image/png") or not body:
        return None
    try:
        raw = base64.b64decode(body, validate=True)
        if len(raw) > 8 * 2**20:
            return None
        with open_user_image(io.BytesIO(raw), formats=("PNG",)) as im:
            if im.width * im.height > 2000 * 2000:
                return None
            return np.asarray(im.convert("RGBA"))
    except (ValueError, OSError, UnidentifiedImageError):
        return None


def drawing(key: str = "inspect_canvas") -> np.ndarray | None:
    """Show the canvas; the current drawing as RGBA (H, W, 4) uint8, or None while it is empty."""
    result = _canvas(key=key, default={"png": None}, on_png_change=lambda: None, width="content")
    url = getattr(result, "png", None)
    if not url:
        return None
    pixels = decode_png_data_url(url)
    if pixels is None or not pixels[..., :3].any():
        return None
    return pixels
