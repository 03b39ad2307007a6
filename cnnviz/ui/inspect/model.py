"""Which network the Inspect page looks at: the session's training job, or a saved run.

``choose_subject()`` shows the picker and returns a ``Subject`` (the model plus
what is needed to feed it: classes, normalization, dataset and input shape), or
None after it has said why (no run yet, a broken run folder).

Decisions:

- A saved run is opened read-only through the pages' door to runs
  (``cnnviz.ui.classroom.run_access``): the picker lists only the runs this person may
  open, and a link to another's unshared run (or job) says so and loads nothing;
  a broken folder (missing or corrupt weights, pickled code) becomes ``st.error``.
- The session's training job is inspected on a *copy* of its weights
  (``Job.snapshot_model()``), labelled "weights as of epoch N, iteration M". The
  copy is kept until the user presses "Take the latest weights" (or the job is
  paused, resumed, finishes or stops), so the page
  does not change under the student's eyes while training goes on.
- A saved run's model is loaded once per server and shared by every session
  (``_SHARED``, at most a few runs): thirty students opening the same run take
  one copy, not thirty. Capture and Grad-CAM put hooks on the model for a
  moment, so every forward pass holds ``subject.lock`` (one per model).
  A job's snapshot is this session's own copy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st
from torch import nn

from cnnviz.data.cache import SharedCache
from cnnviz.data.catalog import DATASETS
from cnnviz.text.escape import for_markdown
from cnnviz.train.run_files import BEST_WEIGHTS, CONFIG_FILE, WEIGHTS
from cnnviz.train.status import Status
from cnnviz.train.store import WEIGHTS_DAMAGED, RunError, RunInfo
from cnnviz.ui import state
from cnnviz.ui.classroom import run_access

if TYPE_CHECKING:
    from cnnviz.data.pipeline import Normalization

# (run folder, weights file, its mtime) -> (model, lock): one copy per run for the whole server
_SHARED: SharedCache[tuple[nn.Module, Any]] = SharedCache(max_entries=4)
_SNAPSHOT = "inspect.snapshot"  # {job_id: (job status when taken, Subject)}
_PICK = "inspect.network"  # the picker's value: a run id or JOB_CHOICE
JOB_CHOICE = "__job__"


@dataclass(frozen=True)
class Subject:
    """A network ready to inspect, with the facts needed to feed it images."""

    key: str  # identifies these weights (run id, or job id + iteration): evaluation cache key
    title: str  # what the page calls it
    model: nn.Module = field(repr=False)
    spec: dict = field(repr=False)
    classes: tuple[str, ...]
    normalization: Normalization
    dataset: str  # dataset name the network was trained on ("" if unknown)
    input_shape: tuple[int, ...]  # (C, H, W) or (N,)
    weights_note: str  # where the weights come from, in plain words
    run_dir: Path | None = None
    lock: Any = field(default_factory=threading.RLock, repr=False, compare=False)

    def class_name(self, i: int) -> str:
        return self.classes[i] if 0 <= i < len(self.classes) else f"class {i}"


def _percent(acc: Any) -> str:
    try:
        return f"{100 * float(acc):.1f}%"
    except (TypeError, ValueError):
        return "—"


def describe_run(info: RunInfo) -> str:
    """One line for the run picker."""
    if info.problem:
        return f"(cannot be inspected) {info.id} — {info.problem}"
    acc = (
        f", test accuracy {_percent(info.test_accuracy)}" if info.test_accuracy is not None else ""
    )
    epochs = (
        f"{info.epochs_done}/{info.epochs} epochs" if info.epochs else f"{info.epochs_done} epochs"
    )
    return f"{info.label or 'network'} on {info.dataset or '?'} — {info.status}, {epochs}{acc} ({info.id})"


def subject_from_run(run: Any, model: nn.Module, *, key: str, title: str, note: str) -> Subject:
    """Assemble a Subject from an opened run (spec, config) and a model."""
    spec = run.spec
    ds = run.dataset if isinstance(getattr(run, "dataset", None), dict) else {}
    shape = tuple(int(d) for d in spec.get("input", ()))
    classes = tuple(str(c) for c in run.classes) or tuple(str(i) for i in range(_outputs(model)))
    return Subject(
        key=key,
        title=title,
        model=model,
        spec=spec,
        classes=classes,
        normalization=run.normalization,
        dataset=str(ds.get("name", "")),
        input_shape=shape,
        weights_note=note,
        run_dir=Path(run.path),
    )


def _outputs(model: nn.Module) -> int:
    last = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return last[-1].out_features if last else 0


def load_run(info: RunInfo, weights: str = WEIGHTS) -> Subject:
    """The saved run as a Subject; its model is shared by every session while the file is unchanged.

    ``weights``: ``weights.pt`` (the last epoch) or ``best.pt`` (the best validation epoch).
    Raises RunError.
    """
    path = Path(info.path) / weights
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = -1
    run = run_access.open_run(info)  # RunHidden when not this person's to open
    model, lock = _SHARED.get(
        (str(Path(info.path).resolve()), weights, mtime),
        lambda: (run.load_model(weights), threading.RLock()),
    )
    status = str(run.status["status"])
    acc = run.status["test_accuracy"]
    done = run.status["epochs_done"]
    if status == Status.INTERRUPTED:
        note = f"weights saved after epoch {done} (training was interrupted)"
    elif status == Status.RUNNING:
        note = f"weights saved after epoch {done} (this run is still training)"
    else:
        note = f"{status} after {done} epoch(s)" + (
            f", test accuracy {_percent(acc)}" if acc is not None else ""
        )
    if weights == BEST_WEIGHTS:
        best_acc = run.status.get("best_test_accuracy") if isinstance(run.status, dict) else None
        note = f"best validation epoch {run.status.get('best_epoch', '?')} (best.pt)" + (
            f", test accuracy {_percent(best_acc)}" if best_acc is not None else ""
        )
    subject = subject_from_run(
        run, model, key=f"run:{info.id}:{weights}:{mtime}", title=info.label or info.id, note=note
    )
    return replace(subject, lock=lock)


def _job() -> Any:
    """The session's training job, when this person may see its weights (None otherwise:
    a job link to another's training says whose it is)."""
    if not state.job_id():
        return None
    from cnnviz.ui.jobs import current_job

    job = current_job()
    if job is not None and (reason := run_access.job_refusal(job)):
        st.error(for_markdown(reason), icon=":material/lock:")
        return None
    return job


