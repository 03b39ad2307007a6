"""What differs between runs: their settings and their networks, in the Design page's words.

``settings_diff(runs)`` keeps only the settings whose values differ
(``{"learning rate": [0.01, 0.001]}``); ``settings_lines`` words them
(``learning rate 0.01 → 0.001``). ``layers_diff(spec_a, spec_b)`` aligns the two
layer lists by layer kind (``difflib``, so a moved layer reads as a delete and an
insert) and returns one ``LayerChange`` per difference, with the params,
mult-adds and output-shape deltas from ``cnnviz.design.shapes.summarize``::

    + BatchNorm2d after layer 1
    layer 4 Conv2d: out_channels 12 → 24 (params 660 → 1,320, +660; ...)
    − Dropout (layer 6)
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cnnviz.design.blocks import block_name, is_block, normalize_block, path_label
from cnnviz.design.shapes import summarize, top_rows, totals
from cnnviz.design.spec import SpecError, compact_layer, kind_of, normalize_layer

if TYPE_CHECKING:
    from cnnviz.compare.runs import RunData


class ChangeKind(StrEnum):
    INSERT = "insert"
    DELETE = "delete"
    CHANGE = "change"  # same kind of layer, a parameter differs
    FOLLOWS = "follows"  # same layer, but its params or output follow from a change above
    INPUT = "input"  # the images the network takes
    TOTAL = "total"  # the whole network's params, mult-adds and output


@dataclass(frozen=True)
class LayerChange:
    kind: ChangeKind
    text: str  # the line shown and printed
    params_delta: int = 0
    mult_adds_delta: int = 0
    layer: str = ""  # the torch class name (Conv2d) of the layer concerned
    values: tuple[tuple[str, Any, Any], ...] = ()  # CHANGE: (parameter, before, after)


# (where, key, words); where: "train" (TrainConfig) or "dataset"
SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("dataset", "name", "dataset"),
    ("dataset", "train_size", "training images"),
    ("dataset", "image", "image size"),
    ("train", "normalize", "normalization"),
    ("train", "optimizer", "optimizer"),
    ("train", "lr", "learning rate"),
    ("train", "lr_schedule", "learning-rate schedule"),
    ("train", "momentum", "momentum"),
    ("train", "weight_decay", "weight decay"),
    ("train", "batch_size", "mini-batch size"),
    ("train", "epochs", "epochs"),
    ("train", "patience", "early stopping patience"),
    ("train", "augment_flip", "random horizontal flip"),
    ("train", "augment_crop", "random crop padding"),
    ("train", "val_fraction", "validation split"),
    ("train", "shuffle", "shuffle"),
    ("train", "seed", "seed"),
    ("train", "device", "device"),
)
NORM_WORDS = {"none": "none (0–255)", "div255": "÷255", "standardize": "standardize"}
OPT_WORDS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}
# TrainConfig's defaults for runs saved before a setting existed
_MISSING = {"lr_schedule": "none", "patience": 0}


def setting_value(run: RunData, where: str, key: str) -> Any:
    """One setting of a run (``RunData``: .train, .dataset)."""
    if where == "dataset":
        ds = run.dataset
        if key == "image":
            return "×".join(str(v) for v in [ds.get("channels", "?"), *ds.get("size", [])])
        return ds.get(key)
    return run.train.get(key, _MISSING.get(key))


def word(key: str, value: Any) -> str:
    """A setting's value as the app writes it."""
    if value is None:
        return "—"
    if key == "normalize":
        return NORM_WORDS.get(str(value), str(value))
    if key == "optimizer":
        return OPT_WORDS.get(str(value), str(value))
    if key == "val_fraction" and isinstance(value, int | float):
        return f"{100 * value:g}%"
    if key == "patience":
        return "off" if not value else f"{value} epochs"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def settings_diff(runs: Sequence[Any]) -> dict[str, list[Any]]:
    """``{setting in words: [value per run]}`` for the settings that differ (momentum only with SGD)."""
    out: dict[str, list[Any]] = {}
    sgd = any(str(r.train.get("optimizer")) == "sgd" for r in runs)
    for where, key, words in SETTINGS:
        if key == "momentum" and not sgd:
            continue
        values = [setting_value(r, where, key) for r in runs]
        if len({repr(v) for v in values}) > 1:
            out[words] = values
    return out


def settings_keys(runs: Sequence[Any]) -> list[str]:
    """The config keys (``lr``, ``normalize``, ...) of the settings that differ."""
    words = set(settings_diff(runs))
    return [key for _, key, w in SETTINGS if w in words]


