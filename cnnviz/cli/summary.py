"""``cnnviz summary SPEC``: each layer's shapes, params and mult-adds, headless.

SPEC is a preset name (``lecture-7-23``) or a spec JSON file. ``--input C,H,W``
(or ``N``) replaces the spec's input. A bad file, preset or argument prints one
line and exits 2; an invalid design prints the table (or the JSON rows) and the
first error with its fix, and exits 1. Never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from cnnviz.cli.exits import ExitCode
from cnnviz.cli.specs import guard, prepare, spec_arg
from cnnviz.design.shapes import first_error, format_bytes, format_count, totals


def add_arguments(p: argparse.ArgumentParser) -> None:
    spec_arg(p)
    p.add_argument("--json", action="store_true", help="print the summarize() rows as JSON")
    p.add_argument(
        "--explain",
        action="store_true",
        help="after the table, each layer's size formula with the numbers filled in",
    )
    p.set_defaults(batch_default=1)


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
        label = str(r.get("label") or r["index"] + 1)
        name = ("  " * r.get("depth", 0)) + r["name"] + (": merge" if r.get("block") else "")
        lines_.append((label, name, shapes, params, madds, note))
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


@guard
def run(args: argparse.Namespace) -> int:
    """Print the table (or JSON rows); exit 1 with the first error if the design is invalid."""
    spec, batch, rows = prepare(args)
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
        return ExitCode.INVALID
    return 0
