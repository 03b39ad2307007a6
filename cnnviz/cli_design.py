"""``python -m cnnviz summary`` and ``export``: the shape engine and the code export, headless.

SPEC is a preset name (``lecture-7-23``) or a spec JSON file. ``--input C,H,W``
(or ``N``) replaces the spec's input. A bad file, preset or argument prints one
line and exits 2; an invalid design prints the table (or the JSON rows) and the
first error with its fix, and exits 1. Never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cnnviz.presets import PRESETS
from cnnviz.shapes import first_error, format_bytes, format_count, summarize, totals
from cnnviz.spec import MAX_BATCH, SpecError, check_input

EXIT_INVALID = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A bad argument, file or preset: exit 2 with this message."""


def _spec_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "spec", metavar="SPEC", help=f"a preset ({', '.join(PRESETS)}) or a spec JSON file"
    )
    p.add_argument("--input", metavar="C,H,W", help="replace the input shape, e.g. 1,28,28 (or N)")
    p.add_argument(
        "--batch", type=int, default=None, help=f"mini-batch size for the shapes (1..{MAX_BATCH})"
    )


def add_summary(sub: Any) -> None:
    p = sub.add_parser(
        "summary",
        help="per-layer shapes, params and mult-adds",
        description="Print each layer's input → output shape, params and mult-adds, and totals.",
    )
    _spec_arg(p)
    p.add_argument("--json", action="store_true", help="print the summarize() rows as JSON")
    p.add_argument(
        "--explain",
        action="store_true",
        help="after the table, each layer's size formula with the numbers filled in",
    )
    p.set_defaults(func=run_summary, batch_default=1)


def add_export(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="print runnable PyTorch code (or the spec JSON)",
        description="Print the design as runnable PyTorch code, spec JSON or a share-link value.",
    )
    _spec_arg(p)
    p.add_argument(
        "--format",
        choices=("pytorch", "json", "url"),
        default="pytorch",
        help="pytorch code (default), the spec as JSON, or the ?net= value of a share link",
    )
    p.set_defaults(func=run_export, batch_default=2)


def load_spec(name: str, input_: str | None = None) -> dict:
    """A preset's spec or a spec file's, with the input replaced if asked; UsageError if bad."""
    from cnnviz.export import spec_from_json

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


def _shape(s: list[int] | None) -> str:
    return "—" if s is None else "[" + ", ".join(str(x) for x in s) + "]"


def render_table(rows: list[dict], spec: dict, batch: int) -> str:
    """The summary as an aligned text table with totals."""
    head = ("#", "layer", "input → output", "params", "mult-adds", "note")
    lines_: list[tuple[str, ...]] = [("", "input", _shape([batch, *spec["input"]]), "", "", "")]
    for r in rows:
        if r["status"] == "ok":
            shapes = f"{_shape(r['input_shape'])} → {_shape(r['output_shape'])}"
            note = r["note"] or ""
        elif r["status"] == "error":
            shapes, note = "ERROR", f"{r['error']}. Fix: {r['fix']}"
        else:
            shapes, note = "not computed", ""
        params = r["params_formula"]
        madds = format_count(r["mult_adds"]) if r["mult_adds"] else ""
        lines_.append((str(r["index"] + 1), r["name"], shapes, params, madds, note))
    widths = [max(len(row[i]) for row in (head, *lines_)) for i in range(5)]
    out = []
    for row in (head, *lines_):
        cells = [
            c.ljust(w) if i != 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=False))
        ]
        out.append(("  ".join(cells) + "  " + row[5]).rstrip())
    t = totals(rows)
    out.append("")
    out.append(
        f"{t['layers']} layers, {t['params']:,} parameters ({format_bytes(t['param_bytes'])}), "
        f"{t['mult_adds']:,} mult-adds, activations {format_bytes(t['activation_bytes'])} "
        f"for a mini-batch of {batch}"
        + (f", output {_shape(t['output_shape'])}" if t["output_shape"] else "")
    )
    if t["warning"]:
        out.append(f"warning: {t['warning']}")
    return "\n".join(out)


def render_explanations(rows: list[dict]) -> str:
    """Each computed layer's formulas, receptive field and weights, one block per layer."""
    out = []
    for r in rows:
        if r["status"] != "ok":
            continue
        out.append(f"{r['index'] + 1}. {r['name']}: {r['explain']}")
        out += [f"     {line}" for line in r["formula"]]
        if r["matmul"]:
            out.append(f"     weights {_shape(r['weight_shape'])}: {r['matmul']}")
        elif r["weight_shape"]:
            out.append(f"     weights {_shape(r['weight_shape'])}, bias {_shape(r['bias_shape'])}")
        if r["params_formula"]:
            out.append(f"     params {r['params_formula']}")
        if r["receptive_field"] is not None:
            out.append(
                f"     receptive field {r['receptive_field']} pixels tall, "
                f"stride product {r['jump']}"
            )
        if r["note"]:
            out.append(f"     note: {r['note']}")
    return "\n".join(out)


def _prepare(args: argparse.Namespace) -> tuple[dict, int, list[dict]]:
    spec = load_spec(args.spec, args.input)
    batch = args.batch if args.batch is not None else args.batch_default
    try:
        rows = summarize(spec, batch)
    except SpecError as e:
        raise UsageError(str(e)) from e
    return spec, batch, rows


def _guard(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except UsageError as e:
            print(f"cnnviz: {e}", file=sys.stderr)
            return EXIT_USAGE

    run.__doc__ = func.__doc__
    return run


@_guard
def run_summary(args: argparse.Namespace) -> int:
    """Print the table (or JSON rows); exit 1 with the first error if the design is invalid."""
    spec, batch, rows = _prepare(args)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print(render_table(rows, spec, batch))
        if args.explain:
            print()
            print(render_explanations(rows))
    err = first_error(rows)
    if err:
        print(f"cnnviz: {err}", file=sys.stderr)
        return EXIT_INVALID
    return 0


@_guard
def run_export(args: argparse.Namespace) -> int:
    """Print PyTorch code, spec JSON or the URL value; exit 1 if the design is invalid."""
    from cnnviz.export import encode_spec, spec_to_json, to_pytorch_code

    spec, batch, rows = _prepare(args)
    if args.format == "json":
        print(spec_to_json(spec), end="")
        return 0
    if args.format == "url":
        print(encode_spec(spec))
        return 0
    err = first_error(rows)
    if err:
        print(f"cnnviz: {err}", file=sys.stderr)
        return EXIT_INVALID
    print(to_pytorch_code(spec, batch=batch), end="")
    return 0