def settings_lines(runs: Sequence[Any]) -> list[str]:
    """``learning rate 0.01 → 0.001`` per differing setting (values in run order)."""
    diff = settings_diff(runs)
    key_of = {w: k for _, k, w in SETTINGS}
    return [f"{w} " + " → ".join(word(key_of[w], v) for v in vals) for w, vals in diff.items()]


# -- layers -------------------------------------------------------------------------------


def _norm(layer: Any) -> dict:
    try:
        return normalize_block(layer) if is_block(layer) else normalize_layer(layer)
    except SpecError:
        return dict(layer) if isinstance(layer, dict) else {"type": str(layer)}


def _name(layer: dict) -> str:
    if is_block(layer):
        return "Residual" if str(layer.get("type")).lower() == "residual" else "Concat"
    try:
        return kind_of(layer).torch_name
    except SpecError:
        return str(layer.get("type", "?"))


def _short(layer: dict) -> str:
    """``BatchNorm2d``, or ``Dropout(p=0.3)`` when a parameter is not torch's default."""
    if is_block(layer):
        try:
            return block_name(normalize_block(layer))
        except SpecError:
            return _name(layer)
    try:
        c = compact_layer(layer)
    except SpecError:
        return _name(layer)
    args = ", ".join(f"{k}={v}" for k, v in c.items() if k != "type")
    return f"{_name(layer)}({args})" if args else _name(layer)


def _shape(row: dict | None) -> str:
    s = row.get("output_shape") if row else None
    return "?" if not s else "×".join(str(v) for v in s[1:])


def _rows(spec: dict) -> list[dict]:
    try:
        return summarize(spec, 1)
    except SpecError:
        return []


def _delta(a: int, b: int, words: str, *, whole: bool = True) -> str:
    if not whole:  # a layer added or removed: just its share
        return f"{words} {b - a:+,}"
    return f"{words} {b - a:+,} ({a:,} → {b:,})" if a != b else f"{words} unchanged ({a:,})"


def _facts(ra: dict | None, rb: dict | None) -> tuple[str, int, int]:
    """``(text, params delta, mult-adds delta)`` between a row before and after."""
    pa, pb = (ra or {}).get("params", 0), (rb or {}).get("params", 0)
    ma, mb = (ra or {}).get("mult_adds", 0), (rb or {}).get("mult_adds", 0)
    parts = []
    whole = bool(ra and rb)
    if pa != pb:
        parts.append(_delta(pa, pb, "params", whole=whole))
    if ma != mb:
        parts.append(_delta(ma, mb, "mult-adds", whole=whole))
    if ra and rb and _shape(ra) != _shape(rb):
        parts.append(f"output {_shape(ra)} → {_shape(rb)}")
    elif rb and not ra:
        parts.append(f"output {_shape(rb)}")
    return "; ".join(parts), pb - pa, mb - ma


def _with(text: str, facts: str) -> str:
    return f"{text} — {facts}" if facts else text


def layers_diff(spec_a: dict, spec_b: dict) -> list[LayerChange]:
    """Every difference from network A to network B, in order; [] when they are the same.

    Inside two blocks of the same kind at matching places, the layers are compared one
    level down by their paths (``layer 5.1 Conv2d: out_channels 16 → 24``), a residual
    block's shortcut as the block's own change, a concat block branch by branch."""
    all_a, all_b = _rows(spec_a), _rows(spec_b)
    by_a, by_b = _by_path(all_a), _by_path(all_b)
    out: list[LayerChange] = []
    ia, ib = list(spec_a.get("input", [])), list(spec_b.get("input", []))
    if ia != ib:
        out.append(
            LayerChange(
                ChangeKind.INPUT,
                f"input {'×'.join(map(str, ia))} → {'×'.join(map(str, ib))}",
            )
        )
    out += _diff_list(spec_a.get("layers", []), spec_b.get("layers", []), ("", ""), (by_a, by_b))
    if out:
        ta, tb = totals(all_a), totals(all_b)
        parts = [_delta(ta["params"], tb["params"], "params")]
        if ta["mult_adds"] != tb["mult_adds"]:
            parts.append(_delta(ta["mult_adds"], tb["mult_adds"], "mult-adds"))
        sa, sb = ta.get("output_shape"), tb.get("output_shape")
        if sa != sb:
            parts.append(f"output {_shape({'output_shape': sa})} → {_shape({'output_shape': sb})}")
        out.append(
            LayerChange(
                ChangeKind.TOTAL,
                "in all: " + "; ".join(parts),
                tb["params"] - ta["params"],
                tb["mult_adds"] - ta["mult_adds"],
            )
        )
    return out


Rows = dict[str, dict]


