"""Does this network fit this data? Checked before training, each problem with a one-click fix.

``check_fit(spec, data) -> list[Problem]``; ``data`` is a DataBundle, a DatasetInfo,
or ``(name, [C, H, W], n_classes)``. Each ``Problem`` has a ``message`` in the
course's words, a ``fix`` (a small dict, or None when only the Design page can
help) and ``blocking`` (False: training works but is worse). Fixes, applied by
``apply_fix(spec, fix) -> new spec``:

- ``{"set_input": [C, H, W]}``  input shape to the images' shape (a Flatten is put
  first when the network starts with a Linear)
- ``{"set_last_out": n}``       the last Linear's out_features to the number of classes
- ``{"append_linear": n}``      add Flatten (if needed) and Linear(n) at the end
- ``{"remove_last": "softmax"}`` drop a trailing Softmax (cross-entropy applies it itself)

Apply one fix, then check again: fixes are independent of one another.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from cnnviz.design.layer_kinds import LAYER_KINDS, LayerKind, Rule
from cnnviz.design.spec import SpecError


@dataclass(frozen=True)
class Problem:
    message: str
    fix: dict[str, Any] | None = None
    fix_label: str = ""  # a button label, e.g. "Set the input to [1, 28, 28]"
    blocking: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    # other fixes that also work, (fix, button label): e.g. keep the course's Linear(864, 1024)
    # and add Linear(1024, 10) after it, rather than change it
    alternatives: tuple[tuple[dict[str, Any], str], ...] = ()


def data_facts(data: Any) -> tuple[str, list[int], int]:
    """(dataset name, [C, H, W], number of classes) from a bundle, an info or a tuple."""
    if isinstance(data, tuple | list):
        name, shape, n = data
        return str(name), [int(s) for s in shape], int(n)
    name = str(getattr(data, "title", None) or getattr(data, "name", "the data"))
    if getattr(data, "train_x", None) is not None:
        return name, [int(s) for s in data.train_x.shape[1:]], len(data.classes)
    if getattr(data, "features", 0):
        return name, [int(data.features)], len(data.classes)
    size = data.size
    h, w = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    return name, [int(data.channels), h, w], len(data.classes)


def _kind(layer: dict) -> LayerKind | None:
    return LAYER_KINDS.get(str(layer.get("type", "")).lower())


def _rule(layer: dict | None) -> Rule | None:
    kind = _kind(layer) if layer is not None else None
    return kind.rule if kind else None


def _ends_in_probabilities(layers: list[dict]) -> bool:
    kind = _kind(layers[-1]) if layers else None
    return bool(kind and kind.probabilities)


def apply_fix(spec: dict, fix: dict[str, Any]) -> dict:
    """A new spec with ``fix`` applied (the input spec is not changed)."""
    new = copy.deepcopy(spec)
    layers = new.setdefault("layers", [])
    for key, value in fix.items():
        if key == "set_input":
            new["input"] = [int(v) for v in value]
            first = next((lay for lay in layers if _rule(lay) is not Rule.ELEMENTWISE), None)
            if len(value) == 3 and _rule(first) is Rule.LINEAR:
                layers.insert(0, {"type": "flatten"})
        elif key == "set_last_out":
            for lay in reversed(layers):
                if _rule(lay) is Rule.LINEAR:
                    lay["out_features"] = int(value)
                    break
        elif key == "append_linear":
            if _needs_flatten(new):
                layers.append({"type": "flatten"})
            layers.append({"type": "linear", "out_features": int(value)})
        elif key == "remove_last":
            if _ends_in_probabilities(layers):
                layers.pop()
        else:
            raise ValueError(f"unknown fix {key!r}")
    return new


def _needs_flatten(spec: dict) -> bool:
    from cnnviz.design.shapes import summarize, top_rows

    if not spec.get("layers"):
        return len(spec.get("input", [])) != 1
    try:
        rows = top_rows(summarize(spec))
    except SpecError:
        return True
    out = rows[-1].get("output_shape")
    return out is None or len(out) != 2


def check_fit(spec: dict, data: Any) -> list[Problem]:
    """Everything that stops ``spec`` from training on ``data``; empty when it fits."""
    from cnnviz.design.shapes import first_error, summarize, top_rows

    name, shape, n = data_facts(data)
    problems: list[Problem] = []
    given = [int(v) for v in spec.get("input") or []]
    if given != shape:
        what = f"vectors of {given[0]} numbers" if len(given) == 1 else f"input {given}"
        items = (
            f"points are vectors of {shape[0]} numbers {shape}"
            if len(shape) == 1
            else f"images are {shape} (channels × height × width)"
        )
        problems.append(
            Problem(
                f"The network expects {what}, but {name} {items}.",
                {"set_input": shape},
                f"Set the input to {shape}",
            )
        )
        spec = apply_fix(spec, {"set_input": shape})
    if not spec.get("layers"):
        return problems + [
            Problem(
                f"The network has no layers. A classifier needs at least a Linear layer with {n} outputs.",
                {"append_linear": n},
                f"Add Flatten and Linear(…, {n})",
            )
        ]
    try:
        rows = summarize(spec)
    except SpecError as e:
        return problems + [Problem(f"{e} Fix it on the Design page.")]
    err = first_error(rows)  # the layer (inside a block too) and its fix, as the Design page says
    if err is not None:
        problems.append(Problem(str(err)))
        return problems
    rows = top_rows(rows)
    layers = spec["layers"]
    last = _rule(layers[-1])
    if _ends_in_probabilities(layers):
        problems.append(
            Problem(
                "The network ends in a Softmax, but the cross-entropy loss applies softmax itself: "
                "a second one squashes the logits and slows learning. Remove it (Inspect still shows "
                "the softmax probabilities).",
                {"remove_last": "softmax"},
                "Remove the last Softmax",
                blocking=False,
            )
        )
        rows = rows[:-1]
        last = _rule(layers[-2]) if len(layers) > 1 else None
    out = rows[-1]["output_shape"] if rows else None
    if out is None:
        return problems
    if len(out) != 2:
        problems.append(
            Problem(
                f"The network's output is {out} (batch first), but a classifier must end in one number per "
                f"class: [B, {n}] for the {n} classes of {name}.",
                {"append_linear": n},
                f"Add Flatten and Linear(…, {n})",
            )
        )
    elif out[1] != n:
        fix = {"set_last_out": n} if last is Rule.LINEAR else {"append_linear": n}
        label = (
            f"Set the last Linear to {n} outputs" if last is Rule.LINEAR else f"Add Linear(…, {n})"
        )
        keep = (
            (({"append_linear": n}, f"Add Linear({out[1]}, {n}) after it"),)
            if last is Rule.LINEAR and out[1] > n
            else ()
        )
        problems.append(
            Problem(
                f"The network ends with {out[1]} output{'s' if out[1] != 1 else ''}, but {name} "
                f"has {n} classes: "
                f"the last layer must give one score (logit) per class.",
                fix,
                label,
                alternatives=keep,
            )
        )
    return problems


__all__ = ["Problem", "apply_fix", "check_fit", "data_facts"]
