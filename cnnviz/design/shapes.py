"""Shape inference: pure arithmetic, instant, and exactly PyTorch's.

``summarize(spec, batch)`` gives one row per layer, the layers inside blocks
included (the row contract is in docs/ARCHITECTURE.md): input and output shape, the size formula with the
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
- Rows come in the order a forward pass finishes them: a block's own row (the
  merge, its output shape, its shortcut's parameters) right after its layers'
  rows. Each row has ``path`` ("4.2": block 4, its third layer; "4.1.0": a
  concat block's branch 1, layer 0), ``label`` (the path counted from 1),
  ``depth``, ``module`` (the submodule's name in ``build_model``'s model) and
  ``block`` (the block kind, None for a layer). ``index`` is the top-level
  layer's index; ``top_rows`` keeps one row per ``spec["layers"]`` entry.
- "Linear needs a flat input" is a cnnviz rule (torch would apply Linear to
  the last axis): after a 4-D output it is an error that asks for a Flatten.
"""

from __future__ import annotations

from math import prod
from typing import Any

from cnnviz.design.blocks import (
    BLOCK_EXPLAIN,
    BlockType,
    block_children,
    block_name,
    check_stack,
    concat_merge,
    is_block,
    normalize_block,
    path_label,
    residual_merge,
)
from cnnviz.design.layer_kinds import MAX_BATCH, MAX_MODEL_PARAMS, Rule
from cnnviz.design.rules import RULES
from cnnviz.design.spec import SpecError, describe, kind_of, normalize_layer
from cnnviz.design.words import LayerProblem, n

BYTES_PER_VALUE = 4  # float32
HUGE_ACTIVATION = 1 << 30  # 1 GiB for one output tensor: warn
BLOCK_CATEGORY = "Block"


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


def _blank_row(index: int, raw: Any, path: str, module: str, depth: int) -> dict:
    t = raw.get("type") if isinstance(raw, dict) else None
    if is_block(raw):
        bt = BlockType(str(t).lower())
        type_, category, explain = str(bt), BLOCK_CATEGORY, BLOCK_EXPLAIN[bt]
        name = "Residual" if bt is BlockType.RESIDUAL else "Concat"
    else:
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
        "path": path,
        "module": module,
        "depth": depth,
        "label": path_label(path),
        "block": type_ if is_block(raw) else None,
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


Shape = list[int] | None
RF = tuple[int | None, int | None]


class _Walk:
    """One summarize call: the rows so far, in the order a forward pass finishes them."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.rows: list[dict] = []

    def stack(
        self,
        layers: list[Any],
        shape: Shape,
        rf: RF,
        path: str,
        module: str,
        top: int | None,
        depth: int = 0,
    ) -> tuple[Shape, RF]:
        """The rows of ``layers`` (paths ``path + i``, ``depth`` blocks deep); the shape and
        receptive field they end with."""
        for i, raw in enumerate(layers):
            index = i if top is None else top
            if is_block(raw):
                shape, rf = self.block(raw, shape, rf, f"{path}{i}", f"{module}{i}", index, depth)
            else:
                row = _blank_row(index, raw, f"{path}{i}", f"{module}{i}", depth)
                self.rows.append(row)
                shape, rf = self.layer(row, raw, shape, rf)
        return shape, rf

    def layer(self, row: dict, raw: Any, shape: Shape, rf: RF) -> tuple[Shape, RF]:
        try:
            layer = normalize_layer(raw)
        except SpecError as e:
            row.update(
                status="error", error=str(e), fix=e.fix or "change the value as the message says"
            )
            return None, rf
        kind = kind_of(layer)
        flat_ok = kind.rule is Rule.LINEAR
        in_dim = (
            shape[1]
            if shape is not None and kind.inferred and len(shape) == (2 if flat_ok else 4)
            else None
        )
        row["name"] = describe(layer, in_dim)
        if shape is None:
            return None, rf
        row["input_shape"] = list(shape)
        try:
            step = RULES[kind.rule](kind, layer, shape, len(self.rows) - 1, rf)
        except LayerProblem as e:
            row.update(status="error", error=e.error, fix=e.fix)
            return None, rf
        notes = list(step.notes)
        self._ok(row, step.output_shape, notes)
        row.update(
            params=step.params,
            params_formula=step.params_formula,
            weight_shape=step.weight_shape,
            bias_shape=step.bias_shape,
            matmul=step.matmul,
            mult_adds=step.mult_adds,
            receptive_field=step.rf,
            jump=step.jump,
            formula=step.formula,
        )
        return step.output_shape, (step.rf, step.jump)

    def _ok(self, row: dict, shape: list[int], notes: list[str], extra_values: int = 0) -> None:
        values = prod(shape)
        if values * BYTES_PER_VALUE > HUGE_ACTIVATION:
            notes.append(
                f"this output is {values * BYTES_PER_VALUE / 2**30:.1f} GB for a batch of "
                f"{self.batch} (float32): too big to train here; add pooling, a stride, or fewer "
                "channels"
            )
        row.update(
            status="ok",
            output_shape=list(shape),
            activation_bytes=(values + extra_values) * BYTES_PER_VALUE,
            note="; ".join(notes) if notes else None,
        )

    def block(
        self, raw: dict, shape: Shape, rf: RF, path: str, module: str, top: int, depth: int
    ) -> tuple[Shape, RF]:
        row = _blank_row(top, raw, path, module, depth)
        problem: SpecError | None = None
        try:
            block: dict | None = normalize_block(raw)
        except SpecError as e:
            block, problem = None, e
        outs: list[tuple[Shape, RF, dict[str, str]]] = []
        for step, mod_step, inner in block_children(raw):
            first = len(self.rows)
            out, out_rf = self.stack(
                inner, shape, rf, f"{path}.{step}", f"{module}.{mod_step}", top, depth + 1
            )
            outs.append((out, out_rf, _changes(self.rows[first:], depth + 1)))
        self.rows.append(row)
        if block is None:
            assert problem is not None
            row.update(status="error", error=str(problem), fix=problem.fix or "see the message")
            return None, rf
        row["name"] = block_name(block)
        if shape is None:
            return None, rf
        row["input_shape"] = list(shape)
        if any(o[0] is None for o in outs):
            return None, rf
        label = path_label(path)
        try:
            if block["type"] == BlockType.RESIDUAL:
                y, body_rf, hints = outs[0]
                assert y is not None
                merge = residual_merge(block, shape, y, label, hints)
                field = max(body_rf[0] or 0, rf[0] or 0) or None
                jump = body_rf[1]
            else:
                shapes = [o[0] for o in outs if o[0] is not None]
                merge = concat_merge(shapes, label, [o[2] for o in outs])
                field = max((o[1][0] or 0 for o in outs), default=0) or None
                jump = max((o[1][1] or 0 for o in outs), default=0) or None
        except LayerProblem as e:
            row.update(status="error", error=e.error, fix=e.fix)
            return None, rf
        if len(merge.output_shape) != 4:
            field = jump = None
        self._ok(row, merge.output_shape, [], merge.extra_values)
        row.update(
            params=merge.params,
            params_formula=merge.params_formula,
            weight_shape=merge.weight_shape,
            bias_shape=[merge.output_shape[1]] if merge.params else None,
            mult_adds=merge.mult_adds,
            receptive_field=field,
            jump=jump,
            formula=merge.formula or [],
        )
        return merge.output_shape, (field, jump)


def _changes(rows: list[dict], depth: int) -> dict[str, str]:
    """Which of a stack's own rows last changed the channels and first changed H×W (for fixes)."""
    hints: dict[str, str] = {}
    for r in rows:
        if r["depth"] != depth or r["status"] != "ok":
            continue
        a, b = r["input_shape"], r["output_shape"]
        if len(a) == len(b) == 4:
            if a[1] != b[1]:
                hints["channels"] = f"layer {r['label']} ({r['name']})"
            if a[2:] != b[2:] and "size" not in hints:
                hints["size"] = f"layer {r['label']} ({r['name']})"
    return hints


