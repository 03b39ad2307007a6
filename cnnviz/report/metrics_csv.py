"""A saved run's numbers as CSV files any spreadsheet opens.

``write_csv(run, folder)`` writes into ``folder``:

- ``<run id>-iterations.csv``: epoch, iteration, batch, loss, accuracy, images_per_s, elapsed_s
  (one row per mini-batch);
- ``<run id>-epochs.csv``: epoch, train_loss, train_accuracy, val_loss, val_accuracy,
  elapsed_s, lr (one row per epoch);
- ``<run id>-gradients.csv``: iteration, epoch, layer, kind, params, weight_norm, grad_norm,
  grad_mean_abs (one row per layer per recorded moment, from the run's gradients file;
  the sizes, not the histograms), when the run recorded them.

Cells are the run store's numbers as read (a damaged cell is left empty).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING

from cnnviz.train.gradients import read_records

if TYPE_CHECKING:
    from cnnviz.train.store import Run

GRADIENT_FIELDS = (
    "iteration", "epoch", "layer", "kind", "params", "weight_norm", "grad_norm", "grad_mean_abs"
)  # fmt: skip


def write_csv(run: Run, folder: str | Path) -> list[Path]:
    """Write the run's CSV files into ``folder`` (made if missing); the files written."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in (("iterations", run.metrics_iter), ("epochs", run.metrics_epoch)):
        path = out / f"{run.id}-{name}.csv"
        df.to_csv(path, index=False)
        written.append(path)
    records = read_records(run.path)
    if records:
        path = out / f"{run.id}-gradients.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(GRADIENT_FIELDS)
            for r in records:
                row = [getattr(r, k) for k in GRADIENT_FIELDS]
                w.writerow(
                    ["" if isinstance(v, float) and not math.isfinite(v) else v for v in row]
                )
        written.append(path)
    return written


__all__ = ["GRADIENT_FIELDS", "write_csv"]
