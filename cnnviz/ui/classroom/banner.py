"""The teacher's design on a student's Design page: a banner with Open, never applied by itself."""

from __future__ import annotations

import streamlit as st

from cnnviz.classroom.room import Broadcast
from cnnviz.design.presets import PRESETS
from cnnviz.text.escape import for_markdown
from cnnviz.ui import state
from cnnviz.ui.classroom import session
from cnnviz.ui.train.form import TrainForm

SEEN = "cnnviz.class.broadcast_seen"  # id of the last sent design this session opened or hid


def _open(b: Broadcast) -> None:
    preset = str(b.settings.get("preset") or "")
    preset = preset if preset in PRESETS else ""
    state.set_spec(b.spec, preset=preset, replace=True)
    TrainForm().load(b.settings, preset=preset)  # the Train page keeps these settings
    st.session_state[SEEN] = b.id


def _hide(b: Broadcast) -> None:
    st.session_state[SEEN] = b.id


def design_banner() -> None:
    """A banner for the newest design the teacher sent (students only; once per design)."""
    if not session.enabled() or session.is_teacher():
        return
    b = session.room().latest_design()
    if b is None or st.session_state.get(SEEN, 0) >= b.id:
        return
    n = len(b.spec.get("layers", []))
    with st.container(border=True, key="class_banner"):
        st.markdown(
            f":material/campaign: **Your teacher sent a design: {for_markdown(b.title)}** ({n} layers"
            + (f", {for_markdown(b.settings['epochs'])} epochs" if "epochs" in b.settings else "")
            + "). Open it to replace your current design; yours stays as it is until you do."
        )
        row = st.container(horizontal=True)
        row.button(
            "Open", icon=":material/open_in_new:", type="primary", key="class.banner.open",
            on_click=_open, args=(b,),
        )  # fmt: skip
        row.button("Not now", key="class.banner.hide", on_click=_hide, args=(b,))
