"""``cnnviz runs [--runs-dir D] [--json]``: the saved runs, newest first, as the Runs page lists them.

``--json`` prints ``{"runs": [{"run_dir", "id", "label", "dataset", "status",
"test_accuracy", "epochs_done", "epochs", "created", "problem"}...]}``; a damaged
folder is listed with its problem.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json

from cnnviz.cli.exits import ExitCode


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs-dir", metavar="DIR", help="the runs folder ($CNNVIZ_RUNS_DIR or ./runs)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from cnnviz.train.store import list_runs, runs_root

    runs = list_runs(args.runs_dir)
    rows = [
        {
            "run_dir": str(r.path),
            "id": r.id,
            "label": r.label,
            "dataset": r.dataset,
            "status": r.status,
            "test_accuracy": r.test_accuracy,
            "epochs_done": r.epochs_done,
            "epochs": r.epochs,
            "created": dt.datetime.fromtimestamp(r.created).isoformat(timespec="seconds"),
            "problem": r.problem,
        }
        for r in runs
    ]
    if args.json:
        print(json.dumps({"runs": rows}), flush=True)
        return ExitCode.OK
    if not rows:
        print(f"No runs under {runs_root(args.runs_dir)}. Train one with `cnnviz train SPEC`.")
        return ExitCode.OK
    for r in rows:
        acc = "—" if r["test_accuracy"] is None else f"{100 * r['test_accuracy']:.1f}%"
        epochs = f"{r['epochs_done']}/{r['epochs']}" if r["epochs"] else str(r["epochs_done"])
        state = f"problem: {r['problem']}" if r["problem"] else r["status"]
        print(
            f"{r['created'].replace('T', ' ')}  {r['label'] or '—':<12} {r['dataset'] or '—':<10} "
            f"epochs {epochs:<7} test {acc:>6}  {state:<10} {r['id']}"
        )
    return ExitCode.OK


__all__ = ["add_arguments", "run"]