def snapshot_job(job: Any) -> Subject:
    """A Subject on a copy of the job's current weights. Raises RunError if it cannot be taken."""
    run_dir = getattr(job, "run_dir", None)
    if not run_dir or not (Path(run_dir) / CONFIG_FILE).exists():
        raise RunError(
            "The training job has not started its first mini-batch yet; try again in a moment."
        )
    run = run_access.open_run(run_dir)
    try:
        model = job.snapshot_model()
    except Exception as e:  # the job may be between states; say so instead of a traceback
        raise RunError(f"Could not copy the training job's weights ({e}); try again.") from None
    reached = job.progress()  # a cnnviz.jobs.Progress
    epoch, iteration = reached.epoch, reached.iteration
    status = str(getattr(job, "status", "running"))
    note = f"weights as of epoch {epoch}, iteration {iteration}"
    note += (
        " (training goes on; this is a copy)" if status in ("running", "paused") else f" ({status})"
    )
    return subject_from_run(
        run,
        model,
        key=f"job:{job.id}:{iteration}:{status}",
        title=f"training job {job.id}",
        note=note,
    )


def _job_subject(job: Any) -> Subject | None:
    """The job's weights as of the last snapshot; a new one on request or when the job's status changed."""
    snaps: dict = st.session_state.setdefault(_SNAPSHOT, {})
    status = str(getattr(job, "status", ""))
    live = status in ("running", "paused")
    refresh = live and st.button(
        "Take the latest weights",
        icon=":material/refresh:",
        help="Copy the weights the training has reached now (training goes on undisturbed).",
    )
    held = snaps.get(job.id)
    if refresh or held is None or held[0] != status:
        try:
            subject = snapshot_job(job)
        except RunError as e:
            st.info(for_markdown(e))
            return None
        snaps.clear()
        snaps[job.id] = (status, subject)
    return snaps[job.id][1]


