"""``cnnviz compare RUN RUN [RUN ...] [--runs-dir D] [--json] [--best]``: what differs between runs.

A RUN is a run folder's path or its name under the runs folder. Prints each run
(labelled by what makes it different), the settings that differ, the network's
layer-by-layer differences with params / mult-adds / output-shape deltas, and
the test accuracy per class. ``--json`` prints one object (see
``cnnviz.compare.facts``). A missing or damaged run is named on stderr, the
others are still compared, and the exit code is 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from cnnviz.cli.exits import ExitCode


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "runs", nargs="+", metavar="RUN", help="run folders, or names under the runs folder"
    )
    p.add_argument("--runs-dir", metavar="DIR", help="the runs folder ($CNNVIZ_RUNS_DIR or ./runs)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--best",
        action="store_true",
        help="test accuracies of each run's best validation epoch (best.pt) instead of its last",
    )


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def run(args: argparse.Namespace) -> int:
    from cnnviz.compare.facts import comparison
    from cnnviz.compare.runs import load
    from cnnviz.train.store import RunError

    loaded, problems = [], []
    for name in args.runs:
        try:
            loaded.append(load(name, args.runs_dir))
        except RunError as e:
            problems.append(str(e))
    for p in problems:
        print(f"cnnviz compare: {p}", file=sys.stderr, flush=True)
    if len(args.runs) < 2:
        print("cnnviz compare: give at least two runs to compare.", file=sys.stderr)
        problems.append("one run")
    facts = comparison(loaded, best=args.best) if loaded else {
        "runs": [], "settings_diff": {}, "layers_diff": [], "per_class_accuracy": {},
    }  # fmt: skip
    if args.json:
        print(json.dumps(facts), flush=True)
    elif loaded:
        _print(facts, args.best)
    return ExitCode.USAGE if problems else ExitCode.OK


def _print(facts: dict, best: bool) -> None:
    weights = "best.pt (best validation epoch)" if best else "weights.pt (last epoch)"
    print(f"Runs (test accuracy with {weights}):")
    for i, r in enumerate(facts["runs"], 1):
        params = "—" if r["params"] is None else f"{r['params']:,}"
        elapsed = "—" if r["elapsed_s"] is None else f"{r['elapsed_s']:.1f} s"
        print(
            f"  {i}. {r['label']}: test {_pct(r['test_accuracy'])}, best validation "
            f"{_pct(r['best_val_accuracy'])}, {r['epochs']} epochs, {elapsed}, {params} params"
            f"\n     {r['run_dir']}"
        )
    from cnnviz.compare.diff import SETTINGS, word

    key_of = {w: k for _, k, w in SETTINGS}
    print("\nSettings that differ:" if facts["settings_diff"] else "\nSettings: all the same.")
    for w, values in facts["settings_diff"].items():
        print(f"  {w}: " + " → ".join(word(key_of[w], v) for v in values))
    print("\nNetwork:" if facts["layers_diff"] else "\nNetwork: the same layers.")
    for line in facts["layers_diff"]:
        print(f"  {line}")
    per = facts["per_class_accuracy"]
    if per:
        print("\nTest accuracy per class:")
        width = max(len(c) for c in per)
        for c, values in per.items():
            print(f"  {c:<{width}}  " + "  ".join(f"{_pct(v):>6}" for v in values))


__all__ = ["add_arguments", "run"]
