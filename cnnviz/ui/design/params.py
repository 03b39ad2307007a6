"""The selected layer's parameters, each with the widget its ``ParamKind`` calls for.

int → number_input; pair → one number, or height and width when "Different
height and width" is ticked; optional pair (pool stride) → a number_input that
may be empty (= kernel_size); padding → a mode (number, "same", "valid") and a
number; float → number_input; bool → checkbox.

The number widgets have no min/max: any number typed (0, −3, 100,000 channels)
is stored, and the shape engine reports it on that layer's row (red in the
list, named above the table, with the limit and the fix), so the reason is
visible instead of a widget tooltip. A value a widget cannot show (wrong type,
from a hand-edited link) is shown as the default while the table reports it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from cnnviz.design import edits as ops
from cnnviz.design.layer_kinds import LayerKind, Param, ParamKind, Rule
from cnnviz.design.spec import kind_of
from cnnviz.text.escape import for_markdown
from cnnviz.ui import state
from cnnviz.ui.design.blocks import block_detail
from cnnviz.ui.design.editor import apply_edit, row_at


def _key(i: str, name: str, part: str = "") -> str:
    return f"design.p{state.spec_version()}.{i}.{name}{part}"


def _shown(v: Any, fallback: Any) -> Any:
    """A value a number_input can show: the number itself, or ``fallback`` for a non-number."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
        return fallback
    return v


def _int_input(label: str, p: Param, value: Any, key: str, on_change: Callable[[], None]) -> None:
    st.number_input(
        label, value=int(_shown(value, p.default or 1)), step=1, key=key, help=p.help,
        on_change=on_change,
    )  # fmt: skip


def _pair_value(value: Any) -> tuple[int, int] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return (value[0], value[1])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (value, value)
    return None


def param_widget(i: str, p: Param, value: Any, split: bool) -> None:
    """The widget for one parameter of layer ``i``; its callback stores the new value."""
    k = _key(i, p.name)

    def store(v: Any) -> None:
        apply_edit(lambda: ops.set_param(state.get_spec(), i, p.name, v), replace=False)

    if p.kind is ParamKind.BOOL:
        st.checkbox(p.name, value=bool(value), key=k, help=p.help,
                    on_change=lambda: store(st.session_state[k]))  # fmt: skip
    elif p.kind is ParamKind.FLOAT:
        st.number_input(
            p.name, step=0.05, format="%.3f", value=float(_shown(value, p.default)), key=k,
            help=p.help,
            on_change=lambda: store(float(st.session_state[k])),
        )  # fmt: skip
    elif p.kind is ParamKind.INT:
        _int_input(p.name, p, value, k, lambda: store(st.session_state[k]))
    elif p.kind is ParamKind.PADDING:
        _padding_widget(i, p, value, split, store)
    elif p.kind is ParamKind.OPTIONAL_PAIR and value is None and not split:
        st.number_input(
            p.name, value=None, step=1, key=k, help=p.help, placeholder="empty = kernel_size",
            on_change=lambda: store(st.session_state[k]),
        )  # fmt: skip
    else:
        _pair_widget(i, p, value, split, store)


def _pair_widget(i: str, p: Param, value: Any, split: bool, store: Callable[[Any], None]) -> None:
    pair = _pair_value(value) or (p.default or 1, p.default or 1)
    if not split:
        k = _key(i, p.name)
        _int_input(p.name, p, pair[0], k, lambda: store(st.session_state[k]))
        return
    kh, kw = _key(i, p.name, ".h"), _key(i, p.name, ".w")

    def both() -> None:
        h, w = st.session_state[kh], st.session_state[kw]
        store(h if h == w else [h, w])

    c1, c2 = st.columns(2)
    with c1:
        _int_input(f"{p.name} (height)", p, pair[0], kh, both)
    with c2:
        _int_input(f"{p.name} (width)", p, pair[1], kw, both)


