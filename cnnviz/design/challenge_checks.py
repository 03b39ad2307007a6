"""A challenge's targets, checked: live on a design (the shape engine), and on a finished run.

``design_checks(ch, spec)`` -> one ``Check`` per rule and target, each with words
saying how far the design is ("12,544 parameters of 20,000 allowed") and, when not
met, a hint from the shape engine's own formula. ``run_check(ch, spec, train, status)``
checks a run from the run store (its spec, its ``config.json`` settings and its
``status.json``): finished, the settings the challenge locks, the epochs, the test
accuracy, and the design targets on the network it trained. ``met(checks)`` says
whether all were met. Torch-free: what it counts is what torch counts (tests check).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnnviz.design.challenge import Challenge, ShapeTarget
from cnnviz.design.layer_kinds import LAYER_KINDS
from cnnviz.design.shapes import first_error, summarize, totals
from cnnviz.design.spec import SpecError


@dataclass(frozen=True)
class Check:
    """One rule or target: met or not, how far (words), and what to do next (hint)."""

    name: str  # "shape", "params", "mult_adds", "kinds", "layers", "valid", "accuracy"
    met: bool
    words: str
    hint: str = ""
    pending: bool = False  # the accuracy target before a run under the challenge has ended


def n(x: int) -> str:
    """A count with thousands separators, always: 12,544."""
    return f"{int(x):,}"


def met(checks: list[Check]) -> bool:
    return bool(checks) and all(c.met for c in checks)


def layer_types(spec: dict, rows: list[dict] | None = None) -> list[str]:
    """Every layer's type in forward order, the layers inside blocks included."""
    try:
        rows = summarize(spec, 1) if rows is None else rows
    except SpecError:
        return []
    return [str(r.get("type")) for r in rows if not r.get("block")]


def _name(kind: str) -> str:
    k = LAYER_KINDS.get(kind)
    return k.torch_name if k is not None else kind


def _dims(shape: Any) -> str:
    return "×".join(str(x) for x in shape)


def _shape_check(t: ShapeTarget, rows: list[dict]) -> Check:
    of_kind = [r for r in rows if r.get("type") == t.kind and not r.get("block")]
    want = _dims(t.shape)
    label = f"after {_name(t.kind)} {t.nth}: target {want}"
    if len(of_kind) < t.nth:
        return Check(
            "shape",
            False,
            f"{label}; the design has {len(of_kind)} {_name(t.kind)}",
            f"add {t.nth - len(of_kind)} more {_name(t.kind)} layer"
            f"{'s' if t.nth - len(of_kind) > 1 else ''}",
        )
    row = of_kind[t.nth - 1]
    if row.get("status") != "ok" or not row.get("output_shape"):
        return Check("shape", False, f"{label}; this layer has an error", row.get("fix") or "")
    got = tuple(row["output_shape"][1:])
    words = f"after {_name(t.kind)} {t.nth} (layer {row['label']}): {_dims(got)}, target {want}"
    if got == t.shape:
        return Check("shape", True, words)
    return Check("shape", False, words, _shape_hint(t, got, row))


def _shape_hint(t: ShapeTarget, got: tuple[int, ...], row: dict) -> str:
    tips = []
    if len(got) != len(t.shape):
        tips.append(f"it gives {len(got)} numbers per image, the target {len(t.shape)}")
    else:
        if got[0] != t.shape[0]:
            what = "out_channels" if row.get("type") == "conv2d" else "the channels above it"
            tips.append(f"set {what} to {t.shape[0]} (now {got[0]})")
        if len(got) == 3 and got[1:] != t.shape[1:]:
            (h, w), (th, tw) = got[1:], t.shape[1:]
            if th and tw and h % th == 0 and w % tw == 0 and h // th == w // tw > 1:
                f = h // th
                tips.append(
                    f"H and W are {f}× too large: add MaxPool2d({f}) above it, or give it "
                    f"stride {f}"
                )
            elif th > h or tw > w:
                tips.append("H and W are too small: add padding, or pool less above it")
            else:
                tips.append(f"H×W is {h}×{w}, the target {th}×{tw}")
    why = "; ".join(str(x) for x in row.get("formula") or [])
    return "; ".join(tips) + (f". Why: {why}" if why else "")


