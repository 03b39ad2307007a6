"""Shape inference: pure arithmetic, instant, and exactly PyTorch's.

``summarize(spec, batch)`` gives one row per spec layer (the row contract is in
docs/ARCHITECTURE.md): input and output shape, the size formula with the
numbers filled in, params as a formula, weight/bias shapes, Linear's matmul,
mult-adds, activation memory, receptive field, and, for an invalid layer, the
error and a concrete fix. ``totals(rows)`` sums them.

Decisions the rows encode:

- Rows below the first *shape* error have status ``"not computed"``; a layer
  whose own parameters are invalid (a value out of range, an unknown type) is
  reported with status ``"error"`` wherever it is, so a student sees all such
  mistakes at once. The first error row is where torch would fail.
- ``mult_adds`` counts the multiply-accumulates of Conv2d and Linear (the
  weighted layers) for the whole batch; other layers count 0.
- ``receptive_field`` / ``jump`` follow the height axis; None once flattened.
- "Linear needs a flat input" is a cnnviz rule (torch would apply Linear to
  the last axis): after a 4-D output it is an error that asks for a Flatten.
"""

from __future__ import annotations

from math import prod
from typing import Any

from cnnviz.design.layer_kinds import MAX_BATCH, MAX_MODEL_PARAMS, Rule
from cnnviz.design.rules import RULES
from cnnviz.design.spec import SpecError, check_spec_structure, describe, kind_of, normalize_layer
from cnnviz.design.words import LayerProblem, n

BYTES_PER_VALUE = 4  # float32
HUGE_ACTIVATION = 1 << 30  # 1 GiB for one output tensor: warn


def check_batch(batch: Any) -> int:
    """The batch size as an int in 1..MAX_BATCH, or SpecError with the fix."""
    if isinstance(batch, bool) or not isinstance(batch, (int, float)) or int(batch) != batch:
        raise SpecError(
            f"the batch size must be a whole number, got {batch!r}", fix="enter e.g. 32"
        )
    if not 1 <= batch <= MAX_BATCH:
        raise SpecError(
            f"the batch size must be between 1 and {MAX_BATCH}, got {int(batch)}",
            fix=f"use a batch size from 1 to {MAX_BATCH}",
        )
    return int(batch)


def _blank_row(index: int, raw: Any) -> dict:
    t = raw.get("type") if isinstance(raw, dict) else None
    try:
        kind = kind_of(raw)
        type_, category, explain, name = (
            kind.type,
            str(kind.category),
            kind.explain,
            kind.torch_name,
        )
    except SpecError:
        type_, category, explain, name = str(t) if t is not None else "?", "", "", str(t or "?")
    return {
        "index": index,
        "type": type_,
        "category": category,
        "explain": explain,
        "name": name,
        "status": "not computed",
        "input_shape": None,
        "output_shape": None,
        "params": 0,
        "params_formula": "",
        "weight_shape": None,
        "bias_shape": None,
        "matmul": None,
        "mult_adds": 0,
        "activation_bytes": 0,
        "receptive_field": None,
        "jump": None,
        "formula": [],
        "note": None,
        "error": None,
        "fix": None,
    }


