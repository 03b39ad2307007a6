"""``cnnviz COMMAND ...`` (or ``python -m cnnviz``): one module per command, imported on use.

Every command module has ``add_arguments(parser)`` and ``run(args) -> int``; this
table holds what the top-level help shows, so ``cnnviz --help`` and ``cnnviz
summary`` import no torch. Exit codes are ``cnnviz.cli.exits.ExitCode``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from cnnviz.cli.exits import ExitCode

# name -> (module, one-line help, description)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "summary": (
        "cnnviz.cli.summary",
        "per-layer shapes, params and mult-adds",
        "Print each layer's input → output shape, params and mult-adds, and totals.",
    ),
    "export": (
        "cnnviz.cli.export",
        "print runnable PyTorch code (or the spec JSON)",
        "Print the design as runnable PyTorch code, spec JSON or a share-link value.",
    ),
    "report": (
        "cnnviz.cli.report",
        "a run as one HTML presentation (report + slides)",
        "Write a saved run as one self-contained HTML presentation (works offline).",
    ),
    "train": (
        "cnnviz.cli.train",
        "train a design on a dataset and save the run",
        "Train a design.",
    ),
    "runs": (
        "cnnviz.cli.runs",
        "list the saved runs",
        "List the saved runs, newest first (what the Runs page lists).",
    ),
    "compare": (
        "cnnviz.cli.compare",
        "what differs between runs: settings, layers, accuracies",
        "Compare saved runs: the settings and layers that differ, and their accuracies.",
    ),
    "experiment": (
        "cnnviz.cli.experiment",
        "change one thing, train each variant, read the result",
        "Run an experiment: normalization, learning-rate, batchnorm or batch-size.",
    ),
    "serve": (
        "cnnviz.cli.serve",
        "start the app (--class: for a class, on the network)",
        "Start the app: on this computer only, or with --class for a teacher and a class.",
    ),
}


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnnviz", description="Design, train and look inside convolutional networks."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    asked = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_, description) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=description)
        if name == asked:  # import only the command that runs
            command = importlib.import_module(module)
            command.add_arguments(p)
            p.set_defaults(func=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a bad argument (2): argparse printed why
        return ExitCode.USAGE if e.code else ExitCode.OK
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("cnnviz: interrupted", file=sys.stderr)
        return ExitCode.STOPPED
    except BrokenPipeError:  # e.g. `cnnviz export lenet5 | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
