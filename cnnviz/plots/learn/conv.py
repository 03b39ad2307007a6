"""Sizes shared by the convolution and max-pooling steppers (no streamlit).

The steppers draw in the page (``cnnviz.ui.learn.stepper``: stepper.js draws the input
with its window, the numbers and the output map), so a step or a hover needs no new
figure from the server. What they draw is bounded here:

- ``MAX_PANELS``: input channels drawn side by side (all channels are summed);
- ``MAX_DRAWN``: an input side above this is drawn zoomed in around the window.
"""

from __future__ import annotations

MAX_PANELS = 4
MAX_DRAWN = 24
