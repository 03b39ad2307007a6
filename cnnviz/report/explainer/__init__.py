"""Your network, explained: the run's trained network running in the exported page, offline.

The page (vanilla JavaScript and a canvas, no library, nothing fetched) carries the weights
and a few dozen test images, runs the forward pass of every layer kind in evaluation mode,
shows every layer's feature maps and writes out one pixel's arithmetic (window × kernel,
summed, plus the bias), as CNN Explainer does, for the student's own network.

- ``for_run(run, model, bundle, budget_bytes=...) -> dict``: the page's data for a saved run.
- ``explainer_block(run, model, bundle, why)``: the presentation's block (or a note why not).
- ``explainer_file(run) -> str``: the standalone page (``cnnviz export RUN --format explainer``).

``window.cnnvizModel.forward(x)`` in the page (``x`` a Float32Array of the normalized input,
C×H×W) returns ``{probabilities, layers: [{name, shape, values}]}``; names are torch's
``named_modules`` names.
"""

from __future__ import annotations

from typing import Any

from cnnviz.report.explainer.page import LIMIT_BYTES, TooBig, explainer_data, fragment, standalone
from cnnviz.report.explainer.payload import Unsupported, model_payload

TITLE = "Your network, explained"
# Plotly's JavaScript is about 4.8 MB of the presentation and its figures and pictures up to
# about 2 MB; the explainer has the rest.
REPORT_RESERVE_BYTES = 2_200_000


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


def explainer_block(run: Any, model: Any, bundle: Any, why: str = "") -> tuple[Any, ...]:
    """The presentation's explainer block, or a note saying why it is left out."""
    from cnnviz.report.content import Embed, Note

    if model is None:
        return (Note(f"{TITLE}: left out, the trained network could not be loaded. {why}".strip()),)
    try:
        data = for_run(run, model, bundle, budget_bytes=report_budget())
    except (TooBig, Unsupported) as e:
        return (Note(f"{TITLE}: {e}; the rest of the presentation is exported without it."),)
    return (Embed(TITLE, fragment(data)),)


def explainer_file(run: Any) -> str:
    """The standalone page of a saved run (RunError when its network cannot be loaded,
    TooBig or Unsupported when it cannot be embedded)."""
    from cnnviz.report import run_label
    from cnnviz.report.content import _load_data as load_data

    model = run.load_model()
    bundle, _ = load_data(run)
    return standalone(for_run(run, model, bundle), run_label(run.id))


__all__ = [
    "LIMIT_BYTES",
    "TITLE",
    "TooBig",
    "Unsupported",
    "explainer_block",
    "explainer_data",
    "explainer_file",
    "for_run",
    "fragment",
    "model_payload",
    "report_budget",
    "standalone",
]
