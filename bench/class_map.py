"""How fast the class map draws a whole class: 200 finished runs of 30 students.

    python3 -m bench.class_map [--runs N] [--students N] [--repeats N]

Writes ``--runs`` finished run folders into a temporary runs folder the way the run
store writes them (``RunWriter``: spec.json, config.json, the metrics CSVs, status.json,
weights.pt), with a mix of networks (plain stacks, residual and concat blocks, with and
without BatchNorm, five image sizes: 35 distinct networks), settings (optimizer,
learning rate, augmentation, epochs) and datasets, owned by ``--students`` students. Then measures, in one process:

(a) cold: listing the runs, reading every run's facts (the first time: spec.json and
    config.json parsed, the shape engine run once per distinct network) and building
    the figure;
(b) warm: the same with nothing changed on disk (the listing, facts from memory, the figure);
(c) the figure alone, for 200 rows.

Prints each in milliseconds beside the 1 s target (ratio < 1.0 is good).
Nothing here is a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

TARGET_S = 1.0
DATASETS = ("shapes", "shapes", "shapes", "mnist")  # most runs on Shapes
SIZES = (28, 32, 40, 48, 64)


def _specs() -> list[dict]:
    from cnnviz.design.presets import PRESETS

    concat = {
        "input": [3, 28, 28],
        "layers": [
            {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
            {
                "type": "concat",
                "branches": [
                    [{"type": "conv2d", "out_channels": 8, "kernel_size": 1}],
                    [
                        {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
                        {"type": "batchnorm2d"},
                    ],
                ],
            },
            {"type": "relu"},
            {"type": "maxpool2d", "kernel_size": 2},
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    }
    names = ("lecture-7-23", "tiny-vgg", "mnist-basic", "resnet-8", "resnet-20", "lenet5")
    out = []
    for base in [PRESETS[n].new_spec() for n in names] + [concat]:
        for size in SIZES:  # the image size a student picked: 35 distinct networks in all
            out.append({**base, "input": [base["input"][0], size, size]})
    return out


def write_class_runs(root: Path, n_runs: int = 200, n_students: int = 30, seed: int = 0):
    """``n_runs`` finished runs in ``root`` and the classroom's owners table for them:
    ``{run_id: {owner, owner_name, title, shared}}`` (student k owns runs k, k+n, ...)."""
    import torch  # noqa: F401  (the weights are written with torch.save)

    from cnnviz.design.build import build_model
    from cnnviz.train.events import EpochEnded, FitEnded, FitStarted
    from cnnviz.train.status import Status
    from cnnviz.train.store import RunWriter

    rng = random.Random(seed)
    specs = _specs()
    models = {}
    owners = {}
    for k in range(n_runs):
        spec = specs[rng.randrange(len(specs))]
        dataset = DATASETS[k % len(DATASETS)]
        epochs = rng.choice((2, 3, 5, 10))
        w = RunWriter(spec, label=f"class-{k}", root=root)
        prepared = SimpleNamespace(
            normalization=SimpleNamespace(kind="div255", mean=None, std=None),
            dataset=dataset,
            input_shape=tuple(spec["input"]),
            train_size=900,
            val_size=100,
            test_size=200,
            classes=tuple(str(i) for i in range(10)),
        )
        config = {
            "epochs": epochs,
            "batch_size": 64,
            "optimizer": rng.choice(("adam", "sgd", "adamw")),
            "lr": rng.choice((1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 0.1)),
            "seed": k,
            "augment_flip": rng.random() < 0.3,
            "augment_crop": rng.choice((0, 0, 2, 4)),
        }
        w.begin(config, prepared)
        w.record(FitStarted(epochs, 15, 900, 100, 200, 64, "cpu"))
        model = models.get(id(spec))
        if model is None:
            model = models[id(spec)] = build_model(spec)
        for e in range(1, epochs + 1):
            acc = min(0.99, 0.4 + 0.5 * rng.random() * e / epochs)
            w.record(EpochEnded(e, 1.0 / e, acc, 1.1 / e, acc, 1.5 * e, config["lr"]), model)
        w.record(
            FitEnded(
                Status.FINISHED, test_accuracy=round(rng.uniform(0.5, 0.99), 3), test_loss=0.4
            ),
            model,
        )
        student = k % n_students
        owners[w.id] = {
            "owner": f"p{student}",
            "owner_name": f"Student {student + 1}",
            "title": "",
            "shared": 1,
        }
    return owners


def _once(root: Path, owners: dict) -> tuple[float, int]:
    from cnnviz.compare import class_map
    from cnnviz.plots.class_map import class_map_figure
    from cnnviz.train.store import list_runs  # the page lists them through its access gate

    t = time.perf_counter()
    rows = class_map.class_runs(list_runs(root), owners)
    fig = class_map_figure(rows)
    fig.to_dict()  # what Streamlit serialises
    return time.perf_counter() - t, len(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    from cnnviz.compare import class_map
    from cnnviz.plots.class_map import class_map_figure

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        os.environ["CNNVIZ_RUNS_DIR"] = str(root)
        t = time.perf_counter()
        owners = write_class_runs(root, args.runs, args.students)
        print(
            f"wrote {args.runs} runs of {args.students} students in {time.perf_counter() - t:.1f} s"
        )
        class_map.clear_cache()
        cold, n = _once(root, owners)
        reads = class_map.stats["read"]
        warm = [_once(root, owners)[0] for _ in range(args.repeats)]
        assert class_map.stats["read"] == reads, "the warm reads parsed files again"
        from cnnviz.train.store import list_runs

        rows = class_map.class_runs(list_runs(root), owners)
        figs = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            class_map_figure(rows).to_dict()
            figs.append(time.perf_counter() - t)
        t = time.perf_counter()
        list_runs(root)
        listing = time.perf_counter() - t
    w = statistics.median(warm)
    f = statistics.median(figs)
    print(f"{n} runs on the map (of {args.runs} written), {os.cpu_count()} CPUs (shared machine)")
    print(f"{'':34}{'ms':>9}{'target ms':>11}{'ratio':>8}")
    for name, s in (
        ("(a) cold: list + read + figure", cold),
        ("(b) warm: list + read + figure", w),
        ("    of which the listing", listing),
        ("(c) figure only", f),
    ):
        print(f"{name:34}{1000 * s:9.0f}{1000 * TARGET_S:11.0f}{s / TARGET_S:8.2f}")


if __name__ == "__main__":
    main()
