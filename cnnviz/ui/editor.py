"""The layer editor: a compact one-line-per-layer list, one selected layer edited in detail.

Why this shape of editor: on a projector a 20-layer stack must fit; so the list
is a radio of one line per layer (``#  Conv2d(3, 6, kernel_size=3)  → 6×62×62  ✓``)
and only the selected layer's parameters are shown, each with the widget its
``ParamKind`` calls for. Every change goes through an ``on_change`` callback
that writes a new spec with ``state.set_spec`` before the script reruns, so the
table, the diagram and the code below are recomputed in the same rerun.

Widget keys carry ``state.spec_version()``: a structural edit (add, insert,
delete, duplicate, move) or a new design stores the spec with
``replace=True``, which bumps the version and rebuilds every widget from the
spec. A parameter edit keeps the version, so the widget keeps its value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from cnnviz.plots.design import layer_from_selection
from cnnviz.spec import LAYER_KINDS, Param, ParamKind, kind_of
from cnnviz.ui import design_ops as ops
from cnnviz.ui import state

SELECTED = "design.selected"  # index of the layer edited in detail
NEW_KIND = "design.new_kind"  # the kind the "add" buttons insert
STATUS_ICON = {
    "ok": "✓",
    "error": "✗",
    "not computed": "·",
}  # plain glyphs: projectors lack emoji fonts


def selected(n_layers: int) -> int | None:
    """The selected layer index, clamped to the stack (None for an empty stack)."""
    if n_layers == 0:
        return None
    i = st.session_state.get(SELECTED, 0)
    return min(max(i if isinstance(i, int) else 0, 0), n_layers - 1)


def _select(i: int | None) -> None:
    if i is None or isinstance(i, int):
        st.session_state[SELECTED] = i


def select_from_diagram() -> None:
    """on_select of the diagram: a click on a box edits the layer that made it."""
    i = layer_from_selection(st.session_state.get("design.diagram"))
    if i is not None:
        _select(i)


def _apply(edit: Callable[[], dict], *, select: int | None = None, replace: bool = True) -> None:
    """Run an edit; store its spec (or show why it could not be done)."""
    try:
        spec = edit()
    except ops.DesignLimit as e:
        st.session_state["design.flash"] = str(e)
        return
    state.set_spec(spec, replace=replace)
    if select is not None:
        _select(select)


def _shape(shape: list[int] | None) -> str:
    return "×".join(str(d) for d in shape[1:]) if shape else "?"


def layer_line(row: dict) -> str:
    """One line of the layer list: number, layer, output shape, status."""
    out = _shape(row["output_shape"]) if row["status"] == "ok" else row["status"]
    return f"{row['index'] + 1}. {row['name']} → {out} {STATUS_ICON.get(row['status'], '')}"


def layer_list(spec: dict, rows: list[dict]) -> int | None:
    """The one-line-per-layer list; returns the selected index (None when empty)."""
    n = len(rows)
    if n == 0:
        st.info("No layers yet: pick a kind below and press **Add layer**.")
        return None
    sel = selected(n)
    lines = [layer_line(r) for r in rows]
    # The key follows the lines: a radio whose labels changed (a shape changed) is a new
    # widget that starts at the selected layer, never one holding a stale label.
    key = f"design.list.{state.spec_version()}.{hash(tuple(lines))}"
    st.radio(
        "Layers (click one to edit it)",
        options=list(range(n)),
        index=sel,
        format_func=lines.__getitem__,
        key=key,
        on_change=lambda: _select(st.session_state[key]),
    )
    return sel


def add_controls(spec: dict, sel: int | None) -> None:
    """Pick a kind; add it below the selected layer (or at the end), or above it."""
    kinds = ops.kinds_by_category()
    labels = dict(kinds)
    n = len(spec.get("layers", []))
    kind = st.selectbox(
        "New layer", [k for k, _ in kinds], format_func=labels.__getitem__, key=NEW_KIND
    )
    below = n if sel is None else sel + 1
    row = st.container(horizontal=True, gap="small")
    row.button(
        "+ Add below" if sel is not None else "+ Add layer",
        on_click=_apply,
        args=(lambda: ops.insert_layer(state.get_spec(), below, kind),),
        kwargs={"select": below},
        key="design.add",
        type="primary",
    )
    if sel is not None:
        row.button(
            "+ Insert above",
            on_click=_apply,
            args=(lambda: ops.insert_layer(state.get_spec(), sel, kind),),
            kwargs={"select": sel},
            key="design.insert",
        )


def layer_actions(spec: dict, sel: int) -> None:
    """Move, duplicate and delete the selected layer."""
    n = len(spec["layers"])
    row = st.container(horizontal=True, gap="small")
    actions = [
        ("↑ Up", lambda: ops.move_layer(state.get_spec(), sel, -1), max(sel - 1, 0), sel == 0),
        (
            "↓ Down",
            lambda: ops.move_layer(state.get_spec(), sel, 1),
            min(sel + 1, n - 1),
            sel == n - 1,
        ),
        ("Duplicate", lambda: ops.duplicate_layer(state.get_spec(), sel), sel + 1, False),
        ("Delete", lambda: ops.delete_layer(state.get_spec(), sel), max(min(sel, n - 2), 0), False),
    ]
    for label, edit, goes_to, disabled in actions:
        row.button(
            label,
            on_click=_apply,
            args=(edit,),
            kwargs={"select": goes_to},
            disabled=disabled,
            key=f"design.act.{label}",
        )


# -- parameter widgets -------------------------------------------------------------


def _key(i: int, name: str, part: str = "") -> str:
    return f"design.p{state.spec_version()}.{i}.{name}{part}"


def _clamp(v: Any, p: Param, fallback: Any) -> Any:
    """A value a number_input can show: in range (a bad value is shown as its nearest good one)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        v = fallback
    lo = p.minimum if p.minimum is not None else v
    hi = p.maximum if p.maximum is not None else v
    return min(max(v, lo), hi)


