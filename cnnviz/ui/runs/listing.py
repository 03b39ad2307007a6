"""The Runs page's pieces: the table of saved runs and one run's details.

Runs come from the run store through the pages' door to runs
(``cnnviz.ui.classroom.run_access``: on a class server, only those this person may
open), so runs trained from the command line show up too. A broken folder is a row with its problem, never a
traceback.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from cnnviz.train.run_files import EPOCH_METRICS, ITER_METRICS, STATUS_FILE
from cnnviz.train.status import Status
from cnnviz.data.cache import SharedCache
from cnnviz.plots.train.curves import (
    EPOCH_TITLE,
    ITER_TITLE,
    epoch_metrics_figure,
    iteration_loss_figure,
)
from cnnviz.report import run_label
from cnnviz.text.escape import for_markdown
from cnnviz.train.store import (
    WEIGHTS_DAMAGED,
    WEIGHTS_MISSING,
    Run,
    RunError,
    RunInfo,
    files_stamp,
)
from cnnviz.ui import state
from cnnviz.ui.classroom import run_access
from cnnviz.ui.figures import show
from cnnviz.ui.present import entry as present
from cnnviz.ui.runs import extras as run_extras
from cnnviz.ui.runs import gradients_view

MAX_ROWS = 200  # newest first; older runs stay on disk
# Material icons in markdown (emoji fonts are missing on many classroom machines);
# the table's cells are plain text.
STATUS_ICON = {
    Status.FINISHED: ":material/check_circle: finished",
    Status.STOPPED: ":material/stop_circle: stopped",
    Status.FAILED: ":material/error: failed",
    "running": ":material/hourglass_top: running",
    "interrupted": ":material/power_off: interrupted",
    "unknown": ":material/help: unknown",
}


def _status_text(r: RunInfo, live_ids: set[str] | None) -> str:
    if r.problem:
        short = r.problem.split(":")[0].split(" (")[0]
        return f"problem: {short}"
    if r.status == Status.RUNNING and live_ids is not None and r.id not in live_ids:
        return "running in another process"
    return str(r.status)


def _accuracy_text(r: RunInfo) -> str:
    """``97.3 %``; a run that was not tested says why instead of "None"."""
    if r.test_accuracy is not None:
        return f"{100.0 * float(r.test_accuracy):.1f} %"
    return {
        Status.STOPPED: "— (stopped before the test)",
        Status.FAILED: "— (failed)",
        "running": "— (not tested yet)",
    }.get(str(r.status), "—")


def runs_table(runs: list[RunInfo], live_ids: set[str] | None = None) -> pd.DataFrame:
    """One row per run in the course's words (pure: testable without a server).

    ``live_ids``: run ids of the jobs training on this server; a "running" run not
    among them was trained elsewhere (the command line) or cut off by a server stop.
    """
    rows = []
    for r in runs:
        epochs = (
            f"{r.epochs_done}/{r.epochs}"
            if r.epochs
            else (str(r.epochs_done) if r.epochs_done else "")
        )
        rows.append(
            {
                "date": dt.datetime.fromtimestamp(r.created).strftime("%Y-%m-%d %H:%M"),
                "network": r.label or "—",
                "dataset": r.dataset or "—",
                "epochs": epochs,
                "test accuracy": _accuracy_text(r),
                "status": _status_text(r, live_ids),
                "run": r.id,
            }
        )
    return pd.DataFrame(
        rows, columns=["date", "network", "dataset", "epochs", "test accuracy", "status", "run"]
    )


def pick_run(runs: list[RunInfo]) -> RunInfo | None:
    """Show the table; return the selected run (default: the session's open run, else the newest)."""
    from cnnviz.ui.jobs import registry

    table = runs_table(runs, {job.run_id for job in registry().live()})
    event = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="runs.table",
        column_config={
            "test accuracy": st.column_config.TextColumn(width=190),
            "status": st.column_config.TextColumn(width=190),
            "run": st.column_config.TextColumn(
                width=330, help="The run's folder name under the runs folder"
            ),
        },
    )
    picked = event.selection.rows if event is not None else []
    if picked:
        return runs[picked[0]]
    by_id = {r.id: r for r in runs}  # the page checked ?run= already (run_access.link_run)
    return by_id.get(state.run_id() or "") or runs[0]


