"""One-click experiments from a run (Runs page) or a finished training (Train page).

An experiment trains every arm × seed as a normal job through the server's job
registry, one after the other (``cnnviz.compare.runner``), so it respects the
job cap and any queue. Experiments live in a process-wide dict from
``st.cache_resource``; the session keeps the id of its own. While it runs, a
fragment shows the progress once a second; when it ends, the comparison of its
runs opens on the Runs page with the reading.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.compare.experiments import TITLES, ExperimentError, ExperimentKind
from cnnviz.compare.runner import ExperimentRun
from cnnviz.text.escape import for_markdown
from cnnviz.train.config import ConfigError, TrainConfig
from cnnviz.train.store import runs_root
from cnnviz.ui import state
from cnnviz.ui.train import session_job as jobs_ui

EXPERIMENT = "cnnviz.experiment"  # id of this session's experiment
K = "runs.exp."
SEEDS = 3  # per arm in the app: mean and spread, so one lucky run does not decide
RUNS_PAGE = "views/runs.py"


@st.cache_resource(show_spinner=False)
def experiments() -> dict[str, ExperimentRun]:
    return {}


def _start_job(spec: dict, bundle: Any, config: TrainConfig, label: str) -> Any:
    return jobs_ui.registry().start(spec, bundle, config, runs_root(), label=label)


def data_for(dataset: dict) -> tuple[Any, str | None]:
    """The same data a saved run trained on (a built-in or torchvision set), or why not."""
    from cnnviz.data.errors import DatasetUnavailable
    from cnnviz.data.registry import DATASETS, load_dataset

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


def experiment_buttons(
    spec: dict, config: dict, *, data: Any, key: str, parent: str | None = None
) -> None:
    """A seeds box and one button per experiment. ``data``: a DataBundle, or a run's dataset dict."""
    st.markdown(
        "**Experiments from this run**: change one thing, train every variant with the same "
        "seeds and data, one after the other, and compare them."
    )
    seeds = st.number_input("Seeds per variant", 1, 10, SEEDS, key=K + "seeds." + key,
                            help="Each variant trains once per seed; the comparison shows the mean "
                            "and the spread, so one lucky run does not decide.")  # fmt: skip
    row = st.container(horizontal=True)
    for kind in ExperimentKind:
        if row.button(TITLES[kind], key=K + f"{key}.{kind}", icon=":material/science:"):
            start(kind, spec, config, data, int(seeds), parent)


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
        cfg = TrainConfig.from_dict({k: v for k, v in config.items() if k in TrainConfig.__dataclass_fields__})
        exp = ExperimentRun(kind, spec, bundle, cfg, _start_job, repeats=seeds, parent=parent)
    except (ConfigError, ExperimentError) as e:
        st.error(for_markdown(e))
        return
    experiments()[exp.id] = exp.start()
    st.session_state[EXPERIMENT] = exp.id
    st.rerun()


def current() -> ExperimentRun | None:
    return experiments().get(st.session_state.get(EXPERIMENT) or "")


def progress_panel() -> None:
    """This session's experiment: progress while it runs; once it has ended, open its comparison."""
    exp = current()
    if exp is None:
        return
    if exp.done:  # also after a refresh or on another page: it opens once, then is forgotten
        _open(exp)
        return
    st.fragment(_progress, run_every=1.0)(exp.id)


def _progress(exp_id: str) -> None:
    exp = experiments().get(exp_id)
    if exp is None:
        return
    if exp.done:
        st.rerun()  # the whole page: progress_panel opens the comparison
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
    st.progress(n / max(exp.total, 1), text=f"Experiment **{TITLES[exp.kind]}**: {doing}")
    if st.button("Cancel the experiment", key=K + "cancel", icon=":material/cancel:"):
        exp.cancel()


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
    exp = experiments().get(st.session_state.get(K + "done") or "")
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