def _padding_widget(
    i: str, p: Param, value: Any, split: bool, store: Callable[[Any], None]
) -> None:
    mode_key = _key(i, p.name, ".mode")
    modes = ["number", "same", "valid"]
    mode = value if value in ("same", "valid") else "number"

    def on_mode() -> None:
        m = st.session_state[mode_key]
        store(0 if m == "number" else m)

    c1, c2 = st.columns(2)
    c1.selectbox(
        "padding mode", modes, index=modes.index(mode), key=mode_key, on_change=on_mode,
        help='"same" keeps H and W (stride 1 only); "valid" means no padding',
    )  # fmt: skip
    if mode == "number":
        with c2:
            _pair_widget(i, p, value, split, store)


def _unsplit(i: str, names: tuple[str, ...], split_key: str) -> None:
    """Back to one number per size: every [h, w] pair of layer ``i`` becomes h."""
    if st.session_state[split_key]:
        return
    spec = state.get_spec()
    for name in names:
        v = ops.get_layer(spec, i).get(name)
        if isinstance(v, (list, tuple)) and len(v) == 2:
            spec = ops.set_param(spec, i, name, v[0])
    state.set_spec(spec, replace=True)
    st.session_state[state.SELECTED] = i


def inferred_text(name: str, kind: LayerKind, row: dict, shape: list[int] | None) -> str:
    """``in_features = 864 (taken from the layer above ...)``, or why it is not known yet.

    The value is only known when the input has the rank the layer needs (flat [B, N]
    for Linear, [B, C, H, W] for Conv2d/BatchNorm2d), as in the layer's name in the list.
    """
    rank = 2 if kind.rule is Rule.LINEAR else 4
    if shape and len(shape) == rank:
        return f"{name} = {shape[1]} (taken from the layer above, never typed)"
    if not shape:
        return f"{name}: unknown until the layers above are valid — fix the first ✗ above"
    if rank == 2:
        return f"{name}: unknown until the input is flat — add a Flatten above"
    fix = row.get("fix") or "move this layer above the Flatten"
    return f"{name}: unknown until the input is images [B, C, H, W] — {fix}"


def layer_detail(spec: dict, rows: list[dict], sel: str) -> None:
    """The selected layer's parameters, its inferred inputs and its status."""
    layer = ops.get_layer(spec, sel)
    row = row_at(rows, sel)
    if row.get("block"):
        block_detail(spec, row, sel)
        return
    try:
        kind = kind_of(layer)
    except Exception:  # an unknown type from a file or link: offer to delete it
        st.error(
            f"Layer {for_markdown(row['label'])}: {for_markdown(row.get('error'))}. Fix: {for_markdown(row.get('fix'))}."
        )
        return
    st.markdown(f"**{for_markdown(row['label'])}. {kind.torch_name}** — {kind.explain}")
    # the row has no input shape when its own values are bad: then it is the output above
    j = rows.index(row)
    above = rows[j - 1]["output_shape"] if j else [1, *spec.get("input", [])]
    for name in kind.inferred:
        st.caption(for_markdown(inferred_text(name, kind, row, row.get("input_shape") or above)))
    pairs = [
        p
        for p in kind.params
        if p.kind in (ParamKind.PAIR, ParamKind.OPTIONAL_PAIR, ParamKind.PADDING)
    ]
    split_key = _key(sel, "__split")
    split_now = any(isinstance(layer.get(p.name), (list, tuple)) for p in pairs)
    split = False
    if pairs:
        split = st.checkbox(
            "Different height and width", value=split_now, key=split_key,
            help="Give kernel, stride, padding ... as height × width instead of one number",
            on_change=_unsplit, args=(sel, tuple(p.name for p in pairs), split_key),
        )  # fmt: skip
    grid = [p for p in kind.params if p.kind is not ParamKind.PADDING]
    cols = st.columns(2)
    for j, p in enumerate(grid):
        with cols[j % 2]:
            param_widget(sel, p, layer.get(p.name, p.default), split)
    for p in kind.params:
        if p.kind is ParamKind.PADDING:
            param_widget(sel, p, layer.get(p.name, p.default), split)
    if not kind.params and not kind.inferred:
        st.caption("This layer has no parameters.")
