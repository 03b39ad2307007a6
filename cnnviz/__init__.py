"""cnnviz: design, train and look inside convolutional networks.

The public API, loaded lazily: ``import cnnviz`` imports neither torch nor streamlit;
``cnnviz.summarize`` loads only the shape engine, ``cnnviz.build_model`` loads torch.
The core (everything here but ``cnnviz.ui``) never imports streamlit.

>>> rows = summarize({"input": [3, 64, 64], "layers": [{"type": "conv2d", "out_channels": 6, "kernel_size": 3}]})
>>> rows[0]["output_shape"]
[1, 6, 62, 62]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnnviz.design import presets
    from cnnviz.design.build import build_model
    from cnnviz.design.shapes import summarize
    from cnnviz.design.spec import SpecError

__all__ = ["SpecError", "build_model", "presets", "summarize"]

_HOMES = {
    "SpecError": ("cnnviz.design.spec", "SpecError"),
    "build_model": ("cnnviz.design.build", "build_model"),
    "summarize": ("cnnviz.design.shapes", "summarize"),
    "presets": ("cnnviz.design.presets", None),
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'cnnviz' has no attribute {name!r}")
    module, attr = _HOMES[name]
    value = importlib.import_module(module)
    return value if attr is None else getattr(value, attr)


def __dir__() -> list[str]:
    return sorted(__all__)
