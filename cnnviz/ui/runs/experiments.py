"""One-click experiments from a run (Runs page) or a finished training (Train page).

An experiment is one submission through the gate (``cnnviz.ui.submit``): before
it starts the page says what it costs (trainings, epochs in all, one after the
other in one training place) and, over a limit, why it is off; on a class server
it is one entry in the queue, within the teacher's limits, and every run it
trains is its owner's. The gate keeps the experiment; the session keeps its id.
While it waits or runs, a fragment shows where it is once a second; when it
ends, the comparison of its runs opens on the Runs page with the reading.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.classroom.ownership import Action, NotAllowed
from cnnviz.compare.experiments import TITLES, ExperimentKind
from cnnviz.compare.runner import ExperimentRun
from cnnviz.text.escape import for_markdown
from cnnviz.train.config import ConfigError, TrainConfig
from cnnviz.ui import state
from cnnviz.ui import submit as submit_ui
from cnnviz.ui.classroom import jobs as class_jobs
from cnnviz.ui.classroom import session as class_session

EXPERIMENT = "cnnviz.experiment"  # id of this session's experiment
K = "runs.exp."
SEEDS = 3  # per arm in the app: mean and spread, so one lucky run does not decide
RUNS_PAGE = "views/runs.py"


def data_for(dataset: dict) -> tuple[Any, str | None]:
    """The same data a saved run trained on (a built-in or torchvision set), or why not."""
    from cnnviz.data.catalog import DATASETS
    from cnnviz.data.errors import DatasetUnavailable
    from cnnviz.data.registry import load_dataset

    name = str(dataset.get("name", ""))
    if name not in DATASETS:
        return None, (
            f"This run trained on {name or 'images'} that cannot be reloaded by name (your own "
            "images): load them on the Train page, train, and start the experiment from there."
        )
    size = dataset.get("size") or [None]
    n_train = int(dataset.get("train_size", 0)) + int(dataset.get("val_size", 0)) or None
    try:
        return load_dataset(name, size=size[0], channels=dataset.get("channels"), n_train=n_train,
                            n_test=int(dataset.get("test_size", 0)) or None), None  # fmt: skip
    except (DatasetUnavailable, ValueError, OSError) as e:
        return None, f"The run's images could not be loaded again: {e}"


def _config(config: dict) -> TrainConfig:
    known = TrainConfig.__dataclass_fields__
    return TrainConfig.from_dict({k: v for k, v in config.items() if k in known})


def experiment_buttons(
    spec: dict, config: dict, *, data: Any, key: str, parent: str | None = None
) -> None:
    """A seeds box and one button per experiment, each with its cost, off (with the reasons)
    when over a limit. ``data``: a DataBundle, or a run's dataset dict."""
    st.markdown(
        "**Experiments from this run**: change one thing, train every variant with the same "
        "seeds and data, one after the other, and compare them."
    )
    seeds = st.number_input("Seeds per variant", 1, 10, SEEDS, key=K + "seeds." + key,
                            help="Each variant trains once per seed; the comparison shows the mean "
                            "and the spread, so one lucky run does not decide.")  # fmt: skip
    try:
        cfg = _config(config)
    except ConfigError as e:
        st.caption(f"No experiment from these settings: {for_markdown(e)}")
        return
    in_class = submit_ui.gate().in_class
    row = st.container(horizontal=True)
    notes = []
    for kind in ExperimentKind:
        plan, why = submit_ui.plan_experiment(kind, spec, cfg, data, int(seeds), parent)
        problems = [why] if why else plan.problems
        cost = plan.cost.words(in_class=in_class) if plan is not None else ""
        if row.button(TITLES[kind], key=K + f"{key}.{kind}", icon=":material/science:",
                      disabled=bool(problems), help=" ".join(problems) or cost):  # fmt: skip
            start(kind, spec, config, data, int(seeds), parent)
        notes.append(
            f"**{TITLES[kind]}**: "
            + (f"off: {for_markdown(' '.join(problems))}" if problems else cost)
        )
    for note in notes:
        st.caption(note)


