"""The Train page's live view: progress, Pause / Resume / Stop, charts, the outcome.

``live_view(job)`` draws everything inside two ``st.fragment``s that rerun while the
job is running or paused (``run_every``: the progress about once a second, the
curves every ``CHART_S``), and not at all once it has ended: when the first sees
the job end, it reruns the whole page once, which re-creates both without
``run_every``. Every poll calls
``job.touch()`` so the registry knows someone is watching. The buttons live in
the fragment, so a click reruns only the fragment and acts within a second.
The job thread never calls streamlit; the page only reads the job's snapshot.

Watching must not slow the training. The curves are a second fragment that reruns
every ``CHART_S`` (the progress line every second), and every tab watching a job draws
the same snapshot of its points (``shared_chart_key``), so the figures are built once
per job and snapshot (``st.cache_resource``), with at most ``LIVE_POINTS`` points per
line, however many tabs watch.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnnviz.plots.train.curves import (
    EPOCH_TITLE,
    ITER_TITLE,
    epoch_metrics_figure,
    iteration_loss_figure,
)
from cnnviz.text.escape import for_markdown, for_markdown_code
from cnnviz.train.job import Job, Placement
from cnnviz.train.status import Status
from cnnviz.ui import jobs as jobs_ui
from cnnviz.ui import state
from cnnviz.ui.classroom import jobs as class_jobs
from cnnviz.ui.classroom import run_access
from cnnviz.ui.figures import show
from cnnviz.ui.present import entry as present
from cnnviz.ui.runs import readings as run_readings
from cnnviz.ui.train import gradients as gradients_ui

POLL_S = 1.0
CHART_S = 3.0  # seconds between two redraws of the curves while training
LIVE_POINTS = 400  # points per line in the live charts (the Runs page draws them all)
# no Plotly toolbar: it covered the epoch labels on hover (drag still zooms, double-click resets)
LIVE = (Status.RUNNING, Status.PAUSED)


def duration(seconds: float | None) -> str:
    """``75`` → ``1 min 15 s``; None/inf → ``…``."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "…"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def progress_text(p, *, live: bool = True) -> tuple[float, str]:
    """(fraction done, one line in the course's words) from a job progress snapshot.

    The time left is only given while the job is ``live`` (running or paused), and
    reads "estimating…" until ``cnnviz.eta`` has enough iterations after warm-up.
    """
    total = max(int(p.total_iterations or 0), 1)
    frac = min(max(p.iteration / total, 0.0), 1.0)
    if not p.total_iterations:
        return 0.0, "Preparing the data and the network…"
    ipe = max(p.iterations_per_epoch, 1)
    batch = p.iteration - (p.epoch - 1) * ipe
    parts = [
        f"Epoch {p.epoch}/{p.epochs}",
        f"iteration {p.iteration:,}/{total:,} (mini-batch {batch}/{ipe} of this epoch)",
    ]
    if p.images_per_s:
        parts.append(f"{p.images_per_s:,.0f} images/s")
    if live and p.iteration < total:
        # the first iterations are slow (warm-up): no guess until the speed has settled
        parts.append(
            "estimating time left…" if p.eta_s is None else f"about {duration(p.eta_s)} left"
        )
    return frac, " · ".join(parts)


def stopped_words(done: int, p) -> str:
    """Where a stopped training was, in the same counts as the progress line above it:
    epochs validated, and how far the epoch it stopped in had trained."""
    whole = f"{done} of {p.epochs} epoch{'s' if p.epochs != 1 else ''} finished"
    ipe = max(int(p.iterations_per_epoch or 0), 1)
    if not p.total_iterations or p.epoch <= done:
        return whole
    batch = p.iteration - (p.epoch - 1) * ipe
    if batch >= ipe:
        return f"{whole}; epoch {p.epoch} trained all {ipe} mini-batches but stopped before its validation"
    return f"{whole}; epoch {p.epoch} stopped at mini-batch {batch}/{ipe}"


