"""The facts of a comparison as one plain dict: what ``cnnviz compare --json`` prints.

``comparison(runs, best=False)`` ->
``{"runs": [{"run_dir", "label", "test_accuracy", "best_val_accuracy", "epochs",
"elapsed_s", "params"}...], "settings_diff": {setting: [value per run]},
"layers_diff": [strings], "per_class_accuracy": {class: [value per run]}}``.
With ``best=True`` test accuracy and per-class accuracy are those of each run's
best validation epoch (best.pt), where the run recorded them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cnnviz.compare.diff import layers_lines, settings_diff
from cnnviz.compare.labels import run_labels
from cnnviz.design.shapes import summarize, totals
from cnnviz.design.spec import SpecError

if TYPE_CHECKING:
    from cnnviz.compare.runs import RunData


def params_of(spec: dict) -> int | None:
    try:
        return int(totals(summarize(spec, 1))["params"])
    except SpecError:
        return None


def per_class(run: RunData, best: bool = False) -> dict[str, float | None]:
    """Test accuracy per class from the run's confusion matrix ({} when it was not recorded)."""
    conf = run.confusion(best)
    if conf is None:
        return {}
    out = {}
    for i, name in enumerate(run.classes or [str(i) for i in range(len(conf))]):
        row = conf[i] if i < len(conf) else []
        total = sum(row)
        out[name] = (row[i] / total) if total and i < len(row) else None
    return out


def comparison(
    runs: Sequence[Any], *, best: bool = False, labels: Sequence[str] | None = None
) -> dict:
    labels = list(labels) if labels is not None else run_labels(runs)
    classes: list[str] = []
    for r in runs:
        classes += [c for c in r.classes if c not in classes]
    per = [per_class(r, best) for r in runs]
    return {
        "runs": [
            {
                "run_dir": str(r.path),
                "label": labels[i],
                "test_accuracy": r.weights_test_accuracy(best),
                "best_val_accuracy": r.best_val_accuracy,
                "epochs": r.epochs_done,
                "elapsed_s": r.elapsed_s,
                "params": params_of(r.spec),
            }
            for i, r in enumerate(runs)
        ],
        "settings_diff": settings_diff(runs),
        "layers_diff": layers_lines([r.spec for r in runs], labels),
        "per_class_accuracy": {
            c: [p.get(c) for p in per] for c in classes if any(c in p for p in per)
        },
    }


__all__ = ["comparison", "params_of", "per_class"]