def start(kind: ExperimentKind, spec: dict, config: dict, data: Any, seeds: int,
          parent: str | None) -> None:  # fmt: skip
    mine = current()
    if mine is not None and not mine.done:
        st.warning("Your experiment is still running: wait for it to finish or cancel it.")
        return
    bundle, problem = data_for(data) if isinstance(data, dict) else (data, None)
    if problem:
        st.error(for_markdown(problem))
        return
    try:
        cfg = _config(config)
    except ConfigError as e:
        st.error(for_markdown(e))
        return
    done, message = submit_ui.start_experiment(kind, spec, cfg, bundle, seeds, parent)
    if message or done is None:
        st.error(for_markdown(message))
        return
    st.session_state[EXPERIMENT] = done.id
    st.rerun()


def current() -> ExperimentRun | None:
    return submit_ui.gate().experiment(st.session_state.get(EXPERIMENT))


def progress_panel() -> None:
    """This session's experiment: progress while it runs; once it has ended, open its comparison."""
    exp = current()
    if exp is None:
        return
    if exp.done:  # also after a refresh or on another page: it opens once, then is forgotten
        _open(exp)
        return
    st.fragment(_progress, run_every=1.0)(exp.id)


def _cancel(exp: ExperimentRun) -> None:
    """Stop it (the arm now training) or take it out of the line: its owner, or the teacher."""
    g = submit_ui.gate()
    if not g.in_class:
        exp.cancel()
        return
    q, me = g.queue, class_session.me()
    try:
        if q.place(exp.id) is not None:
            q.cancel(exp.id, me)
        else:
            q.control(exp.id, me, Action.STOP)
    except NotAllowed as e:
        st.toast(for_markdown(e), icon=":material/block:")


def _progress(exp_id: str) -> None:
    exp = submit_ui.gate().experiment(exp_id)
    if exp is None:
        return
    if exp.done:
        st.rerun()  # the whole page: progress_panel opens the comparison
    g = submit_ui.gate()
    cost = f"{exp.total} trainings, {exp.total_epochs} epochs in all"
    if g.in_class and g.queue.place(exp.id) is not None:
        entry = g.queue.entry(exp.id)
        st.info(
            f"Experiment **{TITLES[exp.kind]}** ({cost}): {class_jobs.place_text(entry)}",
            icon=":material/hourglass_top:",
        )
        st.button("Leave the queue", key=K + "cancel", icon=":material/close:",
                  on_click=_cancel, args=(exp,))  # fmt: skip
        return
    job = exp.current
    if job is not None:
        job.touch()
    n = len(exp.results)
    doing = f"run {n + 1} of {exp.total}"
    if job is not None:
        p = job.progress()
        doing += f" ({job.run_id.split('-', 2)[-1]}, epoch {p.epoch}/{p.epochs})"
    if exp.waiting:
        doing += " — waiting for a free training slot on this server"
    st.progress(n / max(exp.total, 1), text=f"Experiment **{TITLES[exp.kind]}** ({cost}): {doing}")
    st.button("Cancel the experiment", key=K + "cancel", icon=":material/cancel:",
              on_click=_cancel, args=(exp,))  # fmt: skip


def _open(exp: ExperimentRun) -> None:
    st.session_state.pop(EXPERIMENT, None)
    if exp.error:
        st.error(f"The experiment stopped: {for_markdown(exp.error)}")
        return
    if exp.run_ids:
        state.set_compare_ids(exp.run_ids)
    st.session_state[K + "done"] = exp.id
    st.switch_page(RUNS_PAGE)


def finished_notice() -> None:
    """After an experiment opened its comparison: the reading and the variant to try."""
    exp = submit_ui.gate().experiment(st.session_state.get(K + "done"))
    if exp is None or exp.reading is None:
        return
    st.success(exp.reading, icon=":material/science:")
    if exp.variant:
        words = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in exp.variant.items())
        st.caption(f"To see the effect, run the same experiment with {words}.")
        if st.button("Run that variant", key=K + "variant", icon=":material/science:"):
            variant = dict(exp.variant)
            seeds = int(variant.pop("repeats", len(exp.seeds)))
            cfg = {**exp.config.to_dict(), **variant}
            st.session_state.pop(K + "done", None)
            start(exp.kind, exp.spec, cfg, exp.bundle or {}, seeds, exp.parent)
