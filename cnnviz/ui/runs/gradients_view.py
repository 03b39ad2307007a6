"""Runs page: one run's gradients over time, and the same layer's in the runs compared.

A run's section: the warnings of its last moment, each layer's gradient size over the
epochs, then one layer's histograms over time (moments down, values across), weights or
gradients, picked by layer. The comparison: the picked layer's gradient size over time,
one line per run. Records come through the gate (``run_access.gradients``); a run trained
before gradients were recorded shows one line saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from cnnviz.data.cache import SharedCache
from cnnviz.plots.train.gradients import histogram_heatmap, sizes_over_time_figure, sizes_overlay
from cnnviz.text.escape import for_markdown
from cnnviz.train.gradient_words import WHAT_SIZE, latest_flags, layer_title, layers_of
from cnnviz.train.store import RunError
from cnnviz.ui import state
from cnnviz.ui.classroom import run_access
from cnnviz.ui.figures import show

NO_FILE = (
    "No gradients were recorded for this run (it was trained before cnnviz kept them): "
    "train it again to see each layer's gradients over time."
)
SIZES_TITLE = "Gradient size per layer over the epochs (log scale)"
HEAT_TITLE = "One layer's values over time: each row a moment (first at the top), values across"
WHICH = {"grad": "gradients", "weight": "weights"}
# (what, records' identity, parameters) -> (records, figure), for every session
_FIGURES: SharedCache[tuple[Any, Any]] = SharedCache(max_entries=32)


def _figure(name: str, records: Sequence[Any], params: tuple, build: Any) -> Any:
    """Built once per records object (the gate's cache hands out one per file version)."""
    key = (name, id(records), params)
    return _FIGURES.get(key, lambda: (records, build()))[1]


def _records(run_id: str) -> list | None:
    try:
        return run_access.gradients(run_id)
    except RunError as e:
        st.caption(f"No gradients: {for_markdown(e)}")
        return None


def run_section(run_id: str) -> None:
    """One run's gradients over time (a note instead when it has none)."""
    st.markdown("#### Gradients over time")
    records = _records(run_id)
    if records is None:
        return
    if not records:
        st.caption(NO_FILE)
        return
    font = 16 if state.teaching() else 12
    for text in latest_flags(records):
        st.warning(for_markdown(text), icon=":material/warning:")
    st.markdown(f"**{SIZES_TITLE}**")
    fig = _figure("sizes", records, (font,), lambda: sizes_over_time_figure(records, font))
    show(fig, name="gradient-sizes", key=f"runs.grads.sizes.{run_id}")
    layers = layers_of(records)
    titles = {path: layer_title(path, kind) for path, kind in layers}
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    layer = left.selectbox(
        "Layer",
        list(titles),
        format_func=lambda p: titles.get(p, p),
        key=f"runs.grads.layer.{run_id}",
    )
    which = right.segmented_control(
        "Values", list(WHICH), default="grad", format_func=WHICH.get,
        key=f"runs.grads.which.{run_id}",
    )  # fmt: skip
    layer, which = layer or layers[0][0], which or "grad"
    st.markdown(f"**{HEAT_TITLE}**")
    fig = _figure(
        "heat", records, (layer, which, font),
        lambda: histogram_heatmap(records, layer, which, font),
    )  # fmt: skip
    show(fig, name=f"histograms-{layer}-{WHICH[which]}", key=f"runs.grads.heat.{run_id}")
    st.caption(for_markdown(WHAT_SIZE))


def compare_section(run_ids: Sequence[str], labels: Sequence[str], cols: Sequence[str]) -> None:
    """The same layer's gradient size over time in each run, one line per run."""
    st.markdown("#### Gradients over time, run against run")
    found = []
    for rid, label, colour in zip(run_ids, labels, cols, strict=True):
        try:
            records = run_access.gradients(rid)
        except RunError:
            records = []
        found.append((label, colour, records))
    missing = [label for label, _, records in found if not records]
    for label in missing:
        st.caption(
            f"{for_markdown(label)}: no gradients recorded (trained before cnnviz kept them)."
        )
    with_records = [f for f in found if f[2]]
    if not with_records:
        return
    paths: dict[str, str] = {}
    for _, _, records in with_records:
        for path, kind in layers_of(records):
            paths.setdefault(path, layer_title(path, kind))
    layer = st.selectbox(
        "Layer", list(paths), format_func=lambda p: paths.get(p, p), key="runs.cmp.grads.layer",
        help="Layers are matched by their place in the network (the same row number).",
    )  # fmt: skip
    layer = layer or next(iter(paths))
    font = 16 if state.teaching() else 12
    fig = sizes_overlay(with_records, layer, font_size=font)
    show(fig, name=f"compare-gradient-sizes-{layer}", key="runs.cmp.grads")
    flagged = [
        f"**{for_markdown(label)}**: {for_markdown(text)}"
        for label, _, records in with_records
        for text in latest_flags([r for r in records if r.layer == layer])
    ]
    if flagged:
        st.markdown("\n".join(f"- {line}" for line in flagged))
