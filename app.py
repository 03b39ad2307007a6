"""cnnviz: the router. Page set-up, navigation and the shared sidebar; nothing else."""

import streamlit as st

from cnnviz.ui import sidebar, state

st.set_page_config(page_title="cnnviz", page_icon="🧠", layout="wide")

state.init()
page = st.navigation(
    [
        st.Page(
            "pages/design.py",
            title="Design",
            icon=":material/architecture:",
            url_path="design",
            default=True,
        ),
        st.Page("pages/train.py", title="Train", icon=":material/monitoring:", url_path="train"),
        st.Page(
            "pages/inspect.py",
            title="Inspect",
            icon=":material/search_insights:",
            url_path="inspect",
        ),
        st.Page("pages/runs.py", title="Runs", icon=":material/folder_open:", url_path="runs"),
    ]
)
state.sync_url()
sidebar.render()
page.run()