def _int_input(label: str, p: Param, value: Any, key: str, on_change: Callable[[], None]) -> None:
    lo = int(p.minimum) if p.minimum is not None else None
    hi = int(p.maximum) if p.maximum is not None else None
    st.number_input(
        label, min_value=lo, max_value=hi, value=int(_clamp(value, p, p.default or lo or 1)),
        step=1, key=key, help=p.help, on_change=on_change,
    )  # fmt: skip


def _pair_value(value: Any) -> tuple[int, int] | None:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return (value[0], value[1])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (value, value)
    return None


def param_widget(i: int, p: Param, value: Any, split: bool) -> None:
    """The widget for one parameter of layer ``i``; its callback stores the new value."""
    k = _key(i, p.name)

    def store(v: Any) -> None:
        _apply(lambda: ops.set_param(state.get_spec(), i, p.name, v), replace=False)

    if p.kind is ParamKind.BOOL:
        st.checkbox(p.name, value=bool(value), key=k, help=p.help,
                    on_change=lambda: store(st.session_state[k]))  # fmt: skip
    elif p.kind is ParamKind.FLOAT:
        st.number_input(
            p.name, min_value=p.minimum, max_value=p.maximum, step=0.05, format="%.3f",
            value=float(_clamp(value, p, p.default)), key=k, help=p.help,
            on_change=lambda: store(float(st.session_state[k])),
        )  # fmt: skip
    elif p.kind is ParamKind.INT:
        _int_input(p.name, p, value, k, lambda: store(int(st.session_state[k])))
    elif p.kind is ParamKind.PADDING:
        _padding_widget(i, p, value, split, store)
    elif p.kind is ParamKind.OPTIONAL_PAIR and value is None and not split:
        st.number_input(
            p.name, min_value=int(p.minimum or 1), max_value=int(p.maximum or 64), value=None,
            step=1, key=k, help=p.help, placeholder="empty = kernel_size",
            on_change=lambda: store(st.session_state[k]),
        )  # fmt: skip
    else:
        _pair_widget(i, p, value, split, store)


def _pair_widget(i: int, p: Param, value: Any, split: bool, store: Callable[[Any], None]) -> None:
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
    i: int, p: Param, value: Any, split: bool, store: Callable[[Any], None]
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


def _unsplit(i: int, names: tuple[str, ...], split_key: str) -> None:
    """Back to one number per size: every [h, w] pair of layer ``i`` becomes h."""
    if st.session_state[split_key]:
        return
    spec = state.get_spec()
    for name in names:
        v = spec["layers"][i].get(name)
        if isinstance(v, (list, tuple)) and len(v) == 2:
            spec = ops.set_param(spec, i, name, v[0])
    state.set_spec(spec, replace=True)
    st.session_state[SELECTED] = i


def layer_detail(spec: dict, rows: list[dict], sel: int) -> None:
    """The selected layer's parameters, its inferred inputs and its status."""
    layer = spec["layers"][sel]
    row = rows[sel]
    try:
        kind = kind_of(layer)
    except Exception:  # an unknown type from a file or link: offer to delete it
        st.error(f"Layer {sel + 1}: {row.get('error')}. Fix: {row.get('fix')}.")
        return
    st.markdown(f"**{sel + 1}. {kind.torch_name}** — {kind.explain}")
    for name in kind.inferred:
        src = row["input_shape"][1] if row.get("input_shape") else "?"
        st.caption(f"{name} = {src} (taken from the layer above, never typed)")
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


def kind_title(type_: str) -> str:
    return LAYER_KINDS[type_].torch_name
