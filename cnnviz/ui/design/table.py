"""The shape table (every layer, totals at the bottom) and the "Why this shape?" panel.

``table_frame(rows)`` is plain pandas (testable without a server); ``shape_table``
renders it with invalid rows in red and rows below them greyed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz.design.layer_kinds import LAYER_KINDS, Rule
from cnnviz.design.shapes import format_bytes, format_count, totals
from cnnviz.text.escape import for_markdown, for_markdown_code
from cnnviz.ui import state
from cnnviz.ui.figures import subject

TOTAL = "Total"
SIZE_RULES = {Rule.CONV, Rule.POOL}
GENERAL_FORMULA = r"H_{out} = \left\lfloor \frac{H_{in} + 2P - D\,(K-1) - 1}{S} \right\rfloor + 1"
LEGEND = "K = kernel_size, S = stride, P = padding, D = dilation; ⌊ ⌋ rounds down (floor division)."


def _shape(shape: list[int] | None) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]" if shape else ""


def _label(r: dict) -> str:
    return str(r.get("label") or r["index"] + 1)


def layer_text(r: dict) -> str:
    """The layer's name, stepped in inside blocks; a block's own row says it is the merge."""
    pad = "· " * r.get("depth", 0)
    if r.get("block"):
        return f"{pad}⤷ {r['name']}: merge"
    return f"{pad}{r['name']}"


def _position(rows: list[dict], path: str | None) -> int | None:
    return next((k for k, r in enumerate(rows) if r.get("path") == path), None)


def table_frame(rows: list[dict]) -> pd.DataFrame:
    """One line per layer plus a Total line, with the columns the page shows."""
    lines = []
    for r in rows:
        ok = r["status"] == "ok"
        if r["status"] == "error":
            message = f"✗ {r['error']} → {r['fix']}"
        elif r["status"] == "not computed":
            message = ""
        else:
            message = f"note: {r['note']}" if r.get("note") else ""
        lines.append(
            {
                "#": _label(r),
                "Layer": layer_text(r),
                "Output shape": _shape(r["output_shape"]) if ok else r["status"],
                "Params": format_count(r["params"]) if ok else "",
                "Params formula": r["params_formula"] if ok else "",
                "Mult-adds": format_count(r["mult_adds"]) if ok and r["mult_adds"] else "",
                "Memory": format_bytes(r["activation_bytes"]) if ok else "",
                "Receptive field": f"{r['receptive_field']}×{r['receptive_field']}"
                if ok and r.get("receptive_field")
                else "",
                "Message": message,
                "status": r["status"],
            }
        )
    t = totals(rows)
    lines.append(
        {
            "#": "",
            "Layer": TOTAL
            + ("" if t["ok"] else f" (up to the first error: {t['errors']} error(s))"),
            "Output shape": _shape(t["output_shape"]) if t["output_shape"] else "",
            "Params": f"{t['params']:,}",
            "Params formula": f"weights {format_bytes(t['param_bytes'])}",
            "Mult-adds": format_count(t["mult_adds"]),
            "Memory": format_bytes(t["activation_bytes"]),
            "Receptive field": "",
            "Message": "",
            "status": "total",
        }
    )
    return pd.DataFrame(lines)


def _style(row: pd.Series) -> list[str]:
    css = {
        "error": "background-color: #fde2e2; color: #8b0000; font-weight: 600",
        "not computed": "color: #9ca3af",
        "total": "font-weight: 700; background-color: #eef2f7",
    }.get(row["status"], "")
    return [css] * len(row)


def error_messages(rows: list[dict]) -> None:
    """Every invalid layer, named, with what went wrong and the fix (above the table)."""
    bad = [r for r in rows if r["status"] == "error"]
    if not bad:
        return
    lines = [
        f"**Layer {_label(r)}, {for_markdown(r['name'])}:** {for_markdown(r['error'])}. **Fix:** {for_markdown(r['fix'])}."
        for r in bad
    ]
    below = sum(r["status"] == "not computed" for r in rows)
    tail = f"\n\nThe {below} layer(s) below are not computed until then." if below else ""
    st.error("\n\n".join(lines) + tail)


def notes_list(rows: list[dict]) -> None:
    """Every valid layer's note in full (under the table, where nothing is cut off)."""
    notes = [r for r in rows if r["status"] == "ok" and r.get("note")]
    box = st.container()  # always there: the tabs below keep their place (and open tab)
    if notes:
        box.markdown(
            "**Notes**\n\n"
            + "\n".join(
                f"- Layer {_label(r)}, {for_markdown_code(r['name'])}: {for_markdown(r['note'])}"
                for r in notes
            )
        )


def table_csv(rows: list[dict]) -> str:
    """The shape table as CSV, numbers as numbers (params, mult-adds, bytes), for a spreadsheet."""
    lines = []
    for r in rows:
        ok = r["status"] == "ok"
        lines.append(
            {
                "#": _label(r),
                "Layer": layer_text(r),
                "Output shape": _shape(r["output_shape"]) if ok else r["status"],
                "Params": r["params"] if ok else None,
                "Params formula": r["params_formula"] if ok else "",
                "Mult-adds": r["mult_adds"] if ok else None,
                "Memory (bytes)": r["activation_bytes"] if ok else None,
                "Receptive field": r.get("receptive_field") if ok else None,
                "Message": r.get("error") or r.get("note") or "",
            }
        )
    t = totals(rows)
    lines.append(
        {
            "#": "",
            "Layer": TOTAL,
            "Params": t["params"],
            "Mult-adds": t["mult_adds"],
            "Memory (bytes)": t["activation_bytes"],
        }
    )
    columns = ["#", "Layer", "Output shape", "Params", "Params formula", "Mult-adds"]
    columns += ["Memory (bytes)", "Receptive field", "Message"]
    frame = pd.DataFrame(lines, columns=columns)
    for col in ("Params", "Mult-adds", "Memory (bytes)", "Receptive field"):
        frame[col] = frame[col].astype("Int64")  # whole numbers, blank where none
    return frame.to_csv(index=False)


