"""The layer editor: a compact one-line-per-layer list, one selected layer edited in detail.

Why this shape of editor: on a projector a 20-layer stack must fit; so the list
is a radio of one line per layer (``#  Conv2d(3, 6, kernel_size=3)  → 6×62×62  ✓``)
and only the selected layer's parameters are shown, each with the widget its
``ParamKind`` calls for. Every change goes through an ``on_change`` callback
that writes a new spec with ``state.set_spec`` before the script reruns, so the
table, the diagram and the code below are recomputed in the same rerun.

The selected layer's parameter widgets live in ``design_params``.

Widget keys carry ``state.spec_version()``: a structural edit (add, insert,
delete, duplicate, move) or a new design stores the spec with
``replace=True``, which bumps the version and rebuilds every widget from the
spec. A parameter edit keeps the version, so the widget keeps its value.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

import streamlit as st

from cnnviz.design import edits as ops
from cnnviz.design.blocks import block_children, is_block
from cnnviz.design.shapes import top_rows
from cnnviz.plots.design.diagram import layer_from_selection
from cnnviz.text.escape import for_markdown
from cnnviz.ui import state

SELECTED = state.SELECTED  # path of the layer edited in detail (kept in ?layer=)
FOLDED = "design.folded"  # paths of the blocks whose layers the list hides
NEW_KIND = "design.new_kind"  # the kind the "add" buttons insert
STATUS_ICON = {
    "ok": "✓",
    "error": "✗",
    "not computed": "·",
}  # plain glyphs: projectors lack emoji fonts


def _order(path: str) -> tuple[int, ...]:
    return tuple(int(p) for p in path.split("."))


def row_at(rows: list[dict], path: str) -> dict:
    """The row of the layer at ``path`` (KeyError if none)."""
    for r in rows:
        if r["path"] == path:
            return r
    raise KeyError(path)


def listed_rows(rows: list[dict]) -> list[dict]:
    """The rows as the layer list shows them: a block before its layers, folded ones hidden."""
    folded = st.session_state.get(FOLDED, set())
    shown = []
    for r in sorted(rows, key=lambda r: _order(r["path"])):
        if not any(r["path"].startswith(f"{f}.") for f in folded):
            shown.append(r)
    return shown


def selected(rows: list[dict]) -> str | None:
    """The selected layer's path, kept to a layer that exists (None for an empty stack)."""
    if not rows:
        return None
    paths = {r["path"] for r in rows}
    sel = st.session_state.get(SELECTED, "0")
    sel = str(sel) if isinstance(sel, (int, str)) else "0"
    if sel in paths:
        return sel
    top = sum(1 for r in rows if r["depth"] == 0)
    head = sel.split(".")[0]
    return str(min(max(int(head) if head.isdigit() else 0, 0), top - 1))


def _select(i: int | str | None) -> None:
    if i is None or isinstance(i, (int, str)):
        st.session_state[SELECTED] = None if i is None else str(i)


def select_from_diagram() -> None:
    """on_select of the diagram: a click on a box edits the layer that made it."""
    i = layer_from_selection(st.session_state.get("design.diagram"))
    if i is not None:
        _select(i)


def apply_edit(
    edit: Callable[[], dict], *, select: int | str | None = None, replace: bool = True
) -> None:
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
    """One line of the layer list: number, layer, output shape, status (a block: ▾ or ▸)."""
    out = _shape(row["output_shape"]) if row["status"] == "ok" else row["status"]
    fold = ""
    if row.get("block"):
        fold = "▸ " if row["path"] in st.session_state.get(FOLDED, set()) else "▾ "
    indent = "\u2003" * row.get("depth", 0)  # em spaces: the layers inside a block step in
    label = row.get("label") or str(row["index"] + 1)
    return f"{indent}{fold}{label}. {for_markdown(row['name'])} → {out} {STATUS_ICON.get(row['status'], '')}"


