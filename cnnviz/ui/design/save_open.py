"""Getting a design out of and into the page: PyTorch code, JSON file, share link."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from cnnviz.design.export import encode_spec, spec_from_json, spec_to_json, to_pytorch_code
from cnnviz.design.spec import SpecError
from cnnviz.text.escape import for_markdown
from cnnviz.ui import state

UPLOADED = "design.uploaded"  # file_id of the last upload applied (an upload is applied once)
MAX_UPLOAD_MB = 1


def code_section(spec: dict, batch: int, ok: bool) -> None:
    if not ok:
        st.info("The code appears once every layer is valid (fix the ✗ layer first).")
        return
    try:
        code = to_pytorch_code(spec, batch=batch)
    except (SpecError, ValueError) as e:
        st.error(f"Could not write the code: {for_markdown(e)}")
        return
    st.code(code, language="python")
    st.download_button("Download model.py", code, file_name="model.py", mime="text/x-python")


def json_section(spec: dict) -> None:
    c1, c2 = st.columns(2)
    with c1:
        st.code(spec_to_json(spec), language="json")
        st.download_button(
            "Download design.json",
            spec_to_json(spec),
            file_name="design.json",
            mime="application/json",
        )
    with c2:
        f = st.file_uploader(
            "Open a design (.json)",
            type=["json"],
            key="design.upload",
            max_upload_size=MAX_UPLOAD_MB,
            help="A file saved with Download design.json (or written by hand).",
        )
        if f is None:
            st.session_state.pop("design.upload_msg", None)
        elif st.session_state.get(UPLOADED) != f.file_id:
            st.session_state[UPLOADED] = f.file_id
            _load_upload(f.name, f.getvalue())
        if msg := st.session_state.get("design.upload_msg"):
            (st.success if msg[0] == "ok" else st.error)(msg[1])


def parse_upload(name: str, data: bytes) -> tuple[dict | None, str]:
    """(spec, "") for a good design file, (None, message naming the cause and the fix) otherwise."""
    if len(data) > MAX_UPLOAD_MB * 2**20:
        return None, (
            f"{name} is larger than {MAX_UPLOAD_MB} MB: a design file is a few KB. "
            "Pick the design.json saved from this page. Your design is unchanged."
        )
    try:
        return spec_from_json(data), ""
    except (SpecError, ValueError) as e:
        return None, f"{name} could not be opened: {e}. Your design is unchanged."


def _load_upload(name: str, data: bytes) -> None:
    spec, problem = parse_upload(name, data)
    if spec is None:
        st.session_state["design.upload_msg"] = ("err", problem)
        return
    state.set_spec(spec, preset="", replace=True)
    st.session_state[state.SELECTED] = 0
    st.session_state["design.upload_msg"] = ("ok", f"Opened {name}.")
    st.rerun()


def share_link(spec: dict) -> None:
    """The page's URL with the design in it (st.code has a copy button)."""
    query = urlencode({"net": encode_spec(spec)})
    try:
        base = (st.context.url or "").split("?")[0]
    except Exception:  # no browser session (tests): a relative link
        base = ""
    base = base or "/"  # Design is the app's default page: its URL is the app's root
    st.code(f"{base}?{query}", language=None, wrap_lines=True)
    st.caption("Copy this link (button on the right): it reopens exactly this design.")
