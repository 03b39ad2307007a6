"""Making a challenge: one form for the teacher's page and for a link anyone can open.

``challenge_form(key)`` draws the form (start design, data, what students may
change, targets) and returns the checked ``Challenge`` when it is submitted.
``link_maker()`` (Design's Share tab, outside class mode) turns it into a
``?challenge=`` link that carries the whole challenge.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from cnnviz.data.catalog import DATASETS
from cnnviz.design.challenge import (
    LOCKABLE,
    Challenge,
    ChallengeError,
    encode_challenge,
    parse_shape,
)
from cnnviz.design.export import encode_spec
from cnnviz.design.layer_kinds import LAYER_KINDS
from cnnviz.design.presets import PRESETS
from cnnviz.text.escape import for_markdown
from cnnviz.train.config import TrainConfig
from cnnviz.ui import state
from cnnviz.ui.train.form import TrainForm

CURRENT = "(your current design)"


def _name(kind: str) -> str:
    return LAYER_KINDS[kind].torch_name


def challenge_form(key: str, starts: dict[str, dict] | None = None) -> Challenge | None:
    """The form; the checked challenge once submitted (errors are shown, None returned).

    ``starts``: more starting designs by name (the design sent to the class), offered
    after the current design and before the presets."""
    starts = dict(starts or {})
    presets = [CURRENT, *starts, *PRESETS]
    with st.form(key):
        title = st.text_input("Title", value="Small and sharp", max_chars=80, key=f"{key}.title")
        note = st.text_area(
            "What to do (students read this)",
            value="",
            max_chars=400,
            key=f"{key}.note",
            placeholder="e.g. Reach 16×7×7 after the second Conv2d with at most 20,000 parameters.",
        )
        c1, c2 = st.columns(2)
        start = c1.selectbox(
            "Starting design",
            presets,
            key=f"{key}.start",
            format_func=lambda p: PRESETS[p].title if p in PRESETS else p,
        )
        names = list(DATASETS)
        ds = c2.selectbox(
            "Data",
            names,
            key=f"{key}.dataset",
            format_func=lambda d: DATASETS[d].title,
            help="Locked for students; their design's input must suit it.",
        )
        c1, c2 = st.columns(2)
        may_add = c1.checkbox("Students may add and remove layers", value=True, key=f"{key}.add")
        kinds = c2.multiselect(
            "Layer kinds they may add (none chosen: any)",
            list(LAYER_KINDS),
            format_func=_name,
            key=f"{key}.kinds",
        )
        locked = st.multiselect(
            "Lock these Train settings (at your own current values)",
            list(LOCKABLE),
            key=f"{key}.locked",
        )
        st.markdown("**Targets** (0 or none: no such target)")
        k1, k2, k3 = st.columns(3)
        s_kind = k1.selectbox(
            "Shape after the layer kind",
            ["none", *LAYER_KINDS],
            format_func=lambda k: k if k == "none" else _name(k),
            key=f"{key}.shape_kind",
        )
        s_nth = k2.number_input("… number (from 1)", 1, 200, 2, key=f"{key}.shape_nth")
        s_text = k3.text_input("… shape C×H×W", value="16×7×7", key=f"{key}.shape")
        b1, b2 = st.columns(2)
        max_params = b1.number_input(
            "Parameters at most", 0, 10**9, 0, step=1000, key=f"{key}.params"
        )
        max_ma = b2.number_input(
            "Mult-adds per image at most", 0, 10**12, 0, step=10_000, key=f"{key}.mult_adds"
        )
        a1, a2 = st.columns(2)
        acc = a1.number_input(
            "Test accuracy at least (%)", 0.0, 100.0, 0.0, step=1.0, key=f"{key}.acc"
        )
        epochs = a2.number_input("… within epochs", 0, 1000, 0, key=f"{key}.epochs")
        sent = st.form_submit_button("Set the challenge", type="primary", icon=":material/flag:")
    if not sent:
        return None
    if start in starts:
        spec = starts[start]
    else:
        spec = state.get_spec() if start == CURRENT else PRESETS[start].new_spec()
    mine = {**TrainConfig().to_dict(), **TrainForm().read()}
    d: dict = {"title": title, "note": note, "net": encode_spec(spec), "dataset": ds}
    if not may_add:
        d["may_add"] = False
    if kinds:
        d["kinds"] = kinds
    if locked:
        d["locked"] = {k: mine[k] for k in locked}
    try:
        if s_kind != "none":
            d["shapes"] = [{"kind": s_kind, "nth": int(s_nth), "shape": list(parse_shape(s_text))}]
        for name, v in (("max_params", max_params), ("max_mult_adds", max_ma)):
            if int(v) > 0:
                d[name] = int(v)
        if acc > 0:
            d["min_accuracy"] = round(float(acc) / 100, 4)
            if int(epochs) > 0:
                d["max_epochs"] = int(epochs)
        ch = Challenge.from_dict(d)
    except ChallengeError as e:
        st.error(f"The challenge was not set: {for_markdown(e)}")
        return None
    if not ch.has_design_targets and ch.min_accuracy is None:
        st.error("The challenge was not set: give it at least one target (a shape, a budget "
                 "or an accuracy).")  # fmt: skip
        return None
    return ch


def address(query: str) -> str:
    """This server's Design page with ``query`` (the browser's own address, when known)."""
    try:
        url = urlsplit(str(st.context.url or ""))
        base = f"{url.scheme}://{url.netloc}" if url.scheme and url.netloc else ""
    except Exception:  # outside a browser (bare mode)
        base = ""
    return f"{base}/design?{query}"


LINK = "cnnviz.challenge.made_link"


def link_maker() -> None:
    """Outside class mode: a challenge as a link anyone can open (Design's Share tab)."""
    with st.expander("Make a challenge link", icon=":material/flag:"):
        st.caption(
            "A challenge: a starting design and data, what may change, and targets the app "
            "checks. The link holds all of it; whoever opens it starts from it."
        )
        made = challenge_form("design.challenge")
        if made is not None:
            st.session_state[LINK] = address("challenge=" + encode_challenge(made))
        if st.session_state.get(LINK):
            st.code(st.session_state[LINK], language=None, wrap_lines=True)


__all__ = ["address", "challenge_form", "link_maker"]