def _by_path(rows: list[dict]) -> Rows:
    """Each row by its path: the top level by position (as ``top_rows``), inner ones by ``path``."""
    out = {str(r.get("path")): r for r in rows if "." in str(r.get("path", ""))}
    out.update({str(i): r for i, r in enumerate(top_rows(rows))})
    return out


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _diff_list(
    raw_a: Any, raw_b: Any, prefix: tuple[str, str], rows: tuple[Rows, Rows]
) -> list[LayerChange]:
    """The changes between two lists of layers whose paths start with ``prefix`` (A's, B's)."""
    la, lb = [_norm(x) for x in _list(raw_a)], [_norm(x) for x in _list(raw_b)]
    (pa, pb), (by_a, by_b) = prefix, rows
    out: list[LayerChange] = []
    types_a, types_b = [x.get("type") for x in la], [x.get("type") for x in lb]
    sm = difflib.SequenceMatcher(None, types_a, types_b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                out += _compare_layer(f"{pa}{i}", f"{pb}{j}", la[i], lb[j], rows)
            continue
        if op in ("delete", "replace"):
            for i in range(i1, i2):
                facts, dp, dm = _facts(by_a.get(f"{pa}{i}"), None)
                out.append(
                    LayerChange(
                        ChangeKind.DELETE,
                        _with(f"− {_short(la[i])} (layer {path_label(f'{pa}{i}')})", facts),
                        dp,
                        dm,
                        _name(la[i]),
                    )
                )
        if op in ("insert", "replace"):
            for j in range(j1, j2):
                # where it goes, in A's numbering: after A's layer i1 (the last one kept before it)
                if i1:
                    where = f"after layer {path_label(f'{pa}{i1 - 1}')}"
                else:
                    where = f"at the start of block {path_label(pa[:-1])}" if pa else "at the start"
                facts, dp, dm = _facts(None, by_b.get(f"{pb}{j}"))
                text = _with(f"+ {_short(lb[j])} {where}", facts)
                out.append(LayerChange(ChangeKind.INSERT, text, dp, dm, _name(lb[j])))
    return out


def _compare_layer(
    path_a: str, path_b: str, a: dict, b: dict, rows: tuple[Rows, Rows]
) -> list[LayerChange]:
    la, lb = path_label(path_a), path_label(path_b)
    where = f"layer {la}" if la == lb else f"layer {la} (now {lb})"
    inner = ("layers", "branches") if is_block(a) else ()
    changed = [
        k
        for k in dict.fromkeys([*a, *b])
        if k != "type" and k not in inner and a.get(k) != b.get(k)
    ]
    facts, dp, dm = _facts(rows[0].get(path_a), rows[1].get(path_b))
    out: list[LayerChange] = []
    if changed:
        what = ", ".join(f"{k} {_val(a.get(k))} → {_val(b.get(k))}" for k in changed)
        values = tuple((k, a.get(k), b.get(k)) for k in changed)
        text = _with(f"{where} {_name(a)}: {what}", facts)
        out.append(LayerChange(ChangeKind.CHANGE, text, dp, dm, _name(a), values))
    elif (dp or dm) and not inner:  # e.g. a Linear whose in_features grew: a Conv2d above changed
        text = f"{where} {_name(a)}: {facts}, from the change above"
        out.append(LayerChange(ChangeKind.FOLLOWS, text, dp, dm, _name(a)))
    if str(a.get("type")) == "residual":
        out += _diff_list(a.get("layers"), b.get("layers"), (f"{path_a}.", f"{path_b}."), rows)
    elif inner:  # concat: branch by branch, a missing branch as an empty one
        ba, bb = _list(a.get("branches")), _list(b.get("branches"))
        for k in range(max(len(ba), len(bb))):
            out += _diff_list(
                ba[k] if k < len(ba) else [],
                bb[k] if k < len(bb) else [],
                (f"{path_a}.{k}.", f"{path_b}.{k}."),
                rows,
            )
    return out


def _val(v: Any) -> str:
    if isinstance(v, list):
        return "×".join(str(x) for x in v)
    return str(v)


def layers_lines(specs: Sequence[dict], labels: Sequence[str] | None = None) -> list[str]:
    """Each network against the first: the lines for two runs, prefixed by the label for more."""
    out: list[str] = []
    for k in range(1, len(specs)):
        changes = layers_diff(specs[0], specs[k])
        prefix = f"{labels[k]}: " if labels is not None and len(specs) > 2 else ""
        out += [prefix + c.text for c in changes]
    return out


__all__ = [
    "ChangeKind",
    "LayerChange",
    "SETTINGS",
    "layers_diff",
    "layers_lines",
    "settings_diff",
    "settings_keys",
    "settings_lines",
    "setting_value",
    "word",
]