def run_details(info: RunInfo) -> None:
    """Config, charts and the actions for one run."""
    st.subheader(f"Run {for_markdown(info.id)}")
    if info.problem:
        st.warning(
            f"This run folder has a problem: {for_markdown(info.problem)}. {_problem_fix(info)}",
            icon=":material/report:",
        )
    try:
        run = run_access.open_run(info)
    except RunError as e:
        st.error(for_markdown(e))
        return
    _summary(run)
    _watch_live(run.id)
    _actions(run, can_inspect=not info.problem)
    font = 16 if state.teaching() else 12
    try:
        fig_iter, fig_epoch, problems = _charts(run, font)
    except RunError as e:
        st.error(for_markdown(e))
        return
    extra = [p for p in problems if p not in info.problems]
    if extra:  # found while reading the metrics: the charts leave those values out
        st.warning(
            "Some values could not be read and are left out of the charts: "
            + for_markdown("; ".join(extra)),
            icon=":material/report:",
        )
    left, right = st.columns(2)
    left.markdown(f"**{ITER_TITLE}**")  # page text: wraps, and the chart's toolbar cannot cover it
    with left:
        show(fig_iter, name="loss-per-iteration", prefix=run_label(run.id),
             key=f"runs.iter.{run.id}")  # fmt: skip
    right.markdown(f"**{EPOCH_TITLE}**")
    with right:
        show(fig_epoch, name="loss-and-accuracy-per-epoch", prefix=run_label(run.id),
             key=f"runs.epoch.{run.id}")  # fmt: skip
    run_extras.after_charts(run)
    gradients_view.run_section(run.id)
    with st.expander("Configuration as saved (config.json)"):
        st.json(run.config, expanded=False)
    with st.expander("Network as saved (spec.json)"):
        st.json(run.spec, expanded=False)


# (run folder, its files' stamps, font) -> (loss figure, epoch figure, problems), for every session
_CHARTS: SharedCache[tuple[Any, Any, list[str]]] = SharedCache(max_entries=32)


def _charts(run: Run, font: int) -> tuple[Any, Any, list[str]]:
    """(loss figure, epoch figure, problems found reading the metrics) of ``run``: read and
    built once while its files stay the same (a rerun for another widget reuses them).
    Raises ``RunError`` when the metrics cannot be read (nothing is kept then)."""
    stamp = files_stamp(run.path, (ITER_METRICS, EPOCH_METRICS, STATUS_FILE))

    def build() -> tuple[Any, Any, list[str]]:
        it, ep = run.metrics_iter, run.metrics_epoch
        return (
            iteration_loss_figure(it, title=None, font_size=font),
            epoch_metrics_figure(
                ep,
                test_accuracy=run.status.get("test_accuracy"),
                test_loss=run.status.get("test_loss"),
                title=None,
                font_size=font,
                best_epoch=run.status.get("best_epoch"),
            ),
            list(run.problems),
        )

    return _CHARTS.get((str(run.path.resolve()), stamp, font), build)


def _watch_live(run_id: str) -> None:
    """A run that is training on this server now: a link to its live view on Train."""
    from cnnviz.ui.jobs import attach, registry

    job = next((j for j in registry().live() if j.run_id == run_id), None)
    if job is None:
        return
    p = job.progress()
    st.info(
        f"This run is training now (epoch {p.epoch}/{p.epochs}, iteration {p.iteration:,}/"
        f"{p.total_iterations:,}); the charts below show the finished epochs.",
        icon=":material/directions_run:",
    )
    if st.button("Watch it live on Train", key=f"runs.watch.{run_id}", type="primary"):
        attach(job.id)
        st.switch_page("views/train.py")


def _problem_fix(info: RunInfo) -> str:
    if info.problem in (WEIGHTS_DAMAGED, WEIGHTS_MISSING):
        return (
            "Train again, or delete this run folder; its charts below may still be readable, "
            "but it cannot be opened in Inspect."
        )
    if "weights" in (info.problem or ""):
        return "Its charts may still be readable below; train it again to get weights to inspect."
    return "You can delete this run or train again."