def no_model_message() -> None:
    st.info(
        "There is no trained network to look inside yet. Train one on the **Train** page "
        "(one or two epochs are enough to see something); it is saved as a run and appears here."
    )
    st.page_link("views/train.py", label="Go to Train", icon=":material/show_chart:")


def _remember_choice() -> None:
    """The user's pick is the session's open run (and ?run= in the URL); the job clears it."""
    pick = st.session_state.get(_PICK)
    state.set_run_id(None if pick == JOB_CHOICE else pick)


def _weights_choice(info: RunInfo) -> str:
    """weights.pt, or best.pt when the run kept one and the user picks it."""
    if not (Path(info.path) / BEST_WEIGHTS).is_file():
        return WEIGHTS
    picked = st.segmented_control(
        "Weights",
        [WEIGHTS, BEST_WEIGHTS],
        default=WEIGHTS,
        key="inspect.weights",
        format_func={WEIGHTS: "last epoch (weights.pt)",
                     BEST_WEIGHTS: "best validation epoch (best.pt)"}.get,
        help="The weights at the end of training, or those of the epoch with the best "
        "validation accuracy (kept as best.pt).",
    )  # fmt: skip
    return picked or WEIGHTS


def choose_subject() -> Subject | None:
    """The picker; the chosen network, or None (after saying why)."""
    wanted = run_access.link_run()  # a stale link, or another's run: said, and dropped
    job = _job()
    runs = run_access.visible_runs()
    if job is None and not runs:
        no_model_message()
        return None
    options: list[str] = ([JOB_CHOICE] if job is not None else []) + [r.id for r in runs]
    by_id = {r.id: r for r in runs}
    if st.session_state.get(_PICK) not in options or (
        wanted in options and st.session_state[_PICK] != wanted
    ):
        st.session_state[_PICK] = wanted if wanted in options else options[0]
    labels = {JOB_CHOICE: f"This session's training (job {job.id})" if job is not None else ""}
    choice = st.selectbox(
        "Network",
        options,
        format_func=lambda o: labels.get(o) or describe_run(by_id[o]),
        help="The training going on in this session, or a saved run you may open (also runs "
        "trained with `python -m cnnviz train`).",
        key=_PICK,
        on_change=_remember_choice,
    )
    if choice == JOB_CHOICE:
        subject = _job_subject(job)
    else:
        info = by_id[choice]
        if info.problem == WEIGHTS_DAMAGED:
            st.error(
                f"weights.pt in {for_markdown(info.id)} is damaged and cannot be read: "
                "train again, or delete this run folder."
            )
            return None
        if info.problem:
            st.error(
                f"This run cannot be inspected: {for_markdown(info.problem)}. Pick another run or train again."
            )
            return None
        try:
            subject = load_run(info, _weights_choice(info))
        except RunError as e:
            st.error(f"{for_markdown(e)} Nothing in the run folder was changed.")
            return None
    if subject is not None:
        shape = "×".join(str(d) for d in subject.input_shape)
        info = DATASETS.get(subject.dataset)
        data = f" · trained on {info.title if info else subject.dataset}" if subject.dataset else ""
        st.caption(
            f"**{for_markdown(subject.title)}**{for_markdown(data)} · input {shape} · {for_markdown(subject.weights_note)}."
        )
    return subject
