"""Names for runs in a legend: what makes each one different, not its folder name.

``run_labels(runs)`` looks at the settings and networks that differ between the
runs and writes each run as its own values of those (``lr 0.001 · ÷255``,
``+BatchNorm2d``); identical runs get ``#2``, ``#3``; runs that differ in nothing
but their folder are named by the network and the time they were trained.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from cnnviz.compare.diff import (
    SETTINGS,
    ChangeKind,
    _name,
    _norm,
    _val,
    layers_diff,
    setting_value,
    settings_diff,
    word,
)

MAX_LABEL = 42


def _short(key: str, value: Any) -> str:
    w = word(key, value)
    return {
        "normalize": {"none (0–255)": "raw 0–255"}.get(w, w),
        "lr": f"lr {w}",
        "batch_size": f"B={w}",
        "epochs": f"{w} epochs",
        "seed": f"seed {w}",
        "lr_schedule": f"{w} lr" if w != "none" else "constant lr",
        "patience": f"patience {w}" if value else "no early stop",
        "momentum": f"momentum {w}",
        "weight_decay": f"wd {w}",
        "train_size": f"{w} images",
        "augment_flip": "flip" if value else "no flip",
        "augment_crop": f"crop {w}" if value else "no crop",
        "val_fraction": f"val {w}",
        "shuffle": "shuffled" if value else "not shuffled",
        "image": w,
    }.get(key, w)


def _net_tag(base: dict, spec: dict) -> str:
    """The network's difference from the first run's, in a few words."""
    tags: list[str] = []
    counts: Counter[str] = Counter()
    for c in layers_diff(base, spec):
        if c.kind in (ChangeKind.INSERT, ChangeKind.DELETE):
            counts[("+" if c.kind == ChangeKind.INSERT else "−") + c.layer] += 1
        elif c.kind == ChangeKind.CHANGE:
            param, _, after = c.values[0]
            tags.append(f"{c.layer} {param} {_val(after)}")
        elif c.kind == ChangeKind.INPUT:
            tags.append(c.text.split(" → ")[-1])
    tags = [f"{t} ×{n}" if n > 1 else t for t, n in counts.items()] + tags
    return " ".join(tags[:2]) + (" …" if len(tags) > 2 else "")


def run_labels(runs: Sequence[Any]) -> list[str]:
    """One label per run (``RunData``-like: .train, .dataset, .spec, .id)."""
    if not runs:
        return []
    diff = settings_diff(runs)
    key_of = {w: (where, k) for where, k, w in SETTINGS}
    base = runs[0].spec
    nets = [_net_tag(base, r.spec) if i else "" for i, r in enumerate(runs)]
    any_net = any(nets)
    labels = []
    for i, r in enumerate(runs):
        parts = []
        if any_net:
            parts.append(nets[i] or "first network")
        for w in diff:
            where, key = key_of[w]
            if key == "device":
                continue
            parts.append(_short(key, setting_value(r, where, key)))
        label = " · ".join(parts)
        if not label:
            name = str(r.spec.get("name") or _first_kind(r.spec) or "run")
            label = f"{name} {r.id[9:11]}:{r.id[11:13]}" if len(r.id) > 13 else f"{name} {r.id}"
        labels.append(label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…")
    seen: Counter[str] = Counter(labels)
    k: Counter[str] = Counter()
    out = []
    for label in labels:
        if seen[label] > 1:
            k[label] += 1
            label = f"{label} #{k[label]}"
        out.append(label)
    return out


def _first_kind(spec: dict) -> str:
    layers = spec.get("layers") or []
    return _name(_norm(layers[0])) + f" +{len(layers) - 1}" if layers else ""


__all__ = ["run_labels"]