def design_checks(ch: Challenge, spec: dict, *, rows: list[dict] | None = None) -> list[Check]:
    """Every design rule and target of ``ch`` on ``spec`` (no accuracy target: see run_check)."""
    out: list[Check] = []
    try:
        rows = summarize(spec, 1) if rows is None else rows
    except SpecError as e:
        return [Check("valid", False, f"the design cannot be read: {e}")]
    types = layer_types(spec, rows)
    if ch.kinds:
        start = set(layer_types(ch.spec))
        other = [t for t in dict.fromkeys(types) if t not in ch.kinds and t not in start]
        allowed = ", ".join(_name(k) for k in ch.kinds)
        out.append(
            Check(
                "kinds",
                not other,
                f"layer kinds: {allowed} (and those it started with)",
                f"remove {', '.join(_name(t) for t in other)}: not allowed here" if other else "",
            )
        )
    if not ch.may_add:
        same = types == layer_types(ch.spec)
        out.append(
            Check(
                "layers",
                same,
                "the layers stay as they are: change their values only",
                ""
                if same
                else "go back to the challenge's layers (Start again from the challenge)",
            )
        )
    err = first_error(rows)
    if err is not None:
        out.append(Check("valid", False, "the design has an error", str(err)))
    tot = totals(rows)
    for t in ch.shapes:
        out.append(_shape_check(t, rows))
    if ch.max_params is not None:
        p = int(tot["params"])
        ok = p <= ch.max_params
        out.append(
            Check(
                "params",
                ok,
                f"{n(p)} parameters of {n(ch.max_params)} allowed",
                "" if ok else _budget_hint(rows, "params", "parameters", p - ch.max_params),
            )
        )
    if ch.max_mult_adds is not None:
        m = int(tot["mult_adds"])
        ok = m <= ch.max_mult_adds
        out.append(
            Check(
                "mult_adds",
                ok,
                f"{n(m)} mult-adds per image of {n(ch.max_mult_adds)} allowed",
                "" if ok else _budget_hint(rows, "mult_adds", "mult-adds", m - ch.max_mult_adds),
            )
        )
    return out


def _budget_hint(rows: list[dict], key: str, what: str, over: int) -> str:
    top = max((r for r in rows if r.get(key)), key=lambda r: r[key], default=None)
    if top is None:
        return f"{n(over)} {what} too many"
    formula = top.get("params_formula") if key == "params" else top.get("matmul")
    why = f" ({formula})" if formula else ""
    return (
        f"{n(over)} {what} too many: layer {top['label']} ({top['name']}) has {n(top[key])}{why}; "
        "fewer channels or out_features there, or pool before the Flatten"
    )


def accuracy_words(ch: Challenge) -> str:
    epochs = (
        f" within {ch.max_epochs} epoch{'s' if ch.max_epochs != 1 else ''}" if ch.max_epochs else ""
    )
    return f"test accuracy ≥ {100 * (ch.min_accuracy or 0):.1f} %{epochs}"


def run_check(
    ch: Challenge, spec: Any, train: dict, status: dict, *, dataset: str | None = None
) -> Check:
    """A run under ``ch`` (its spec, its config's train settings, its status, its dataset's
    name): did it meet the accuracy target, within the challenge's rules?"""
    target = accuracy_words(ch)
    if dataset is not None and dataset != ch.dataset:
        return Check("accuracy", False, f"{target}: trained on {dataset}, not {ch.dataset}",
                     f"train on {ch.dataset}")  # fmt: skip
    state = str(status.get("status", ""))
    if state != "finished":
        return Check("accuracy", False, f"{target}: the run is {state or 'not finished'}",
                     "train it to the end", pending=state == "running")  # fmt: skip
    acc = status.get("test_accuracy")
    done = status.get("epochs_done") or train.get("epochs")
    wrong = [
        f"{k} {train.get(k)!r} (locked at {v!r})" for k, v in ch.locked.items() if train.get(k) != v
    ]
    if wrong:
        return Check("accuracy", False, f"{target}: trained with " + ", ".join(wrong),
                     "train again with the challenge's settings")  # fmt: skip
    if ch.max_epochs is not None and int(done or 0) > ch.max_epochs:
        return Check("accuracy", False, f"{target}: trained {done} epochs",
                     f"train at most {ch.max_epochs} epochs")  # fmt: skip
    design = [c for c in design_checks(ch, spec if isinstance(spec, dict) else {}) if not c.met]
    if design:
        return Check("accuracy", False, f"{target}: the network trained misses a target",
                     design[0].words)  # fmt: skip
    if not isinstance(acc, int | float) or isinstance(acc, bool):
        return Check("accuracy", False, f"{target}: the run has no test accuracy", "train again")
    ok = ch.min_accuracy is None or acc >= ch.min_accuracy
    return Check(
        "accuracy",
        ok,
        f"{100 * acc:.1f} % test accuracy in {done} epochs; target {target}",
        "" if ok else "more channels, another learning rate or more epochs (within the target)",
    )


__all__ = ["Check", "accuracy_words", "design_checks", "layer_types", "met", "run_check"]
