"""``cnnviz experiment NAME SPEC [train options] [--repeats N] [--json]``: change one thing, train each.

NAME is normalization, learning-rate, batchnorm, batch-size, epochs or residual (a deep
plain stack against the same stack with skip connections, e.g. SPEC plain-20). SPEC and
the training options are ``cnnviz train``'s (parsed by the same code): they set
the starting point the arms change. Every arm trains with the same data and, for
each of ``--repeats`` seeds (default 1), the same seed; each run is saved as a
normal run. Prints a line per run and the reading; with ``--json`` one object
per run (``"event": "run_finished"``) and last
``{"event": "experiment_finished", "runs": [{"run_dir", "label", "seed",
"test_accuracy"}...], "reading": "..."}``. Ctrl-C stops the experiment (exit 130).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cnnviz.cli import train as train_cli
from cnnviz.cli.exits import ExitCode, UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    from cnnviz.compare.experiments import ExperimentKind

    p.add_argument(
        "name", metavar="NAME", choices=[str(k) for k in ExperimentKind],
        help="what to change: " + ", ".join(str(k) for k in ExperimentKind),
    )  # fmt: skip
    train_cli.add_arguments(p)
    p.add_argument("--repeats", type=int, default=1, metavar="N", help="seeds per arm (default 1)")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _error(args: argparse.Namespace, message: str, code: int) -> int:
    if args.json:
        print(json.dumps({"event": "failed", "reason": message}), flush=True)
    print(f"cnnviz experiment: {message}", file=sys.stderr, flush=True)
    return code


def run(args: argparse.Namespace) -> int:
    from cnnviz.cli.specs import load_spec
    from cnnviz.compare.experiments import ExperimentError
    from cnnviz.design.presets import PRESETS

    if not 1 <= args.repeats <= 20:
        return _error(
            args, f"--repeats must be between 1 and 20, not {args.repeats}.", ExitCode.USAGE
        )
    try:
        spec = load_spec(args.spec)
        preset = PRESETS.get(args.spec)
        config = train_cli.config_from_args(args, dict(preset.train) if preset else {})
        dataset = args.dataset or (preset.dataset if preset and preset.dataset else "shapes")
        bundle = train_cli.load_data(args, spec, dataset, config.seed)
    except UsageError as e:
        return _error(args, str(e), ExitCode.USAGE)
    spec, problem = train_cli.fit_spec(spec, bundle, args.fix, lambda t: print(t, file=sys.stderr))
    if problem:
        return _error(args, problem, ExitCode.INVALID)
    try:
        return _run(args, spec, bundle, config)
    except ExperimentError as e:
        return _error(args, str(e), ExitCode.INVALID)


def _run(args: argparse.Namespace, spec: dict, bundle: Any, config: Any) -> int:
    from cnnviz.classroom.entries import QueueRefused
    from cnnviz.compare.experiments import TITLES
    from cnnviz.compare.runner import RunResult
    from cnnviz.train.executors.settings import SettingError
    from cnnviz.train.request import TrainRequest

    def on_run(r: RunResult) -> None:
        if args.json:
            print(json.dumps({"event": "run_finished", "label": r.arm, "seed": r.seed,
                              "status": r.status, "test_accuracy": r.test_accuracy,
                              "run_dir": r.run_dir}), flush=True)  # fmt: skip
        else:
            print(f"  {r.arm}, seed {r.seed}: {r.status}, test accuracy {_pct(r.test_accuracy)}"
                  f"  ({Path(r.run_dir).name})", flush=True)  # fmt: skip

    try:
        gate = train_cli.command_gate(args)
    except SettingError as e:
        return _error(args, str(e), ExitCode.USAGE)
    request = TrainRequest(spec, bundle, config, runs_root=args.runs_dir)
    plan = gate.plan(args.name, request, seeds=args.repeats)  # ExperimentError: the caller's
    if not args.json:
        exp = plan.experiment
        print(
            f"{TITLES[exp.kind]}: {len(exp.arms)} arm(s) × {len(exp.seeds)} seed(s) = "
            f"{exp.total} runs on {bundle.name}, one after the other",
            flush=True,
        )
    try:
        exp = gate.submit_experiment(
            args.name, request, seeds=args.repeats, on_run=on_run
        ).experiment
    except QueueRefused as e:  # the memory a variant needs
        return _error(args, " ".join(e.problems), ExitCode.INVALID)
    try:
        while not exp.wait(0.2):  # short waits: the main thread stays free for Ctrl-C
            pass
    except KeyboardInterrupt:
        exp.cancel()
        if exp.current is not None:
            exp.current.wait(30)
        print("cnnviz experiment: stopped with Ctrl-C; finished runs are kept.", file=sys.stderr)
        return ExitCode.STOPPED
    if exp.error:
        return _error(args, exp.error, ExitCode.INVALID)
    runs = [
        {"run_dir": r.run_dir, "label": r.arm, "seed": r.seed, "test_accuracy": r.test_accuracy}
        for r in exp.results
    ]
    if args.json:
        print(
            json.dumps({"event": "experiment_finished", "runs": runs, "reading": exp.reading}),
            flush=True,
        )
    else:
        print(f"\n{exp.reading}")
        if exp.variant:
            opts = " ".join(f"--{k.replace('_', '-')} {v:g}" if isinstance(v, float) else f"--{k.replace('_', '-')} {v}"
                            for k, v in exp.variant.items())  # fmt: skip
            print(f"To see the effect: cnnviz experiment {exp.kind} {args.spec} ... {opts}")
        names = " ".join(Path(r["run_dir"]).name for r in runs)
        print(f"Compare them: cnnviz compare {names}")
    return ExitCode.OK


__all__ = ["add_arguments", "run"]
