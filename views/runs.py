"""Runs: every saved training run (from this page or the command line); reopen or compare them."""

import streamlit as st

from cnnviz.train.store import runs_root
from cnnviz.ui.classroom import run_access
from cnnviz.ui.classroom import runs as class_runs
from cnnviz.ui.classroom import session as class_session
from cnnviz.ui.runs import compare_view, picker
from cnnviz.ui.runs import experiments as exp_ui
from cnnviz.ui.runs import listing as train_runs

st.title("Runs")
run_access.link_run()  # a link to a run that is gone, or not this person's: said, and dropped
run_access.link_compare()
if class_session.enabled():  # a class server: My runs first, the Class gallery
    st.caption(
        "Every training you start is saved as a run: the network, the settings, the loss and "
        "accuracy per iteration and per epoch, and the trained weights. Share a run to show it "
        "to the class."
    )
    exp_ui.progress_panel()  # your experiment: its place in line, or how far it is
    exp_ui.finished_notice()
    class_runs.runs_page()
    st.stop()
st.caption(
    f"Every training run is saved in its own folder under `{runs_root().resolve()}` "
    "(set `CNNVIZ_RUNS_DIR` to move it): the network, the settings, the loss and accuracy "
    "per iteration and per epoch, and the trained weights. "
    "Runs trained with `python -m cnnviz train` appear here too."
)
exp_ui.progress_panel()

runs = train_runs.all_runs()
if not runs:
    st.info("No runs yet. Train a network on the **Train** page and it will be listed here.")
    st.page_link("views/train.py", label="Go to Train", icon=":material/show_chart:")
    st.stop()

chosen = picker.compare_picker(runs)
if len(chosen) >= 2:
    exp_ui.finished_notice()
    compare_view.comparison_view(chosen)
    st.header("One run")

st.caption("Click a row to see that run.")
picked = train_runs.pick_run(runs)
if picked is not None:
    train_runs.run_details(picked)
