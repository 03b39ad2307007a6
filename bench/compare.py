"""How fast the Runs page compares runs: 6 runs of 10 epochs each, side by side.

    python3 -m bench.compare [--repeats N] [--iterations-per-epoch N]

Writes six run folders (10 epochs, mixed mini-batch sizes, a test confusion matrix
each) into a temporary runs folder, then measures, in one process:

(a) reading the six runs the first time (parsing their CSVs and JSON);
(b) reading them again with nothing changed on disk (the modification-time cache:
    the parse count must not move);
(c) building the comparison's facts and figures from the runs in memory (the
    server-side work of one rerun, without a browser);
(d) one whole Runs page rerun with the six runs compared, through Streamlit's AppTest.

Prints each as milliseconds and as a ratio of the 300 ms target (< 1.0 is good).
Nothing here is a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from cnnviz.train.status import Status

TARGET_S = 0.300
CLASSES = tuple(f"class {i}" for i in range(10))


def write_runs(root: Path, n_runs: int, epochs: int, train_size: int) -> list[str]:
    from cnnviz.design.presets import PRESETS
    from cnnviz.train.events import BatchEnded, EpochEnded, FitEnded, FitStarted
    from cnnviz.train.store import RunWriter

    spec = PRESETS["lecture-7-23"].new_spec()
    ids = []
    rng = random.Random(0)
    for k in range(n_runs):
        bsz = (32, 64, 128)[k % 3]
        ipe = math.ceil(train_size / bsz)
        w = RunWriter(spec, label=f"bench-{k}", root=root)
        prepared = SimpleNamespace(
            normalization=SimpleNamespace(kind="div255", mean=None, std=None), dataset="shapes",
            input_shape=tuple(spec["input"]), train_size=train_size, val_size=train_size // 9,
            test_size=2000, classes=CLASSES,
        )  # fmt: skip
        config = {"epochs": epochs, "batch_size": bsz, "optimizer": "adam", "lr": 10 ** -(2 + k % 3),
                  "normalize": "div255", "seed": k, "lr_schedule": "cosine" if k % 2 else "none"}  # fmt: skip
        w.begin(config, prepared)
        w.record(FitStarted(epochs, ipe, train_size, train_size // 9, 2000, bsz, "cpu"))
        it = 0
        for e in range(1, epochs + 1):
            for b in range(1, ipe + 1):
                it += 1
                loss = 2.3 * math.exp(-it / (ipe * 3)) + rng.random() * 0.2
                w.record(BatchEnded(e, it, b, loss, 1 - loss / 2.5, 900.0, it * 0.01))
            w.record(
                EpochEnded(e, loss, 1 - loss / 2.5, loss * 1.1, 1 - loss / 2.3, e * 5.0, 0.001)
            )
        conf = [[rng.randint(0, 30) + (150 if i == j else 0) for j in range(10)] for i in range(10)]
        w.record(FitEnded(Status.FINISHED, test_loss=0.5, test_accuracy=0.8, elapsed_s=50.0,
                          best_epoch=epochs - 1, best_test_accuracy=0.81, confusion=conf,
                          best_confusion=conf))  # fmt: skip
        ids.append(w.id)
    return ids


def build_comparison(runs: list) -> None:
    """What one rerun of the comparison computes on the server."""
    from cnnviz.compare.align import XAxis
    from cnnviz.compare.diff import layers_lines, settings_lines
    from cnnviz.compare.facts import comparison
    from cnnviz.compare.labels import run_labels
    from cnnviz.compare.readings import read_run
    from cnnviz.plots.compare.figures import (  # fmt: skip
        accuracy_overlay,
        confusion_figure,
        loss_overlay,
        lr_overlay,
        per_class_figure,
    )

    labels = run_labels(runs)
    loss_overlay(runs, labels, axis=XAxis.EPOCHS, smoothing=0.6).to_plotly_json()
    accuracy_overlay(runs, labels).to_plotly_json()
    lr = lr_overlay(runs, labels)
    if lr is not None:
        lr.to_plotly_json()
    settings_lines(runs)
    layers_lines([r.spec for r in runs], labels)
    facts = comparison(runs, labels=labels)
    per_class_figure(facts["per_class_accuracy"], labels).to_plotly_json()
    for r in runs[:3]:
        confusion_figure(r.confusion(), r.classes).to_plotly_json()
    for r in runs:
        read_run(r)


def _ms(s: float) -> str:
    return f"{1000 * s:7.1f} ms  ({s / TARGET_S:4.2f} × the 300 ms target)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--train-size", type=int, default=12_800, help="training images per run")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cnnviz-bench-compare-"))
    os.environ["CNNVIZ_RUNS_DIR"] = str(root)
    ids = write_runs(root, args.runs, args.epochs, args.train_size)

    from cnnviz.compare import runs as cache

    rows = sum(len(cache.load(i).iters) for i in ids)
    cache.clear_cache()
    t = time.perf_counter()
    runs = [cache.load(i) for i in ids]
    cold = time.perf_counter() - t
    parsed = cache.stats["parsed"]
    warm_times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        runs = [cache.load(i) for i in ids]
        warm_times.append(time.perf_counter() - t)
    reparsed = cache.stats["parsed"] - parsed
    build_times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        build_comparison(runs)
        build_times.append(time.perf_counter() - t)

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.query_params["compare"] = ",".join(ids)
    at.run()
    at.switch_page("views/runs.py")
    at.run()
    page_times = []
    for k in range(args.repeats):
        at.segmented_control(key="runs.cmp.axis").set_value("images" if k % 2 == 0 else "epochs")
        t = time.perf_counter()
        at.run()
        page_times.append(time.perf_counter() - t)
    assert not at.exception, at.exception

    print(
        f"{args.runs} runs × {args.epochs} epochs, {rows:,} iterations in all (mini-batches 32/64/128)"
    )
    print(f"(a) first read, CSVs parsed          {_ms(cold)}")
    print(f"(b) read again, nothing changed      {_ms(statistics.median(warm_times))}"
          f"  re-parsed: {reparsed} of {args.runs * args.repeats} reads")  # fmt: skip
    print(f"(c) facts + figures of the comparison {_ms(statistics.median(build_times))}")
    print(f"(d) whole Runs page rerun (AppTest)   {_ms(statistics.median(page_times))}")
    print(f"cold/warm read ratio: {cold / max(statistics.median(warm_times), 1e-9):.0f}×")


if __name__ == "__main__":
    main()