def summarize(spec: dict, batch: int = 1) -> list[dict]:
    """One row per layer, inner layers of blocks included (see the module docstring).

    The rows come in the order a forward pass finishes them: a block's own row (the
    merge, its output and its shortcut's parameters) right after the rows of its layers.
    Raises SpecError only when the spec as a whole is malformed (no input, layers
    not a list, too many layers, blocks nested too deep) or the batch size is out of range.
    """
    batch = check_batch(batch)
    dims, layers = check_stack(spec)
    shape: list[int] | None = [batch, *dims]
    rf: RF = (1, 1) if len(dims) == 3 else (None, None)
    walk = _Walk(batch)
    walk.stack(layers, shape, rf, "", "", None)
    _note_heaviest(walk.rows)
    return walk.rows


def top_rows(rows: list[dict]) -> list[dict]:
    """The rows of the top-level layers (one per ``spec["layers"]`` entry), in order."""
    return [r for r in rows if r.get("depth", 0) == 0]


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
    """The first error row as a SpecError naming the layer and the fix, or None if all is fine.

    ``layer`` is the top-level index (the block, for an inner layer); ``path`` the row's path.
    """
    for row in rows:
        if row.get("error"):
            fix = f" Fix: {row['fix']}." if row.get("fix") else ""
            label = row.get("label") or str(row.get("index", 0) + 1)
            err = SpecError(
                f"Layer {label} ({row.get('name', '?')}): {row['error']}.{fix}",
                layer=row.get("index"),
            )
            err.path = row.get("path")
            return err
    return None


def totals(rows: list[dict]) -> dict:
    """Sums over the rows: params, mult_adds, activation_bytes, param_bytes, output_shape.

    ``output_shape`` is the last layer's when every row is ok, else None; ``ok``
    says whether every row is ok, ``errors`` counts the error rows, ``warning`` is None or
    why build_model would refuse the design (too many parameters in all).
    """
    params = sum(r["params"] for r in rows)
    ok = all(r["status"] == "ok" for r in rows)
    last = top_rows(rows)[-1] if rows else None
    return {
        "params": params,
        "mult_adds": sum(r["mult_adds"] for r in rows),
        "activation_bytes": sum(r["activation_bytes"] for r in rows),
        "param_bytes": params * BYTES_PER_VALUE,
        "output_shape": last["output_shape"] if last and ok else None,
        "receptive_field": last["receptive_field"] if last and ok else None,
        "ok": ok,
        "errors": sum(r["status"] == "error" for r in rows),
        "layers": sum(not r.get("block") for r in rows),
        "blocks": sum(bool(r.get("block")) for r in rows),
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
