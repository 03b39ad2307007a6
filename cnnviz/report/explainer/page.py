"""The explainer as HTML: a fragment for the presentation, or a page of its own.

``explainer_data(...)`` gathers what the page needs (the network from ``payload``, a few
dozen test images as uint8, the classes, the run's normalization) and decides how the
weights travel: float32, float16 when float32 would pass the file's size budget, or not at
all (``TooBig``, with the size in words). ``fragment(data)`` and ``standalone(data, title)``
write the HTML; the JavaScript and CSS are this package's files, inlined (no network).
"""

from __future__ import annotations

import base64
import json
from importlib import resources
from typing import Any

from cnnviz.report.explainer.payload import NotEmbeddable, model_payload, weight_count
from cnnviz.text.escape import for_html

LIMIT_BYTES = 10_000_000  # the presentation's size limit (tests/report, bench/report.py)
MAX_IMAGES = 48
MIN_IMAGES = 8  # fewer test images (down to this) before float16 weights
MAX_IMAGE_BYTES = 400_000  # raw uint8 pixels of the embedded test images
PAGE_BYTES = 70_000  # the JavaScript and CSS (about 50 kB), the layers' settings and names


class TooBig(NotEmbeddable):
    """The network does not fit the file, even as float16: the message says its size."""


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _b64(n: int) -> int:
    """Characters of ``n`` bytes in base64."""
    return 4 * ((n + 2) // 3)


def _pick_images(x: Any, y: Any, classes: int, max_bytes: int) -> tuple[list[int], bytes]:
    """Up to MAX_IMAGES test images in ``max_bytes``, round-robin over the classes (labels,
    uint8 C·H·W each)."""
    import torch

    if x is None or x.dim() != 4 or len(x) == 0:
        return [], b""
    per = int(x[0].numel())
    n = max(1, min(MAX_IMAGES, max_bytes // per, len(x)))
    by_class = [torch.nonzero(y == k).flatten().tolist() for k in range(max(classes, 1))]
    order: list[int] = []
    for i in range(max((len(b) for b in by_class), default=0)):
        order += [b[i] for b in by_class if i < len(b)]
        if len(order) >= n:
            break
    order = order[:n] or list(range(n))
    picked = x[order].to(torch.uint8).contiguous()
    return [int(y[i]) for i in order], picked.numpy().tobytes()


def _dark(x: Any) -> bool:
    """Light-on-dark images (MNIST-like): the border of the test images is dark."""
    if x is None or x.dim() != 4 or len(x) == 0:
        return False
    import torch

    s = x[:256].float()
    border = torch.cat([s[..., 0, :], s[..., -1, :], s[..., :, 0], s[..., :, -1]], -1)
    return float(border.mean()) < 60.0


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def explainer_data(
    model: Any,
    input_shape: list[int],
    *,
    classes: list[str],
    normalization: Any,
    test_x: Any = None,
    test_y: Any = None,
    budget_bytes: int = LIMIT_BYTES,
) -> dict:
    """Everything the page needs, in a dict that becomes one JSON block.

    Weights as float32 when they fit ``budget_bytes`` (with the images and the page),
    else float16 (said on the page), else ``TooBig``. ``normalization``: the run's
    ``Normalization`` (``to_dict``, ``describe``)."""
    count = weight_count(model)
    per = int(test_x[0].numel()) if test_x is not None and test_x.dim() == 4 and len(test_x) else 0
    fewest = _b64(min(MIN_IMAGES, len(test_x) if per else 0) * per)
    room = budget_bytes - PAGE_BYTES
    f32, f16 = _b64(4 * count), _b64(2 * count)
    if f32 + fewest <= room:
        dtype, weights = "float32", f32
        words = f"{count:,} weights as float32, exactly as trained."
    elif f16 + fewest <= room:
        dtype, weights = "float16", f16
        words = (
            f"{count:,} weights as float16 (half precision): as float32 ({_mb(f32)}) they "
            f"would pass the file's {_mb(LIMIT_BYTES)} limit, so each is rounded to 3 "
            "significant digits; scores may differ slightly from the trained network's."
        )
    else:
        raise TooBig(
            f"the network is too big to embed: {_mb(f16)} even as float16, and the file may "
            f"hold {_mb(max(room - fewest, 0))} more"
        )
    # the test images take what is left, up to MAX_IMAGE_BYTES
    labels, pixels = _pick_images(
        test_x, test_y, len(classes), min(MAX_IMAGE_BYTES, (room - weights) * 3 // 4)
    )
    c = input_shape[0] if input_shape else 0
    size = "×".join(str(s) for s in input_shape)
    prepare = f"{size}, " + (
        normalization.describe() if normalization is not None else "no normalization"
    )
    return {
        "model": model_payload(model, input_shape, dtype=dtype),
        "classes": [str(k) for k in classes],
        "normalization": normalization.to_dict() if normalization is not None else {"kind": "none"},
        "dark": _dark(test_x) if c in (1, 3) else False,
        "images": {"labels": labels, "data": base64.b64encode(pixels).decode()} if labels else None,
        "prepare": prepare,
        "note": f"Your trained network runs in this page, offline: {words}",
    }


def _json_block(obj: Any) -> str:
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def fragment(data: dict) -> str:
    """The explainer as a piece of a page: its root, its data, its style and its scripts."""
    return (
        '<div class="cnnviz-explainer" id="cnnviz-explainer">'
        "<noscript>The explained network needs JavaScript.</noscript></div>"
        f'<script type="application/json" id="cnnviz-explainer-data">{_json_block(data)}</script>'
        f"<style>{_asset('explainer.css')}</style>"
        f"<script>{_asset('engine.js')}</script><script>{_asset('view.js')}</script>"
    )


def standalone(data: dict, title: str) -> str:
    """A whole HTML file with the explainer only (``cnnviz export RUN --format explainer``)."""
    t = for_html(title)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{t}: your network, explained</title><style>"
        'body { margin:0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; '
        "background:#f5f6f8; } main { max-width:1200px; margin:0 auto; padding:1rem 1.5rem 3rem; "
        "background:#fff; min-height:100vh; } h1 { font-size:1.6rem; margin:.3rem 0 .6rem; }"
        "</style></head><body><main>"
        f"<h1>{t}: your network, explained</h1>{fragment(data)}</main></body></html>\n"
    )


__all__ = ["LIMIT_BYTES", "TooBig", "explainer_data", "fragment", "standalone"]
