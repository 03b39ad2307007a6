"""Check the Shapes default: ``lecture-7-23`` on Shapes 3x64x64 reaches >= 95% test accuracy in a minute.

Trains with the preset's ``train=`` defaults (override with ``--set key=value``),
prints each epoch's validation accuracy and training time, then the test accuracy
and whether both targets were met. ``--threads 2`` stands for the course's 2-core CPU.

    python3 bench/shapes_check.py [--preset lecture-7-23] [--threads 2] [--set epochs=6 --set lr=0.002]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="lecture-7-23")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--budget-s", type=float, default=60.0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from cnnviz.data.registry import load_dataset
    from cnnviz.design.presets import PRESETS
    from cnnviz.train.config import TrainConfig
    from cnnviz.train.engine import build_seeded, fit
    from cnnviz.train.events import EpochEnded, FitEnded

    preset = PRESETS[args.preset]
    overrides = {
        k: json.loads(v) if v[:1].isdigit() or v in ("true", "false") else v
        for k, v in (s.split("=", 1) for s in args.set)
    }
    config = TrainConfig.from_dict({**preset.train, **overrides})
    t = time.perf_counter()
    c, h, _ = preset.spec["input"]
    bundle = load_dataset(preset.dataset, size=h, channels=c)
    load_s = time.perf_counter() - t
    print(
        f"{args.preset} on {preset.dataset} {list(bundle.shape)}, {args.threads} threads, {config.to_dict()}"
    )
    print(
        f"data: {len(bundle.train_y)} training + {len(bundle.test_y)} test images made in {load_s:.1f} s"
    )
    end = None
    from cnnviz.cli.train import _in_thread  # a worker thread, as the page and the CLI use

    for ev in _in_thread(fit(build_seeded(preset.spec, config.seed), bundle, config)):
        if isinstance(ev, EpochEnded):
            print(
                f"epoch {ev.epoch}: train acc {ev.train_accuracy:.3f}  val acc {ev.val_accuracy:.3f}  {ev.elapsed_s:.1f} s",
                flush=True,
            )
        elif isinstance(ev, FitEnded):
            end = ev
    ok = end.status == "finished" and end.test_accuracy >= 0.95 and end.elapsed_s <= args.budget_s
    print(
        f"{end.status}: test accuracy {end.test_accuracy}, training {end.elapsed_s:.1f} s -> {'ok' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
