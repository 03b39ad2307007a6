"""The class map as parallel coordinates: one line per finished run, coloured by test accuracy.

``class_map_figure(rows, font_size=12)`` draws a ``go.Parcoords`` with one axis per fact
of ``cnnviz.compare.class_map.ClassRun`` (depth, parameters, mult-adds, learning rate,
optimizer, BatchNorm, augmentation, epochs) and test accuracy last. Brushing an axis
(drag along it) keeps the lines inside the range; brushing several axes combines them.
Sizes and learning rates span decades, so those axes are log10 with ticks written as
numbers (1K, 10K, ...); optimizer, BatchNorm and augmentation are categories. Nothing a
visitor typed is drawn (names are in the table beside the chart).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from cnnviz.compare.class_map import ClassRun

LABELS = {
    "depth": "layers",
    "params": "parameters",
    "mult_adds": "mult-adds",
    "lr": "learning rate",
    "optimizer": "optimizer",
    "batchnorm": "BatchNorm",
    "augmentation": "augment",
    "epochs": "epochs",
    "test_accuracy": "test acc. %",
}
OPTIMIZERS = ("sgd", "adam", "adamw")
OPTIMIZER_WORDS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}


def _short(x: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if x >= size:
            v = x / size
            return f"{v:.0f}{unit}" if v == int(v) else f"{v:.1f}{unit}"
    return f"{x:g}"


def _log_axis(label: str, values: Sequence[float], *, lr: bool = False) -> dict:
    """A log10 axis: the values' logs, with a tick at each power of ten in their range."""
    logs = [math.log10(v) if v and v > 0 else 0.0 for v in values]
    lo, hi = (math.floor(min(logs)), math.ceil(max(logs))) if logs else (0, 1)
    if lo == hi:
        hi = lo + 1
    ticks = list(range(lo, hi + 1))
    text = [f"{10.0**t:g}" if lr else _short(10.0**t) for t in ticks]
    return {"label": label, "values": logs, "range": [lo, hi], "tickvals": ticks, "ticktext": text}


def _category(label: str, values: Sequence[str], order: Sequence[str], words: dict) -> dict:
    kinds = [k for k in order if k in values] + sorted({v for v in values if v not in order})
    kinds = kinds or list(order[:1])
    index = {k: i for i, k in enumerate(kinds)}
    return {
        "label": label,
        "values": [index[v] for v in values],
        "range": [-0.3, len(kinds) - 0.7] if len(kinds) > 1 else [-1, 1],
        "tickvals": list(range(len(kinds))),
        "ticktext": [words.get(k, k) for k in kinds],
    }


def dimensions(rows: Sequence[ClassRun]) -> list[dict]:
    """The parcoords axes, in the map's order (test accuracy last, the one everything meets)."""
    augments = sorted({r.augmentation for r in rows}, key=lambda a: (a != "none", a))
    depth = [r.depth for r in rows]
    epochs = [r.epochs for r in rows]
    return [
        {"label": LABELS["depth"], "values": depth, "tickformat": "d",
         "range": [min(depth, default=0), max(max(depth, default=1), min(depth, default=0) + 1)]},
        _log_axis(LABELS["params"], [r.params for r in rows]),
        _log_axis(LABELS["mult_adds"], [r.mult_adds for r in rows]),
        _log_axis(LABELS["lr"], [r.lr or 0.0 for r in rows], lr=True),
        _category(LABELS["optimizer"], [r.optimizer for r in rows], OPTIMIZERS, OPTIMIZER_WORDS),
        _category(LABELS["batchnorm"], ["yes" if r.batchnorm else "no" for r in rows],
                  ("no", "yes"), {}),
        _category(LABELS["augmentation"], [r.augmentation for r in rows], augments, {}),
        {"label": LABELS["epochs"], "values": epochs, "tickformat": "d",
         "range": [min(epochs, default=0), max(max(epochs, default=1), min(epochs, default=0) + 1)]},
        {"label": LABELS["test_accuracy"], "values": [100 * r.test_accuracy for r in rows],
         "range": [0, 100], "tickvals": [0, 20, 40, 60, 80, 100]},
    ]  # fmt: skip


def class_map_figure(
    rows: Sequence[ClassRun], *, font_size: int = 12, height: int = 460
) -> go.Figure:
    """One line per run (see the module docstring)."""
    fig = go.Figure(
        go.Parcoords(
            line={
                "color": [100 * r.test_accuracy for r in rows],
                "colorscale": "Viridis",
                "cmin": 0,
                "cmax": 100,
                "showscale": False,
            },
            dimensions=dimensions(rows),
            labelfont={"size": font_size},
            tickfont={"size": font_size},
            rangefont={"size": max(font_size - 2, 10)},
            labelangle=0,
            labelside="top",
            unselected={"line": {"color": "#d0d0d0", "opacity": 0.35}},
        )
    )
    fig.update_layout(
        height=height,
        margin={"l": 60, "r": 60, "t": 40 + 2 * font_size, "b": 30},
        font={"size": font_size},
    )
    return fig


__all__ = ["LABELS", "class_map_figure", "dimensions"]
