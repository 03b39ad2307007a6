"""Design: build a conv stack layer by layer and see every shape, and why, as you edit."""

from __future__ import annotations

import streamlit as st

from cnnviz.design.shapes import summarize, totals
from cnnviz.design.spec import SpecError
from cnnviz.plots.design.diagram import design_figure
from cnnviz.text.escape import for_markdown
from cnnviz.ui import challenge as challenge_ui
from cnnviz.ui import state
from cnnviz.ui.challenge_form import link_maker
from cnnviz.ui.classroom import banner as class_banner
from cnnviz.ui.design import editor
from cnnviz.ui.design import inputs as design_input
from cnnviz.ui.design import params as design_params
from cnnviz.ui.design import save_open as design_io
from cnnviz.ui.design import table as design_table
from cnnviz.ui.figures import show
from cnnviz.ui.runs import change as run_change

st.title("Design")
run_change.change_banner()
class_banner.design_banner()  # a class server: the design the teacher sent, with Open

design_input.preset_picker()
design_input.input_picker()
if flash := st.session_state.pop("design.flash", None):
    st.warning(flash)

spec = state.get_spec()
batch = design_input.batch_size()
try:
    rows = summarize(spec, batch)
except SpecError as e:  # the design as a whole is malformed (e.g. from an old link)
    st.error(f"This design cannot be read: {for_markdown(e)}")
    st.button("Start again from the default design", on_click=design_input.reset_to_default)
    st.stop()

challenge_ui.design_panel(spec, rows)  # a challenge: its targets and how far this design is
sel = editor.selected(rows)
show(
    design_figure(
        spec,
        rows,
        sel,
        height=460 if state.teaching() else 340,
        scale=1.5 if state.teaching() else 1.0,
    ),  # presenter: larger for a projector
    name="network-diagram",
    key="design.diagram",
    full_toolbar=True,
    on_select=editor.select_from_diagram,
    selection_mode="points",
)

editor.quick_fixes(spec, rows)
editor.stack_when_narrow()
with st.container(key=editor.COLUMNS_KEY):
    left, right = st.columns(2, gap="medium")
with left:
    st.subheader("Layers")
    sel = editor.layer_list(spec, rows)
    if challenge_ui.may_add():  # a challenge may lock the layers (values still change)
        editor.add_controls(spec, sel, kinds=challenge_ui.allowed_kinds())
with right:
    if sel is not None:
        with st.container(border=True):
            editor.layer_actions(spec, sel, fixed=not challenge_ui.may_add())
            design_params.layer_detail(spec, rows, sel)
        with st.container(border=True):
            design_table.why_panel(rows, sel)

st.subheader("Shapes, layer by layer")
design_table.shape_table(rows, sel)

ok = totals(rows)["ok"]
if state.teaching():  # presenter mode: the code only, no file or link controls
    st.subheader("PyTorch code")
    design_io.code_section(spec, batch, ok)
else:
    code_tab, json_tab, link_tab = st.tabs(["PyTorch code", "Save / open (JSON)", "Share link"])
    with code_tab:
        design_io.code_section(spec, batch, ok)
    with json_tab:
        design_io.json_section(spec)
    with link_tab:
        design_io.share_link(spec)
        link_maker()