def _controls(job: Job, status: Status, stopping: bool) -> None:
    """Only the buttons that make sense now: running → Pause, Stop; paused → Resume, Stop.

    They act in their callbacks, before the (fragment) rerun draws the new state. Once the
    job has ended, ``_outcome`` draws New training and Open in Inspect instead.
    """
    row = st.container(horizontal=True)
    if status is Status.PAUSED and not stopping:
        row.button(
            "Resume",
            icon=":material/play_arrow:",
            key="train.resume",
            type="primary",
            on_click=class_jobs.act,
            args=(job, "resume"),
        )
    elif not stopping:
        row.button(
            "Pause",
            icon=":material/pause:",
            key="train.pause",
            on_click=class_jobs.act,
            args=(job, "pause"),
            help="Hold training after this mini-batch; Resume carries on where it stopped.",
        )
    row.button(
        "Stop",
        icon=":material/stop:",
        key="train.stop",
        disabled=stopping,
        on_click=class_jobs.act,
        args=(job, "stop"),
        help="End training now. Finished epochs and the weights so far are kept.",
    )


def _after(job: Job, status: Status) -> None:
    """The ended run's buttons: Open in Inspect (when there are weights) and New training.
    Watching another's training on a class server: the run is theirs, so neither Inspect
    nor Present is offered."""
    row = st.container(horizontal=True)
    mine = bool(job.run_id) and run_access.job_refusal(job) is None
    if (
        mine
        and status is not Status.FAILED
        and row.button(
            "Open this run in Inspect",
            icon=":material/search:",
            key="train.inspect",
            type="primary",
        )
    ):
        state.set_run_id(job.run_id)
        st.switch_page("views/inspect.py")
    if mine:
        with row:
            present.presentation_button(
                job.run_id, key="train.present", disabled=status == Status.FAILED
            )
    if row.button(
        "New training",
        icon=":material/restart_alt:",
        key="train.new",
        help="Hide this run's results and set up another one with the settings above.",
    ):
        jobs_ui.forget()
        st.rerun()  # the whole page, not just this fragment


def _outcome(job: Job) -> None:
    end = job.final
    if end is None:
        return
    status = Status(end.status)
    if status is Status.FINISHED:
        acc = (
            ""
            if end.test_accuracy is None
            else f" Test accuracy: **{100 * end.test_accuracy:.1f}%**"
        )
        st.success(
            f"Training finished in {duration(end.elapsed_s)}.{acc} (on test images the network never saw while training).",
            icon=":material/check_circle:",
        )
        if end.reason:  # early stopping: when, and the best epoch kept as best.pt
            st.info(for_markdown(end.reason), icon=":material/front_hand:")
    elif status is Status.STOPPED:
        finished = stopped_words(len(job.epoch_metrics()), job.progress())
        st.info(
            f"Training stopped after {duration(end.elapsed_s)} ({finished}). {for_markdown(end.reason or '')} "
            "The weights as they were at the stop are saved, so you can still inspect them.",
            icon=":material/stop_circle:",
        )
    else:
        advice = f"\n\n**What to try:** {end.advice}" if end.advice else ""
        st.error(
            f"Training failed: {for_markdown(end.reason or 'unknown error')}{advice}",
            icon=":material/error:",
        )
    _after(job, status)
    if job.run_id:  # the run's name, never its folder on the server
        st.caption(f"Saved as run {for_markdown_code(job.run_id)} (listed on the Runs page).")


@st.cache_resource(max_entries=64, show_spinner=False)
def _figures(
    job_id: str, n_points: int, per_point: int, n_epochs: int, ended: bool, font: int, _job: Job
) -> tuple[go.Figure, go.Figure]:
    """The two charts of ``_job`` with its first ``n_points`` points: built once, for every
    watcher of the job (the arguments name what is drawn; ``_job`` is not hashed)."""
    it = pd.DataFrame(_job.iter_metrics()[:n_points], columns=["iteration", "epoch", "loss"])
    ep = pd.DataFrame(_job.epoch_metrics()[:n_epochs])
    end = _job.final if ended else None
    return (
        iteration_loss_figure(
            it,
            points_per_iteration=per_point,
            title=None,
            font_size=font,
            max_points=LIVE_POINTS,
        ),
        epoch_metrics_figure(
            ep,
            test_accuracy=getattr(end, "test_accuracy", None),
            test_loss=getattr(end, "test_loss", None),
            title=None,
            font_size=font,
            best_epoch=getattr(end, "best_epoch", None),
        ),
    )