def layer_list(spec: dict, rows: list[dict]) -> str | None:
    """The one-line-per-layer list (blocks with their layers); returns the selected path."""
    if not rows:
        st.info("No layers yet: pick a kind below and press **Add layer**.")
        return None
    sel = selected(rows)
    shown = listed_rows(rows)
    paths = [r["path"] for r in shown]
    if sel not in paths:  # inside a folded block: its block is selected
        sel = next(p for p in reversed(paths) if sel is not None and sel.startswith(f"{p}."))
    lines = {r["path"]: layer_line(r) for r in shown}
    # The key follows the lines: a radio whose labels changed (a shape changed) is a new
    # widget that starts at the selected layer, never one holding a stale label.
    key = f"design.list.{state.spec_version()}.{hash(tuple(lines.values()))}"
    st.radio(
        "Layers (click one to edit it)",
        options=paths,
        index=paths.index(sel),
        format_func=lines.__getitem__,
        key=key,
        on_change=lambda: _select(st.session_state[key]),
    )
    return sel


def add_controls(spec: dict, sel: str | None, *, kinds: tuple[str, ...] | None = None) -> None:
    """Pick a kind (a layer or a block); add it below the selected layer (or at the end),
    above it, or inside the selected block. ``kinds``: only these may be added (a challenge)."""
    allowed = kinds
    kinds = [k for k in ops.kinds_by_category() if allowed is None or k[0] in allowed]
    labels = dict(kinds)
    n = len(spec.get("layers", []))
    kind = st.selectbox(
        "New layer", [k for k, _ in kinds], format_func=labels.__getitem__, key=NEW_KIND
    )
    below: int | str = n if sel is None else ops.sibling(sel, 1)
    row = st.container(horizontal=True, gap="small")
    row.button(
        "+ Add below" if sel is not None else "+ Add layer",
        on_click=apply_edit,
        args=(lambda: ops.insert_layer(state.get_spec(), below, kind),),
        kwargs={"select": below},
        key="design.add",
        type="primary",
    )
    if sel is None:
        return
    row.button(
        "+ Insert above",
        on_click=apply_edit,
        args=(lambda: ops.insert_layer(state.get_spec(), sel, kind),),
        kwargs={"select": sel},
        key="design.insert",
    )
    block = ops.get_layer(spec, sel)
    if not is_block(block):
        return
    for b, (step, _, inner) in enumerate(block_children(block)):
        at = f"{sel}.{step}{len(inner)}"
        many = str(block.get("type")) == "concat"
        row.button(
            f"+ Add to branch {b + 1}" if many else "+ Add inside the block",
            on_click=apply_edit,
            args=(lambda at=at: ops.insert_layer(state.get_spec(), at, kind),),
            kwargs={"select": at},
            key=f"design.add.inside.{b}",
        )


def needs_flatten(spec: dict, rows: list[dict]) -> int | None:
    """Index of the first Linear whose input is still 4-D images (a Flatten is missing above)."""
    shape = [1, *spec.get("input", [])]
    for i, (layer, row) in enumerate(zip(spec.get("layers", []), top_rows(rows), strict=False)):
        if str(layer.get("type")) == "linear" and len(shape) == 4:
            return i
        if row.get("status") != "ok" or not row.get("output_shape"):
            return None
        shape = row["output_shape"]
    return None


def quick_fixes(spec: dict, rows: list[dict]) -> None:
    """One-click fixes for the mistakes every class makes: a Linear straight after a Conv2d."""
    i = needs_flatten(spec, rows)
    if i is None:
        return
    above = top_rows(rows)[i - 1]["output_shape"] if i else [1, *spec["input"]]
    dims = above[1:]
    box = st.container(border=True)
    box.error(
        f"Layer {i + 1} (Linear) gets a 4-D output [B, {', '.join(map(str, dims))}], but Linear "
        f"needs flat features: a Flatten above it makes it "
        f"[B, {'·'.join(map(str, dims))} = {prod(dims):,}].",
        icon=":material/block:",
    )
    box.button(
        f"Insert Flatten above layer {i + 1}",
        key="design.fix.flatten",
        type="primary",
        on_click=apply_edit,
        args=(lambda: ops.insert_layer(state.get_spec(), i, "flatten"),),
        kwargs={"select": i},
    )


