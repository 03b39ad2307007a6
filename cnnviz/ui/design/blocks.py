"""The selected block's controls: its shortcut, its branches, fold it, take its layers out.

A block is edited like a layer (moved, duplicated, deleted with the layer actions);
what is its own is here. Every change goes through ``apply_edit`` as the layer
editor's do.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.design import edits as ops
from cnnviz.design.blocks import BLOCK_EXPLAIN, BlockType, Shortcut
from cnnviz.text.escape import for_markdown
from cnnviz.ui import state
from cnnviz.ui.design.editor import FOLDED, apply_edit

SHORTCUT_HELP = {
    Shortcut.IDENTITY: "identity: the input is added as it is (its shape must be the output's)",
    Shortcut.CONV1X1: "conv1x1: a 1×1 Conv2d (no bias) and a BatchNorm2d bring the input to the "
    "output's channels and size first (ResNet's projection)",
}


def _toggle_fold(path: str) -> None:
    folded = set(st.session_state.get(FOLDED, set()))
    folded ^= {path}
    st.session_state[FOLDED] = folded


def block_detail(spec: dict, row: dict, sel: str) -> None:
    """A block's own settings and what its row says (the merge, the output, the shortcut)."""
    block = ops.get_layer(spec, sel)
    kind = BlockType(str(block.get("type")).lower())
    st.markdown(
        f"**{for_markdown(row['label'])}. {for_markdown(row['name'])}** — {BLOCK_EXPLAIN[kind]}"
    )
    bar = st.container(horizontal=True, gap="small")
    folded = sel in st.session_state.get(FOLDED, set())
    bar.button(
        "Unfold (show its layers)" if folded else "Fold (hide its layers)",
        key=f"design.block.fold.{sel}",
        on_click=_toggle_fold,
        args=(sel,),
    )
    bar.button(
        "Take the layers out of the block",
        key=f"design.block.unwrap.{sel}",
        on_click=apply_edit,
        args=(lambda: ops.unwrap_block(state.get_spec(), sel),),
        kwargs={"select": sel},
        help="The block is removed; its layers stay where it was",
    )
    if kind is BlockType.RESIDUAL:
        options = [str(s) for s in Shortcut]
        now = str(block.get("shortcut", Shortcut.IDENTITY)).lower()
        key = f"design.p{state.spec_version()}.{sel}.shortcut"

        def store() -> None:
            value = st.session_state[key]
            apply_edit(lambda: ops.set_param(state.get_spec(), sel, "shortcut", value))

        st.selectbox(
            "shortcut", options, index=options.index(now) if now in options else 0, key=key,
            on_change=store, format_func=lambda s: SHORTCUT_HELP[Shortcut(s)],
        )  # fmt: skip
    else:
        branches = block.get("branches") or []
        line = st.container(horizontal=True, gap="small")
        line.button(
            "+ Add a branch",
            key=f"design.block.branch.add.{sel}",
            on_click=apply_edit,
            args=(lambda: ops.add_branch(state.get_spec(), sel),),
            kwargs={"select": sel},
        )
        for b in range(len(branches)):
            line.button(
                f"Remove branch {b + 1}",
                key=f"design.block.branch.del.{sel}.{b}",
                on_click=apply_edit,
                args=(lambda b=b: ops.remove_branch(state.get_spec(), sel, b),),
                kwargs={"select": sel},
                disabled=len(branches) == 1,
            )
    if row["status"] == "ok":
        for line_ in row.get("formula") or []:
            st.caption(line_)
        if row["params"]:
            st.caption(f"shortcut parameters: {row['params_formula']}")
    elif row["status"] == "error":
        st.error(f"{for_markdown(row['error'])}. **Fix:** {for_markdown(row['fix'])}.")