def chart_key(job: Job) -> tuple[str, int, int, int, bool]:
    """What the charts show now: the same for every watcher of the job."""
    per_point = job.points_per_iteration  # read first: a merge halves the points after it
    return (job.id, len(job.iter_metrics()), per_point, len(job.epoch_metrics()), job.done)


_SHOWN: OrderedDict[str, tuple[float, tuple]] = OrderedDict()  # job id -> (since, chart key)
_SHOWN_LOCK = threading.Lock()
_SHOWN_JOBS = 256


def shared_chart_key(job: Job, *, live: bool, now: float | None = None) -> tuple:
    """The chart key every watcher of ``job`` draws now (see ``chart_key``).

    While the job trains, new iterations are taken at most every ``CHART_S`` (less a
    margin, so that a tab polling every ``CHART_S`` always finds the newest), and
    every tab in that window gets the same key: the figures are built once per job,
    not once per watcher. A new epoch, the end, or a job not live is drawn at once.
    """
    now = time.monotonic() if now is None else now
    latest = chart_key(job)
    with _SHOWN_LOCK:
        since, key = _SHOWN.get(job.id, (0.0, None))
        fresh = key is None or not live or key[2:] != latest[2:] or now - since >= CHART_S - 0.5
        if fresh:
            since, key = now, latest
        _SHOWN[job.id] = (since, key)
        _SHOWN.move_to_end(job.id)
        while len(_SHOWN) > _SHOWN_JOBS:
            _SHOWN.popitem(last=False)
        return key


def _charts(job: Job, live: bool) -> None:
    teaching = state.teaching()
    font = 16 if teaching else 12  # presenter mode: readable from the back row
    fig_iter, fig_epoch = _figures(*shared_chart_key(job, live=live), font, job)
    # presenter mode: one chart under the other, full width, so the big fonts have the room
    left, right = (st.container(), st.container()) if teaching else st.columns(2)
    # the titles are page text, not in the figures: they wrap instead of being cut off,
    # and Plotly's toolbar (shown on hover) cannot cover them
    left.markdown(f"**{ITER_TITLE}**")
    with left:
        show(fig_iter, name="loss-per-iteration", key="train.chart.iter")
    right.markdown(f"**{EPOCH_TITLE}**")
    with right:
        show(fig_epoch, name="loss-and-accuracy-per-epoch", key="train.chart.epoch")
    gradients_ui.live_panel(job, font=font)  # each layer's gradient size, redrawn per moment


def _curves(job_id: str, live: bool) -> None:
    """The charts fragment: what the curves say so far, and the two charts."""
    job = jobs_ui.registry().get(job_id)
    if job is None:  # the progress fragment above says so
        return
    run_readings.live(job)  # what the curves show so far, with the next step
    _charts(job, live and job.status in LIVE)


def _body(job_id: str, was_live: bool) -> None:
    job = jobs_ui.registry().get(job_id)
    if job is None:
        st.warning(
            "This training job is gone from the server; its saved epochs are on the Runs page."
        )
        return
    job.touch()
    status = job.status
    live = status in LIVE
    if was_live and not live:
        st.rerun()  # the whole page: controls re-enabled, polling off
    frac, text = progress_text(job.progress(), live=live)
    stopping = live and job.control.stop_requested
    if stopping:  # the worker ends after the current mini-batch
        text = "Stopping after this mini-batch… — " + text
    elif status is Status.PAUSED:
        text = "Paused — " + text
    if job.placement == Placement.PENDING:  # a Ray cluster with no free worker yet
        place = job.queue_place
        text = f"Waiting for a worker{f' (place {place} in the queue)' if place else ''} — {text}"
    if owner := class_jobs.owner_line(job.id):  # a class server: someone else's training
        st.caption(owner)
    st.progress(frac, text=text)
    if job.note:
        st.caption(for_markdown(job.note))
    if live and class_jobs.may_control(job.id):
        _controls(job, status, stopping)
    _outcome(job)


def live_view(job: Job) -> None:
    """The live section for ``job``: the progress and the buttons poll about once a second,
    the curves every ``CHART_S``, and neither once it has ended."""
    live = job.status in LIVE
    st.fragment(_body, run_every=POLL_S if live else None)(job.id, live)
    st.fragment(_curves, run_every=CHART_S if live else None)(job.id, live)
