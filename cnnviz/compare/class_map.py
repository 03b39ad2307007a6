"""The class on one map: each finished run as one row of facts (no streamlit, no torch).

``class_runs(runs, owners)`` turns the runs a person may see (the run store's
``RunInfo`` list, already through the access gate) and the classroom's owners into
``ClassRun`` rows: only finished runs with a test accuracy and no problem. Each row
holds what the map draws:

- ``depth``: the layers with weights that a forward pass goes through (Conv2d and
  Linear), those inside residual and concat blocks counted; a residual block's 1×1
  projection shortcut is not (ResNet's count: ResNet-20 has 19 Conv2d and 1 Linear);
- ``params`` and ``mult_adds`` (for one image): the shape engine's totals, shortcuts
  included, computed from ``spec.json`` (no weights are loaded);
- the settings: learning rate, optimizer, BatchNorm (any ``batchnorm2d`` layer, or a
  projection shortcut, which holds one),
  augmentation (flip, crop), epochs trained; and the test accuracy.

A run's facts are read once per change of its files (``files_stamp`` of spec.json,
config.json and status.json) and kept in memory for every session, so a page that
draws two hundred runs reads only the ones that changed; a network's facts are worked
out once per distinct design (thirty students training the sent design: one).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cnnviz.compare.lru import LruCache
from cnnviz.design import bounded_json
from cnnviz.design.shapes import summarize, totals
from cnnviz.design.spec import SpecError
from cnnviz.train.run_checks import MAX_JSON_CHARS
from cnnviz.train.run_files import CONFIG_FILE, SPEC_FILE, STATUS_FILE
from cnnviz.train.status import Status
from cnnviz.train.store import files_stamp, read_config

WEIGHTED = frozenset({"conv2d", "linear"})  # the layers a depth counts
NORMS = frozenset({"batchnorm2d"})
NO_OWNER = "(the server)"  # a run trained from the command line: the teacher's only
CACHE_SIZE = 4096
DESIGNS = 1024  # distinct networks whose facts are kept
_WATCHED = (SPEC_FILE, CONFIG_FILE, STATUS_FILE)
stats = {"read": 0, "cached": 0}  # how often a run's files were read, or answered from memory
_cache: LruCache[ClassRun | None] = LruCache(CACHE_SIZE, stats)
_designs: LruCache[NetFacts | None] = LruCache(DESIGNS)


@dataclass(frozen=True)
class NetFacts:
    depth: int
    params: int
    mult_adds: int
    batchnorm: bool


@dataclass(frozen=True)
class ClassRun:
    """One finished run on the map (``student`` and ``title`` come from the classroom)."""

    run_id: str
    dataset: str
    test_accuracy: float  # 0..1
    depth: int
    params: int
    mult_adds: int
    lr: float | None
    optimizer: str
    batchnorm: bool
    augmentation: str  # "none", "flip", "crop 4", "flip + crop 4"
    epochs: int
    student: str = ""
    owner: str = ""  # the owner's person id ("" for the server's runs)
    title: str = ""
    shared: bool = False


def net_facts(spec: dict) -> NetFacts:
    """Depth, parameters, mult-adds (one image) and BatchNorm of a spec; SpecError if it is
    not a network the shape engine can follow to the end."""
    rows = summarize(spec, 1)
    t = totals(rows)
    if not t["ok"]:
        raise SpecError("the network has an error, so its size is unknown")
    return NetFacts(
        depth=sum(1 for r in rows if not r.get("block") and r.get("type") in WEIGHTED),
        params=int(t["params"]),
        mult_adds=int(t["mult_adds"]),
        # a projection shortcut (a residual block with parameters) is Conv2d 1×1 + BatchNorm2d
        batchnorm=any(r.get("type") in NORMS or (r.get("block") and r["params"]) for r in rows),
    )


def augmentation(train: Mapping[str, Any]) -> str:
    """The training's augmentation in words: none, flip, crop N, flip + crop N."""
    parts = []
    if train.get("augment_flip") is True:
        parts.append("flip")
    crop = train.get("augment_crop")
    if isinstance(crop, int) and not isinstance(crop, bool) and crop > 0:
        parts.append(f"crop {crop}")
    return " + ".join(parts) or "none"


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


