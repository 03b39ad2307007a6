"""cnnviz: design, train and look inside convolutional networks.

The core (everything here but ``cnnviz.ui``) never imports streamlit.

>>> rows = summarize({"input": [3, 64, 64], "layers": [{"type": "conv2d", "out_channels": 6, "kernel_size": 3}]})
>>> rows[0]["output_shape"]
[1, 6, 62, 62]
"""

from __future__ import annotations

from cnnviz import presets
from cnnviz.build import build_model
from cnnviz.shapes import summarize
from cnnviz.spec import SpecError

__all__ = ["SpecError", "build_model", "presets", "summarize"]