def _summary(run: Run) -> None:
    tc, ds, st_ = run.train_config, run.dataset, run.status
    status = str(st_.get("status", "unknown"))
    acc = st_.get("test_accuracy")
    line = STATUS_ICON.get(status, status)
    if acc is not None:
        line += f" · test accuracy **{100 * float(acc):.1f}%**"
    st.markdown(line)
    if st_.get("reason"):
        (st.error if status == Status.FAILED else st.info)(
            for_markdown(st_["reason"])
            + (f"\n\n**What to try:** {for_markdown(st_['advice'])}" if st_.get("advice") else "")
        )
    size = "×".join(str(v) for v in [ds.get("channels", "?"), *ds.get("size", [])])
    norm = run.config.get("normalization") or {}
    facts = {
        "dataset": f"{ds.get('name', '?')} ({size}), train {ds.get('train_size', '?')} / "
        f"validation {ds.get('val_size', '?')} / test {ds.get('test_size', '?')} images",
        "epochs": f"{st_.get('epochs_done', '?')} done of {tc.get('epochs', '?')}",
        "mini-batch size": tc.get("batch_size"),
        "optimizer": _optimizer_text(tc),
        "weight decay": tc.get("weight_decay"),
        "normalization": _norm_text(norm),
        "augmentation": _aug_text(tc),
        "learning-rate schedule": tc.get("lr_schedule", "none"),
        "early stopping": f"patience {tc['patience']} epochs" if tc.get("patience") else "off",
        "best validation epoch": _best_text(st_),
        "seed": tc.get("seed"),
        "device": tc.get("device"),
        "loss": "cross-entropy",
    }
    st.table(
        pd.DataFrame(  # st.table reads its cells as Markdown
            {"setting": list(facts), "value": [for_markdown(v) for v in facts.values()]}
        ).set_index("setting")
    )


def _best_text(st_: dict) -> str:
    if st_.get("best_epoch") is None:
        return "—"
    acc = st_.get("best_test_accuracy")
    test = f", test accuracy {100 * float(acc):.1f}% with its weights" if acc is not None else ""
    return f"epoch {st_['best_epoch']} (kept as best.pt){test}"


def _optimizer_text(tc: dict) -> str:
    opt = str(tc.get("optimizer", "?"))
    text = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}.get(opt, opt)
    text += f", learning rate {tc.get('lr', '?')}"
    if opt == "sgd" and tc.get("momentum") is not None:
        text += f", momentum {tc['momentum']}"
    return text


def _norm_text(norm: dict) -> str:
    kind = str(norm.get("kind", "none"))
    if kind == "div255":
        return "÷255 (pixels 0..1)"
    if kind == "standardize":
        mean = ", ".join(f"{m:.3f}" for m in norm.get("mean") or [])
        std = ", ".join(f"{s:.3f}" for s in norm.get("std") or [])
        return f"(x/255 − mean) / std, mean [{mean}], std [{std}]"
    return "none (raw 0..255)"


def _aug_text(tc: dict) -> str:
    parts = []
    if tc.get("augment_flip"):
        parts.append("random horizontal flip")
    if tc.get("augment_crop"):
        parts.append(f"random crop with {tc['augment_crop']} px padding")
    return ", ".join(parts) or "none"


def _actions(run: Run, *, can_inspect: bool) -> None:
    row = st.container(horizontal=True)
    if row.button(
        "Open in Inspect",
        icon=":material/search:",
        key=f"runs.inspect.{run.id}",
        disabled=not can_inspect,
        help="Look at feature maps, filters, predictions and mistakes of this trained network."
        if can_inspect
        else "This run has no saved weights to inspect.",
    ):
        state.set_run_id(run.id)
        st.switch_page("views/inspect.py")
    if row.button(
        "Load design",
        icon=":material/construction:",
        key=f"runs.design.{run.id}",
        help="Replace the current design with this run's network.",
    ):
        state.set_spec(run.spec, preset="", replace=True)
        st.success("Design loaded: it is now the network on the Design and Train pages.")
    with row:
        run_extras.change_button(run, key=run.id)
        present.presentation_button(run.id, key=f"runs.present.{run.id}", disabled=not can_inspect)
        present.script_download(run, key=f"runs.script.{run.id}")


def all_runs() -> list[RunInfo]:
    """The runs this person may open, newest first, at most ``MAX_ROWS``."""
    return run_access.visible_runs()[:MAX_ROWS]
