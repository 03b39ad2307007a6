"""The sidebar every page shares: what is designed, what is training, presenter mode."""

from __future__ import annotations

import streamlit as st

from cnnviz.text.escape import for_markdown
from cnnviz.ui import presenter, state


def render(page: object = None) -> None:
    """The sidebar, and above the page any message about the link (``?net=``, ``?job=``, ``?run=``).

    ``page``: the page about to run; the hidden root page only forwards to Design, so the
    link's message waits for the page it forwards to.
    """
    from cnnviz.ui.classroom import questions as class_questions
    from cnnviz.ui.classroom import sidebar as class_sidebar

    with st.sidebar:
        class_sidebar.render()  # who is signed in on a class server; the open-server warning
        st.toggle(
            "Presenter mode",
            key=state.TEACHING,
            help="Bigger text and fewer controls, for a projector: the sidebar folds away "
            "(open it again with the arrow at the top left) and the pages are linked at the top.",
        )
        presenter.apply_page()
        spec = state.get_spec()
        n = len(spec.get("layers", []))
        shape = "×".join(str(d) for d in spec.get("input", []))
        st.caption(f"Design: input {shape}, {n} layer{'s' if n != 1 else ''}")
        # ids are checked by format (cnnviz.train.ids) and shown as text all the same
        if state.job_id():
            st.caption(f"Training job: {for_markdown(state.job_id())}")
        if state.run_id():
            st.caption(f"Open run: {for_markdown(state.run_id())}")
    forwarding = page is not None and getattr(page, "url_path", None) in ("", "home")
    if not forwarding:
        class_questions.prompt()  # a class server: the teacher's question, on every page
    if not forwarding and (msg := state.pop_url_error()):
        st.warning(for_markdown(msg), icon=":material/link_off:")
