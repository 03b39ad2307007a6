"""The Train page's network section: the design from the Design page, checked against the data.

``network_section(data) -> bool`` shows a one-line summary (input, layers,
output, parameters), every problem ``check_fit`` finds in plain words, and a
one-click fix button where there is one (the fixed design replaces the current
one, so the Design page shows it too). Returns True when training can start.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.data.catalog import DATASETS
from cnnviz.design.shapes import summarize, totals
from cnnviz.design.spec import SpecError
from cnnviz.text.escape import for_markdown
from cnnviz.train.fitcheck import Problem, apply_fix, check_fit
from cnnviz.ui import state


def summary_line(spec: dict) -> str:
    """``Input 3×64×64 → 13 layers → output 10 scores · 1,256,890 parameters`` (or what is wrong)."""
    shape = "×".join(str(d) for d in spec.get("input", [])) or "?"
    n = len(spec.get("layers", []))
    try:
        t = totals(summarize(spec))
    except SpecError as e:
        return f"Input {shape}, {n} layers: the design cannot be read ({e})"
    out = t["output_shape"]
    out_text = f"output {out[1]} scores (logits)" if out and len(out) == 2 else f"output {out}"
    if not t["ok"]:
        out_text = "an error in the shapes"
    return f"Input {shape} → {n} layer{'s' if n != 1 else ''} → {out_text} · {t['params']:,} parameters"


def _apply(fix: dict[str, Any]) -> None:
    state.set_spec(apply_fix(state.get_spec(), fix), preset=None, replace=True)
    st.session_state["train.net.fixed"] = True


def _facts(data: Any) -> Any:
    """(name as the page calls it, [C, H, W] as loaded, number of classes) for check_fit."""
    shape = getattr(data, "shape", None)
    if shape is None or getattr(data, "train_x", None) is None:
        return data
    info = DATASETS.get(getattr(data, "name", ""))
    name = info.title.split(" (")[0] if info else str(getattr(data, "name", "the data"))
    return (name, list(shape), len(data.classes))


def network_section(data: Any) -> bool:
    """Render the section; True when the design fits ``data`` (a DataBundle or DatasetInfo)."""
    spec = state.get_spec()
    st.markdown(f"**Network** (from the Design page): {for_markdown(summary_line(spec))}")
    if st.session_state.pop("train.net.fixed", False):
        st.toast(
            "Design updated: the Design page shows the change too.", icon=":material/construction:"
        )
    problems: list[Problem] = check_fit(spec, _facts(data))
    blocking = [p for p in problems if p.blocking]
    for i, p in enumerate(problems):
        box = st.container(border=True)
        (box.error if p.blocking else box.warning)(
            for_markdown(p.message), icon=":material/block:" if p.blocking else ":material/warning:"
        )
        if p.fix:
            row = box.container(horizontal=True)
            row.button(
                f"Fix: {p.fix_label}",
                key=f"train.net.fix.{i}",
                on_click=_apply,
                args=(p.fix,),
                type="primary",
            )
            for j, (fix, label) in enumerate(p.alternatives):
                row.button(
                    f"Or: {for_markdown(label)}",
                    key=f"train.net.fix.{i}.{j}",
                    on_click=_apply,
                    args=(fix,),
                )
        else:
            box.page_link(
                "views/design.py",
                label="Open the Design page to fix this layer",
                icon=":material/construction:",
            )
    if not problems:
        st.success(
            "The network fits this data: right input shape, one output per class.",
            icon=":material/check_circle:",
        )
    return not blocking
