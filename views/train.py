"""Train: pick the data, check the network fits it, choose the settings, watch it learn.

With no training on show the page is four numbered steps, Start at the end. Once a
training is on show (queued, running, paused, or ended and not yet dismissed with New
training) it leads the page and its set-up follows, folded while it trains.

Training runs in a background job (``cnnviz.jobs``) shared by the whole server;
this page only keeps the job id (session + ``?job=``), so reruns, other pages
and a browser refresh never stop or lose it.
"""

import streamlit as st

from cnnviz.ui import challenge as challenge_ui
from cnnviz.ui import jobs as jobs_ui
from cnnviz.ui import state
from cnnviz.ui.classroom import jobs as class_jobs
from cnnviz.ui.runs import change as run_change
from cnnviz.ui.runs import extras as run_extras
from cnnviz.ui.train import data as train_data
from cnnviz.ui.train import live as train_live
from cnnviz.ui.train import network as train_network
from cnnviz.ui.train import settings as train_config
from cnnviz.ui.train import start as train_start

st.title("Train")
st.caption(
    "Feed the network real images in mini-batches, let the optimizer follow the gradients of the "
    "loss, and watch the loss fall and the accuracy rise."
)

waiting = class_jobs.waiting_entry()  # a class server: the job is still in the queue
job = None if waiting else jobs_ui.current_job()
notice = jobs_ui.lost_job_notice()
if notice:
    st.warning(notice, icon=":material/link_off:")
if job is None and waiting is None:
    # a fresh tab: the training already running, to attach to (a class: your own)
    jobs_ui.running_elsewhere(offered=class_jobs.may_control)
train_config.take_preset()  # a preset just chosen on Design brings its dataset and settings
challenge_ui.apply_locks()  # a challenge: its dataset and locked settings stand
challenge_ui.train_panel(job)  # its targets, and the ended run's check
run_change.change_banner()
running = waiting is not None or (job is not None and job.status in train_live.LIVE)
queued = waiting.config if waiting is not None else None
SETUP = "train.setup"  # the folded set-up of the training on show (open: drawn)

if waiting is not None or job is not None:
    # A training on show leads the page, so a refresh or a switch back shows it first; its
    # data, network and settings follow. While it trains they are locked and folded, and
    # drawn only when opened: the browser then has little else to draw before the progress.
    st.header("Training")
    if waiting is not None:
        class_jobs.waiting_view(waiting)
    else:
        st.caption(
            "Its data, network and settings are below, locked while it trains."
            if running
            else "To train again, change the data, network or settings below if you like, "
            "then press **New training**."
        )
        train_live.live_view(job)
    below_live = st.container()  # what next (filled once the data is known)
else:
    below_live = None
folded = (
    st.expander(
        "Data, network and settings of this training (locked while it trains)",
        key=SETUP,
        on_change="rerun",
        icon=":material/lock:",
    )
    if running
    else None
)


def section(title: str, *, foldable: bool):
    """A numbered section; in presenter mode the settings fold away so the charts get the room."""
    if folded is not None:  # inside the folded set-up: no expander in an expander
        st.subheader(title)
        return st.container()
    if foldable and state.teaching():
        return st.expander(title, expanded=False)
    st.header(title)
    return st.container()


bundle, fits, config = None, False, None
if folded is None or folded.open:
    with folded if folded is not None else st.container():
        with section("1 · Data", foldable=True):
            bundle, pipeline, preview = train_data.data_section(
                disabled=running, dataset_locked=challenge_ui.dataset_locked()
            )

        with section("2 · Network", foldable=False):
            fits = train_network.network_section(bundle) if bundle is not None else False
            if bundle is None:
                st.info("Load a dataset above to check the network against it.")

        with section("3 · Settings", foldable=True):
            settings = train_config.config_form(
                bundle=bundle,
                val_fraction=pipeline["val_fraction"],
                disabled=running,
                locked=challenge_ui.locked_fields(),
                shown=queued if queued else (job.config if job and running else None),
            )
        config, config_error = train_start.assemble({**settings, **pipeline})
        if bundle is not None and config is not None:  # drawn up in the data section
            with preview:
                train_data.preview(bundle, config)

if below_live is None:  # nothing on show: set up, then Start (it reruns into the view above)
    st.header("4 · Training")
    train_start.start_panel(bundle, fits, config, config_error)
    run_extras.after_training(None, bundle)
else:
    with below_live:
        run_extras.after_training(job, bundle)
