"""What every design command shares: the SPEC argument, reading it, and one-line errors."""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import Any

from cnnviz.cli.exits import ExitCode, UsageError
from cnnviz.design.layer_kinds import MAX_BATCH
from cnnviz.design.presets import PRESETS
from cnnviz.design.shapes import summarize
from cnnviz.design.spec import SpecError, check_input


def spec_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "spec", metavar="SPEC", help=f"a preset ({', '.join(PRESETS)}) or a spec JSON file"
    )
    p.add_argument("--input", metavar="C,H,W", help="replace the input shape, e.g. 1,28,28 (or N)")
    p.add_argument(
        "--batch", type=int, default=None, help=f"mini-batch size for the shapes (1..{MAX_BATCH})"
    )


def load_spec(name: str, input_: str | None = None) -> dict:
    """A preset's spec or a spec file's, with the input replaced if asked; UsageError if bad."""
    from cnnviz.design.export import spec_from_json

    if name in PRESETS:
        spec = PRESETS[name].new_spec()
        spec.setdefault("name", PRESETS[name].title)
    else:
        path = Path(name)
        if not path.is_file():
            raise UsageError(
                f"no preset or file called {name!r}: use a preset ({', '.join(PRESETS)}) "
                "or the path of a spec JSON file"
            )
        try:
            data = path.read_bytes()[: 4 * 1024 * 1024]
        except OSError as e:
            raise UsageError(f"cannot read {name}: {e.strerror}") from e
        try:
            spec = spec_from_json(data)
        except SpecError as e:
            raise UsageError(f"{name}: {e}") from e
    if input_ is not None:
        try:
            dims: Any = [int(v) for v in input_.replace("x", ",").split(",")]
        except ValueError:
            dims = input_
        try:
            spec["input"] = check_input(dims)
        except SpecError as e:
            raise UsageError(f"--input: {e} (write it as C,H,W, e.g. 3,64,64)") from e
    return spec


def prepare(args: argparse.Namespace) -> tuple[dict, int, list[dict]]:
    spec = load_spec(args.spec, args.input)
    batch = args.batch if args.batch is not None else args.batch_default
    try:
        rows = summarize(spec, batch)
    except SpecError as e:
        raise UsageError(str(e)) from e
    return spec, batch, rows


def guard(func: Any) -> Any:
    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except UsageError as e:
            print(f"cnnviz: {e}", file=sys.stderr)
            return ExitCode.USAGE

    return run