def layer_actions(spec: dict, sel: str, *, fixed: bool = False) -> None:
    """Move, duplicate and delete the selected layer; put it in or out of a block.
    ``fixed``: the layers may not be added or removed (a challenge): Duplicate and Delete off."""
    holder, j = ops.locate(spec["layers"], sel)
    n = len(holder)
    up, down = ops.sibling(sel, -1) if j else sel, ops.sibling(sel, 1) if j < n - 1 else sel
    after_delete = sel if j < n - 1 else (up if j else (ops.holder_block(spec, sel) or "0"))
    row = st.container(horizontal=True, gap="small")
    actions = [
        ("↑ Up", lambda: ops.move_layer(state.get_spec(), sel, -1), up, j == 0),
        ("↓ Down", lambda: ops.move_layer(state.get_spec(), sel, 1), down, j == n - 1),
        ("Duplicate", lambda: ops.duplicate_layer(state.get_spec(), sel), down, fixed),
        ("Delete", lambda: ops.delete_layer(state.get_spec(), sel), after_delete, fixed),
    ]
    above_is_block = j > 0 and is_block(holder[j - 1])
    inside = ops.holder_block(spec, sel)
    if above_is_block:
        kids = block_children(holder[j - 1])
        if kids:
            step, _, inner = kids[-1]
            goes = f"{up}.{step}{len(inner)}"
            actions.append(
                ("Into the block above", lambda: ops.move_into_block_above(state.get_spec(), sel),
                 goes, False)
            )  # fmt: skip
    if inside is not None:
        actions.append(
            ("Out of its block", lambda: ops.move_out_of_block(state.get_spec(), sel),
             ops.sibling(inside, 1), False)
        )  # fmt: skip
    if not is_block(holder[j]):
        actions.append(
            ("Wrap in a residual block", lambda: ops.wrap_in_block(state.get_spec(), sel),
             sel, False)
        )  # fmt: skip
    for label, edit, goes_to, disabled in actions:
        row.button(
            label,
            on_click=apply_edit,
            args=(edit,),
            kwargs={"select": goes_to},
            disabled=disabled,
            key=f"design.act.{label}",
        )


COLUMNS_KEY = "design_cols"  # the st.container around the list and the editor columns
TOTALS_KEY = "design_totals"  # the st.container around the four totals (two rows when narrow)
_STACK_CSS = f"""
<style>
/* The list and the editor side by side need ~760px; narrower (a 1024×768 projector with
   the sidebar open, or presenter mode's larger text) they stack, each at full width. */
.st-key-{COLUMNS_KEY} {{ container-type: inline-size; }}
@container (max-width: 760px) {{
  .st-key-{COLUMNS_KEY} > * > [data-testid="stHorizontalBlock"] {{ flex-direction: column; }}
  .st-key-{COLUMNS_KEY} > * > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {{
    width: 100% !important; flex: 1 1 auto !important; min-width: 100% !important;
  }}
}}
.st-key-{TOTALS_KEY} {{ container-type: inline-size; }}
@container (max-width: 760px) {{
  .st-key-{TOTALS_KEY} > * > [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; }}
  .st-key-{TOTALS_KEY} > * > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {{
    width: 45% !important; flex: 1 1 45% !important; min-width: 45% !important;
  }}
}}
</style>
"""


def stack_when_narrow() -> None:
    """Stack the list/editor columns when the page is narrow (see ``_STACK_CSS``)."""
    st.markdown(_STACK_CSS, unsafe_allow_html=True)
