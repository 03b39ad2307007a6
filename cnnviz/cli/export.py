"""``cnnviz export SPEC``: the design as runnable PyTorch code, spec JSON or a share-link value."""

from __future__ import annotations

import argparse
import sys

from cnnviz.cli.exits import ExitCode
from cnnviz.cli.specs import guard, prepare, spec_arg
from cnnviz.design.shapes import first_error


def add_arguments(p: argparse.ArgumentParser) -> None:
    spec_arg(p)
    p.add_argument(
        "--format",
        choices=("pytorch", "json", "url"),
        default="pytorch",
        help="pytorch code (default), the spec as JSON, or the ?net= value of a share link",
    )
    p.set_defaults(batch_default=2)


@guard
def run(args: argparse.Namespace) -> int:
    """Print PyTorch code, spec JSON or the URL value; exit 1 if the design is invalid."""
    from cnnviz.design.export import encode_spec, spec_to_json, to_pytorch_code

    spec, batch, rows = prepare(args)
    if args.format == "json":
        print(spec_to_json(spec), end="")
        return 0
    if args.format == "url":
        print(encode_spec(spec))
        return 0
    err = first_error(rows)
    if err:
        print(f"cnnviz: {err}", file=sys.stderr)
        return ExitCode.INVALID
    print(to_pytorch_code(spec, batch=batch), end="")
    return 0
