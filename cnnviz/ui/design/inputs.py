"""The Design page's top bar: preset picker, input shape picker, batch size.

Input shapes come from ``cnnviz.datasets.DATASETS`` (every size a dataset
offers, e.g. Shapes at 64, 32 or 28 pixels), plus a custom C×H×W and a flat
[N] for Linear-only stacks. Choosing one stores the spec at once (callbacks).
"""

from __future__ import annotations

import streamlit as st

from cnnviz.design import edits as ops
from cnnviz.design.layer_kinds import MAX_BATCH, MAX_CHANNELS, MAX_FEATURES, MAX_SPATIAL
from cnnviz.design.presets import PRESETS
from cnnviz.design.spec import SpecError, check_input
from cnnviz.ui import state

BATCH = "design.batch"
INPUT_MODE = "design.input_mode"  # the picker's last choice (Custom stays Custom)
DEFAULT_BATCH = 2  # the course's example uses a mini-batch of 2: [2, 3, 64, 64]
CUSTOM = "Custom C×H×W"
FLAT = "Flat features [N] (Linear only)"
FALLBACK_SHAPES = {  # used when cnnviz.datasets is not importable
    "MNIST": [1, 28, 28],
    "CIFAR-10": [3, 32, 32],
    "Shapes": [3, 64, 64],
    "Shapes (small)": [1, 28, 28],
}


def dataset_shapes() -> dict[str, list[int]]:
    """Label → [C, H, W] for every dataset size the app knows."""
    try:
        from cnnviz.data.catalog import DATASETS
    except Exception:  # the data layer is optional for designing
        return dict(FALLBACK_SHAPES)
    out: dict[str, list[int]] = {}
    for info in DATASETS.values():
        if info.features:  # the toy 2-D sets share one entry: a flat [2] input
            out[f"Toy 2-D points · [{info.features}]"] = [info.features]
            continue
        sizes = getattr(info, "sizes", None) or (info.size[0],)
        for s in sizes:
            out[f"{info.title} · {info.channels}×{s}×{s}"] = [info.channels, s, s]
    return out


def batch_size() -> int:
    """The batch size for the shapes, kept in 1..MAX_BATCH; a value outside says so."""
    raw = st.session_state.get(BATCH, DEFAULT_BATCH)
    b = DEFAULT_BATCH if raw is None else int(raw)
    box = st.empty()  # always there, so the elements (and the open tab) below keep their place
    if 1 <= b <= MAX_BATCH:
        return b
    used = min(max(b, 1), MAX_BATCH)
    box.warning(
        f"Batch size must be at least 1 and is capped at {MAX_BATCH} here (got {b}): "
        f"the shapes use {used}. Fix: type a batch size from 1 to {MAX_BATCH}."
    )
    return used


def _load_preset(key: str) -> None:
    name = st.session_state[key]
    if name in PRESETS:
        state.set_spec(PRESETS[name].new_spec(), preset=name, replace=True)
        st.session_state[state.SELECTED] = 0
        st.session_state.pop(INPUT_MODE, None)


def preset_picker() -> None:
    """Pick a preset. An edited design shows none picked, so picking its preset again (Blank
    too) starts over from it; Reset does the same in one click."""
    names = list(PRESETS)
    current = state.current_preset()
    edited = current in PRESETS and PRESETS[current].spec != state.get_spec()
    key = f"design.preset.{state.spec_version()}.{int(edited)}"  # a new picker once edited
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")  # room for "↺ Reset" on a projector
    c1.selectbox(
        "Start from a preset",
        names,
        index=names.index(current) if current in names and not edited else None,
        format_func=lambda n: PRESETS[n].title,
        placeholder=f"Your design (from {PRESETS[current].title}, edited)"
        if edited
        else "Your own design",
        key=key,
        on_change=_load_preset,
        args=(key,),
    )
    c2.button(
        "↺ Reset",
        disabled=not edited,
        help="Load the preset again, dropping your edits",
        on_click=lambda: state.set_spec(PRESETS[current].new_spec(), preset=current, replace=True),
        key="design.reset",
        width="stretch",
    )
    if current in PRESETS:
        again = (
            f" *(edited: pick {PRESETS[current].title} again or press ↺ Reset to start over)*"
            if edited
            else ""
        )
        st.caption(PRESETS[current].description + again)


def _store_input(dims: list[int]) -> None:
    try:
        check_input(dims)
    except SpecError as e:
        keep = "×".join(str(d) for d in state.get_spec().get("input", []))
        st.session_state["design.flash"] = f"{e}. The design keeps its input {keep} until then."
        return
    state.set_spec(ops.set_input(state.get_spec(), dims), replace=False)


def input_picker() -> None:
    """Choose the input's shape; returns nothing (the spec is updated by callbacks)."""
    spec = state.get_spec()
    dims = list(spec.get("input", [3, 64, 64]))
    shapes = dataset_shapes()
    options = [*shapes, CUSTOM, FLAT]
    match = next((label for label, d in shapes.items() if d == dims), None)
    if len(dims) == 1:
        current = FLAT
    elif st.session_state.get(INPUT_MODE) == CUSTOM or match is None:
        current = CUSTOM  # the user asked to type C×H×W, even if it equals a dataset's
    else:
        current = match
    v = state.spec_version()
    key = f"design.input.{v}"

    def on_pick() -> None:
        choice = st.session_state[key]
        st.session_state[INPUT_MODE] = choice
        if choice in shapes:
            _store_input(shapes[choice])
        elif choice == FLAT and len(dims) != 1:
            _store_input([2])
        elif choice == CUSTOM and len(dims) != 3:
            _store_input([3, 32, 32])

    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    c1.selectbox(
        "Input (one image)", options, index=options.index(current), key=key, on_change=on_pick
    )
    with c2:
        st.session_state.setdefault(BATCH, DEFAULT_BATCH)
        st.number_input(
            "Batch size (for the shapes)", step=1, key=BATCH,
            help="Shapes are shown batch-first: [B, C, H, W]. Only for display here.",
        )  # fmt: skip
    if current in (CUSTOM, FLAT):
        _custom_dims(dims, v)


def _custom_dims(dims: list[int], v: int) -> None:
    names = ["N (features)"] if len(dims) == 1 else ["C (channels)", "H (height)", "W (width)"]
    caps = [MAX_FEATURES] if len(dims) == 1 else [MAX_CHANNELS, MAX_SPATIAL, MAX_SPATIAL]
    keys = [f"design.dim{j}.{v}" for j in range(len(dims))]

    def on_dim() -> None:
        typed = [st.session_state[k] for k in keys]
        if any(t is None for t in typed):
            st.session_state["design.flash"] = "Type a whole number in every size of the input."
            return
        _store_input([int(t) for t in typed])

    cols = st.columns(len(dims))
    for col, name, cap, k, d in zip(cols, names, caps, keys, dims, strict=True):
        col.number_input(
            name, value=int(d), step=1, key=k, on_change=on_dim,
            help=f"at least 1, capped at {cap} here",
        )  # fmt: skip


def reset_to_default() -> None:
    from cnnviz.design.presets import DEFAULT_PRESET

    state.set_spec(PRESETS[DEFAULT_PRESET].new_spec(), preset=DEFAULT_PRESET, replace=True)
    st.session_state[state.SELECTED] = 0