def summarize(spec: dict, batch: int = 1) -> list[dict]:
    """One row per spec layer, in order (see the module docstring and ARCHITECTURE.md).

    Raises SpecError only when the spec as a whole is malformed (no input, layers
    not a list, too many layers) or the batch size is out of range.
    """
    batch = check_batch(batch)
    dims, layers = check_spec_structure(spec)
    shape: list[int] | None = [batch, *dims]
    rf: tuple[int | None, int | None] = (1, 1) if len(dims) == 3 else (None, None)
    rows: list[dict] = []
    for i, raw in enumerate(layers):
        row = _blank_row(i, raw)
        rows.append(row)
        try:
            layer = normalize_layer(raw)
        except SpecError as e:
            row.update(
                status="error", error=str(e), fix=e.fix or "change the value as the message says"
            )
            shape = None
            continue
        kind = kind_of(layer)
        flat_ok = kind.rule is Rule.LINEAR
        in_dim = (
            shape[1]
            if shape is not None and kind.inferred and len(shape) == (2 if flat_ok else 4)
            else None
        )
        row["name"] = describe(layer, in_dim)
        if shape is None:
            continue
        row["input_shape"] = list(shape)
        try:
            step = RULES[kind.rule](kind, layer, shape, i, rf)
        except LayerProblem as e:
            row.update(status="error", error=e.error, fix=e.fix)
            shape = None
            continue
        shape = step.output_shape
        rf = (step.rf, step.jump)
        values = prod(shape)
        notes = list(step.notes)
        if values * BYTES_PER_VALUE > HUGE_ACTIVATION:
            notes.append(
                f"this output is {values * BYTES_PER_VALUE / 2**30:.1f} GB for a batch of {batch} "
                "(float32): too big to train here; add pooling, a stride, or fewer channels"
            )
        row.update(
            status="ok",
            output_shape=list(shape),
            params=step.params,
            params_formula=step.params_formula,
            weight_shape=step.weight_shape,
            bias_shape=step.bias_shape,
            matmul=step.matmul,
            mult_adds=step.mult_adds,
            activation_bytes=values * BYTES_PER_VALUE,
            receptive_field=step.rf,
            jump=step.jump,
            formula=step.formula,
            note="; ".join(notes) if notes else None,
        )
    _note_heaviest(rows)
    return rows


def _note_heaviest(rows: list[dict]) -> None:
    """Tell the layer that holds most of the parameters (usually the first Linear) so."""
    weighted = [r for r in rows if r["params"]]
    total = sum(r["params"] for r in weighted)
    if len(weighted) < 2 or any(r["status"] != "ok" for r in rows):
        return
    top = max(weighted, key=lambda r: r["params"])
    share = top["params"] / total
    if share >= 0.5:
        pct = f"{share:.1%}" if share > 0.995 else f"{share:.0%}"  # never a rounded "100%"
        msg = f"holds {pct} of all parameters"
        top["note"] = f"{top['note']}; {msg}" if top["note"] else msg


def first_error(rows: list[dict]) -> SpecError | None:
    """The first error row as a SpecError naming the layer and the fix, or None if all is fine."""
    for i, row in enumerate(rows):
        if row.get("error"):
            fix = f" Fix: {row['fix']}." if row.get("fix") else ""
            return SpecError(
                f"Layer {i + 1} ({row.get('name', '?')}): {row['error']}.{fix}", layer=i
            )
    return None


def totals(rows: list[dict]) -> dict:
    """Sums over the rows: params, mult_adds, activation_bytes, param_bytes, output_shape.

    ``output_shape`` is the last layer's when every row is ok, else None; ``ok``
    says whether every row is ok, ``errors`` counts the error rows, ``warning`` is None or
    why build_model would refuse the design (too many parameters in all).
    """
    params = sum(r["params"] for r in rows)
    ok = all(r["status"] == "ok" for r in rows)
    return {
        "params": params,
        "mult_adds": sum(r["mult_adds"] for r in rows),
        "activation_bytes": sum(r["activation_bytes"] for r in rows),
        "param_bytes": params * BYTES_PER_VALUE,
        "output_shape": rows[-1]["output_shape"] if rows and ok else None,
        "receptive_field": rows[-1]["receptive_field"] if rows and ok else None,
        "ok": ok,
        "errors": sum(r["status"] == "error" for r in rows),
        "layers": len(rows),
        "warning": (
            f"{params:,} parameters is more than the {MAX_MODEL_PARAMS:,} cnnviz builds: "
            "use fewer channels or out_features, or add pooling before the Flatten"
            if params > MAX_MODEL_PARAMS
            else None
        ),
    }


def format_count(x: int) -> str:
    """885,760 → '885.8K'; for tables."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(x) >= size:
            return f"{x / size:.1f}{unit}"
    return n(x)


def format_bytes(x: int) -> str:
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if x >= size:
            return f"{x / size:.1f} {unit}"
    return f"{x} B"
