"""The command line: ``python -m cnnviz summary|export|train ...``.

``summary`` and ``export`` live in cnnviz/cli_design.py. ``train`` is
cnnviz/cli_train.py's (``add_arguments(parser)`` and ``run(args) -> int``); it is
imported only when ``train`` is asked for, so the shape tools stay instant.
Exit codes: 0 ok, 1 the design is invalid (the message names the layer),
2 a bad argument, file or preset name.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    from cnnviz import cli_design

    parser = argparse.ArgumentParser(
        prog="python -m cnnviz",
        description="Design, train and look inside convolutional networks.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_design.add_summary(sub)
    cli_design.add_export(sub)
    train = sub.add_parser(
        "train", help="train a design on a dataset and save the run", description="Train a design."
    )
    train.set_defaults(func=_train_unavailable)
    if "train" in argv:  # import the training stack only when it is used
        try:
            cli_train = importlib.import_module("cnnviz.cli_train")
        except ModuleNotFoundError as e:
            if e.name != "cnnviz.cli_train":
                raise
            train.add_argument("rest", nargs=argparse.REMAINDER)
        else:
            cli_train.add_arguments(train)
            train.set_defaults(func=cli_train.run)
    return parser


def _train_unavailable(args: argparse.Namespace) -> int:
    print(
        "cnnviz: training from the command line is not available in this version", file=sys.stderr
    )
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("cnnviz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `python -m cnnviz export lenet5 | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
