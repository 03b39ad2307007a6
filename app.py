"""cnnviz: the router. Page set-up, navigation and the shared sidebar; nothing else.

The pages live in ``views/``, not ``pages/``: Streamlit treats a ``pages/`` folder as an
old-style multipage app until ``st.navigation`` has run once, so a link straight to
``/train`` on a freshly started server would skip this router.
"""

from pathlib import Path

import streamlit as st

from cnnviz.ui import challenge, presenter, sidebar, state, warm
from cnnviz.ui.classroom import gate

# a local icon: a Material icon as favicon makes every browser fetch it from fonts.gstatic.com
ICON = Path(__file__).parent / "assets" / "icon.png"
st.set_page_config(page_title="cnnviz", page_icon=str(ICON), layout="wide")

DESIGN = st.Page(
    "views/design.py", title="Design", icon=":material/architecture:", url_path="design"
)


def _home() -> None:
    """The root URL opens Design at its own address, keeping the link's design (?net=...)."""
    st.switch_page(DESIGN, query_params=dict(st.query_params))


state.init()
gate.require_person()  # a class server: join (or unlock the teacher's view) first
page = st.navigation(
    [
        st.Page(_home, title="cnnviz", url_path="home", default=True, visibility="hidden"),
        DESIGN,
        st.Page("views/train.py", title="Train", icon=":material/monitoring:", url_path="train"),
        st.Page(
            "views/inspect.py",
            title="Inspect",
            icon=":material/search_insights:",
            url_path="inspect",
        ),
        st.Page("views/runs.py", title="Runs", icon=":material/folder_open:", url_path="runs"),
        st.Page(
            "views/present.py", title="Present", icon=":material/co_present:", url_path="present"
        ),
        st.Page("views/learn.py", title="Learn", icon=":material/school:", url_path="learn"),
        *gate.teacher_pages(),
    ],
    position=presenter.navigation_position(),  # presenter mode: at the top, the sidebar folded
)
challenge.sync()  # ?challenge=: opened once per session (before ?net= is written back), kept
state.sync_url()
sidebar.render(page)
try:
    page.run()
finally:  # the first page is drawn: torch, the Train page and its images load in the background
    warm.start()