def _design_facts(spec: Any) -> NetFacts | None:
    """``net_facts(spec)``, worked out once per distinct design (a class trains a few)."""
    try:
        key = json.dumps(spec, sort_keys=True)
    except (TypeError, ValueError):
        return None
    return _designs.get(key, lambda: _facts_or_none(spec))


def _facts_or_none(spec: Any) -> NetFacts | None:
    try:
        return net_facts(spec)
    except SpecError:
        return None


def _read(info: Any) -> ClassRun | None:
    """The row of a finished run (no classroom facts yet), or None when it cannot be drawn.

    The listing (``RunInfo``) already read status.json: only spec.json and config.json
    are read here, through the run store's bounded, checked readers; no weights.
    """
    folder = Path(info.path)
    try:
        text = (folder / SPEC_FILE).read_bytes()
        spec = bounded_json.loads(text, what=SPEC_FILE, max_chars=MAX_JSON_CHARS)
    except (OSError, bounded_json.JsonLimitError):
        return None
    config, _ = read_config(folder)
    net = _design_facts(spec) if isinstance(spec, dict) else None
    acc = _number(info.test_accuracy)
    if net is None or acc is None:
        return None
    train = config.get("train") or {}
    epochs = info.epochs_done or train.get("epochs") or 0
    return ClassRun(
        run_id=info.id,
        dataset=str(info.dataset or ""),
        test_accuracy=acc,
        depth=net.depth,
        params=net.params,
        mult_adds=net.mult_adds,
        lr=_number(train.get("lr")),
        optimizer=str(train.get("optimizer") or "?"),
        batchnorm=net.batchnorm,
        augmentation=augmentation(train),
        epochs=int(epochs) if isinstance(epochs, int) else 0,
    )


def run_row(info: Any) -> ClassRun | None:
    """``_read(info)`` for a listed run, answered from memory while its files stay the same."""
    folder = Path(info.path)
    key = str(folder)
    stamp = files_stamp(folder, _WATCHED)
    return _cache.get(key, lambda: _read(info), stamp)


def clear_cache() -> None:
    _cache.clear()
    _designs.clear()


def class_runs(runs: Iterable[Any], owners: Mapping[str, Mapping[str, Any]]) -> list[ClassRun]:
    """The finished runs among ``runs`` (``RunInfo``s a person may see), best first.

    ``owners``: the classroom's runs table (``Classroom.owned_runs()``); {} outside class mode.
    """
    out = []
    for info in runs:
        if info.status != Status.FINISHED or info.test_accuracy is None or info.problem:
            continue  # the listing already knows: no file is read for these
        row = run_row(info)
        if row is None:
            continue
        owner = owners.get(info.id) or {}
        out.append(
            replace(
                row,
                student=str(owner.get("owner_name") or NO_OWNER),
                owner=str(owner.get("owner") or ""),
                title=str(owner.get("title") or ""),
                shared=bool(owner.get("shared")),
            )
        )
    out.sort(key=lambda r: (-r.test_accuracy, r.params, r.run_id))
    return out


def datasets(rows: Iterable[ClassRun]) -> list[str]:
    """The datasets of the rows, the most common first (ties by name)."""
    counts = Counter(r.dataset for r in rows)
    return sorted(counts, key=lambda d: (-counts[d], d))


def on_dataset(rows: Iterable[ClassRun], dataset: str | None) -> list[ClassRun]:
    return [r for r in rows if dataset is None or r.dataset == dataset]


def best(rows: Iterable[ClassRun]) -> ClassRun | None:
    """The run with the highest test accuracy (the smaller network on a tie)."""
    return min(rows, key=lambda r: (-r.test_accuracy, r.params, r.run_id), default=None)


__all__ = [
    "NO_OWNER",
    "ClassRun",
    "NetFacts",
    "augmentation",
    "best",
    "class_runs",
    "clear_cache",
    "datasets",
    "net_facts",
    "on_dataset",
    "run_row",
    "stats",
]