PRESENTER_COLUMNS = ("#", "Layer", "Output shape", "Params", "Mult-adds", "Message")


def presenter_table(frame: pd.DataFrame, selected: int | None = None) -> None:
    """Presenter mode: a plain table in page text (it grows with presenter mode's larger font,
    black layer names, no sideways scrolling), with the columns a class reads off a projector."""
    shown = frame[[c for c in PRESENTER_COLUMNS if c in frame.columns]]
    shown = shown.map(lambda v: for_markdown(v) if isinstance(v, str) else v)  # cells: Markdown
    styled = shown.style.apply(lambda r: _style(frame.loc[r.name])[: len(r)], axis=1).hide(
        axis="index"
    )
    if selected is not None and selected < len(shown):
        styled = styled.set_properties(
            subset=pd.IndexSlice[[selected], :], **{"font-weight": "700"}
        )
    st.table(styled)


def shape_table(rows: list[dict], path: str | None = None) -> None:
    selected = _position(rows, path)
    error_messages(rows)
    frame = table_frame(rows)
    if state.teaching():
        presenter_table(frame, selected)
        notes_list(rows)
        _totals(rows)
        return
    styled = frame.style.apply(_style, axis=1)
    if selected is not None and selected < len(rows):
        styled = styled.set_properties(
            subset=pd.IndexSlice[[selected], ["#", "Layer"]], **{"font-weight": "700"}
        )
    st.dataframe(
        styled,
        hide_index=True,
        column_order=[c for c in frame.columns if c != "status"],
        height=min(36 * (len(frame) + 1) + 4, 820),
        column_config={  # wide enough for the text; the table scrolls sideways, # and Layer stay
            "#": st.column_config.TextColumn(width=40, pinned=True),
            "Layer": st.column_config.TextColumn(width="medium", pinned=True),
            "Message": st.column_config.TextColumn(
                width="large", help="in full above the table (errors) and below it (notes)"
            ),
            "Params formula": st.column_config.TextColumn(
                width=240, help="weights + biases, as ConvNetJS writes it"
            ),
            "Memory": st.column_config.TextColumn(help="output tensor, float32, whole batch"),
            "Receptive field": st.column_config.TextColumn(
                help="input pixels one output pixel sees"
            ),
        },
    )
    st.download_button(
        "Download the table (CSV)",
        table_csv(rows),
        file_name=f"{subject()}_shape-table.csv",
        mime="text/csv",
        icon=":material/download:",
        key="design.table.csv",
    )
    notes_list(rows)
    _totals(rows)


def _totals(rows: list[dict]) -> None:
    t = totals(rows)
    with st.container(key="design_totals"):  # editor.TOTALS_KEY: two rows when narrow
        c = st.columns(4)
    c[0].metric("Parameters", f"{t['params']:,}", help="learned numbers: weights and biases")
    c[1].metric("Mult-adds (forward pass)", format_count(t["mult_adds"]))
    c[2].metric(
        "Activation memory", format_bytes(t["activation_bytes"]), help="all outputs, float32"
    )
    c[3].metric("Output", _shape(t["output_shape"]) or "—")


def why_panel(rows: list[dict], path: str | None) -> None:
    """Why the selected layer's output has its shape: the formula with its numbers."""
    i = _position(rows, path)
    if i is None:
        return
    r = rows[i]
    kind = LAYER_KINDS.get(r["type"])
    st.markdown(f"**Why this shape?** — layer {_label(r)}, {for_markdown_code(r['name'])}")
    if r["explain"]:
        st.caption(r["explain"])
    if r["status"] == "error":
        st.error(
            f"**Layer {_label(r)} ({for_markdown(r['name'])}):** {for_markdown(r['error'])}.\n\n**Fix:** {for_markdown(r['fix'])}."
        )
        return
    if r["status"] == "not computed":
        st.info(
            "Not computed: an earlier layer has an error. Fix that one first (marked ✗ in the list)."
        )
        return
    st.markdown(f"`{_shape(r['input_shape'])}` → `{_shape(r['output_shape'])}`")
    if kind is not None and kind.rule in SIZE_RULES:
        st.latex(GENERAL_FORMULA)
        st.caption(LEGEND)
    if r["formula"]:
        st.code("\n".join(r["formula"]), language=None, wrap_lines=True)
    if r.get("note"):
        st.warning(for_markdown(r["note"]))
    if r["params_formula"]:
        st.markdown(f"Parameters: `{r['params_formula']}`")
    if r.get("weight_shape"):
        bias = f", bias `{_shape(r['bias_shape'])}`" if r.get("bias_shape") else ", no bias"
        st.markdown(f"Weight `{_shape(r['weight_shape'])}`{bias}")
    if r.get("matmul"):
        st.markdown(f"Matrix product (mini-batch × weights): `{r['matmul']}`")
    if r.get("receptive_field"):
        rf = r["receptive_field"]
        st.caption(f"Receptive field: one output pixel sees {rf}×{rf} input pixels.")
