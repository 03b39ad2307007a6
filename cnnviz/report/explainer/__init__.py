"""Your network, explained: the run's trained network running in the exported page, offline.

The page (vanilla JavaScript and a canvas, no library, nothing fetched) carries the weights
and a few dozen test images, runs the forward pass of every layer kind in evaluation mode,
shows every layer's feature maps and writes out one pixel's arithmetic (window × kernel,
summed, plus the bias), as CNN Explainer does, for the student's own network.

- ``for_run(run, model, bundle, budget_bytes=...) -> dict``: the page's data for a saved run.
- ``explainer_html(run, model, bundle) -> str``: the presentation's piece (``content`` makes
  it a block, or a note saying why it is left out).
- ``explainer_file(run, bundle) -> str``: the standalone page (``cnnviz export RUN --format
  explainer``).

``window.cnnvizModel.forward(x)`` in the page (``x`` a Float32Array of the normalized input,
C×H×W) returns ``{probabilities, layers: [{name, shape, values}]}``; names are torch's
``named_modules`` names.
"""

from __future__ import annotations

from typing import Any

from cnnviz.report.explainer.page import LIMIT_BYTES, TooBig, explainer_data, fragment, standalone
from cnnviz.report.explainer.payload import NotEmbeddable, Unsupported, model_payload

TITLE = "Your network, explained"
# Plotly's JavaScript is about 4.8 MB of the presentation; its figures and pictures up to
# about 2.4 MB (lecture-7-23 on 64×64 Shapes: bench/report.py); the explainer has the rest.
REPORT_RESERVE_BYTES = 2_500_000


def report_budget() -> int:
    """Bytes the explainer may take in the presentation (the 10 MB limit less the rest)."""
    from plotly.offline import get_plotlyjs

    return LIMIT_BYTES - len(get_plotlyjs().encode()) - REPORT_RESERVE_BYTES


def for_run(run: Any, model: Any, bundle: Any, *, budget_bytes: int = LIMIT_BYTES) -> dict:
    """The page's data for a saved run: its network and weights, test images, classes and normalization."""
    return explainer_data(
        model,
        list(run.spec.get("input") or []),
        classes=list(run.classes),
        normalization=run.normalization,
        test_x=getattr(bundle, "test_x", None),
        test_y=getattr(bundle, "test_y", None),
        budget_bytes=budget_bytes,
    )


def explainer_html(run: Any, model: Any, bundle: Any) -> str:
    """The presentation's explainer (a piece of its page), within ``report_budget()``.

    Raises NotEmbeddable (TooBig, Unsupported: the message says why) when it cannot be embedded."""
    return fragment(for_run(run, model, bundle, budget_bytes=report_budget()))


def explainer_file(run: Any, bundle: Any) -> str:
    """The standalone page of a saved run; ``bundle``: its data (None: no test images).

    Raises RunError when its network cannot be loaded, NotEmbeddable when it cannot be
    embedded."""
    from cnnviz.report import run_label

    return standalone(for_run(run, run.load_model(), bundle), run_label(run.id))


__all__ = [
    "LIMIT_BYTES",
    "NotEmbeddable",
    "TITLE",
    "TooBig",
    "Unsupported",
    "explainer_data",
    "explainer_file",
    "explainer_html",
    "for_run",
    "fragment",
    "model_payload",
    "report_budget",
    "standalone",
]
