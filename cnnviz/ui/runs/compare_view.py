"""The Runs page's comparison: 2 to 6 runs (or one experiment) side by side, one colour each.

Fits a 1024×768 projector: a legend naming each run by what makes it different,
the two overlaid charts side by side, what changed (settings, layers), then the
per-class accuracy and the confusion matrices. Runs are read through
``run_access.run_data`` (compare's reader, cached by file modification time, behind
the check of who may open them), so the page's reruns do not re-parse the CSVs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from cnnviz.compare.align import XAxis, epoch_x
from cnnviz.compare.diff import layers_lines, settings_lines
from cnnviz.compare.facts import comparison
from cnnviz.compare.labels import run_labels
from cnnviz.compare.readings import read_run
from cnnviz.compare.runner import experiment_of
from cnnviz.compare.runs import RunData
from cnnviz.data.cache import SharedCache
from cnnviz.plots.compare.figures import (
    PALETTE,
    accuracy_overlay,
    confusion_figure,
    loss_overlay,
    lr_overlay,
    per_class_figure,
)
from cnnviz.text.escape import for_markdown, for_markdown_code
from cnnviz.train.store import RunError
from cnnviz.ui import state
from cnnviz.ui.classroom import run_access
from cnnviz.ui.figures import show
from cnnviz.ui.runs import gradients_view

MAX_RUNS = 6
K = "runs.cmp."
# (figure, the runs' identities, parameters) -> (the runs, the figure), for every session
_FIGURES: SharedCache[tuple[list[RunData], Any]] = SharedCache(max_entries=48)


def _figure(name: str, runs: list[RunData], params: tuple, build: Callable[[], Any]) -> Any:
    """The figure ``name`` of these runs with these parameters, built once for every rerun
    and every session. ``load`` hands out one object per run until its files change, so
    the runs' identities say whether the figure is still right (the entry holds the runs,
    so their ids cannot be reused while it lives)."""
    key = (name, tuple((r.id, id(r)) for r in runs), params)
    return _FIGURES.get(key, lambda: (list(runs), build()))[1]


def _load_all(run_ids: list[str]) -> list[RunData]:
    runs = []
    for rid in run_ids:
        try:
            runs.append(run_access.run_data(rid))  # refused when not this person's to open
        except RunError as e:
            st.warning(
                f"{for_markdown(e)} It is left out of the comparison.", icon=":material/folder_off:"
            )
    return runs


def _groups(runs: list[RunData], manifest: dict | None) -> tuple[list[str], list[str], list[float]]:
    """(label per run, colour per run, epochs to mark): an experiment colours by arm."""
    if manifest is None:
        labels = run_labels(runs)
        return labels, [PALETTE[i % len(PALETTE)] for i in range(len(runs))], []
    arm_of, seed_of = {}, {}
    for r in manifest.get("runs", []):
        arm_of[Path(r["run_dir"]).name], seed_of[Path(r["run_dir"]).name] = r["label"], r["seed"]
    arms = [a["label"] for a in manifest.get("arms", [])]
    several = len(manifest.get("seeds", [])) > 1
    labels = [arm_of.get(r.id, r.id) + (f" · seed {seed_of.get(r.id)}" if several else "") for r in runs]
    cols = [PALETTE[arms.index(arm_of[r.id]) % len(PALETTE)] if r.id in arm_of else "#7f7f7f" for r in runs]
    marks = [float(a["mark_epoch"]) for a in manifest.get("arms", []) if a.get("mark_epoch")]
    return labels, cols, marks


def _legend(runs: list[RunData], labels: list[str], cols: list[str], best: bool) -> None:
    items = []
    for r, label, c in zip(runs, labels, cols, strict=True):
        acc = r.weights_test_accuracy(best)
        acc_t = "—" if acc is None else f"{100 * acc:.1f}%"
        items.append(
            f'<span style="white-space:nowrap;margin-right:1.2em"><span style="color:{c};'
            f'font-size:1.3em">■</span> <b>{for_markdown(label)}</b> · test {acc_t}</span>'
        )
    st.markdown(" ".join(items), unsafe_allow_html=True)


def _arm_table(manifest: dict, runs: list[RunData], best: bool) -> None:
    """Mean and spread of the test accuracy per arm (an experiment with several seeds)."""
    by_id = {r.id: r for r in runs}
    rows = []
    for arm in manifest.get("arms", []):
        accs = [by_id[i].weights_test_accuracy(best) for i in arm.get("runs", []) if i in by_id]
        accs = [100 * a for a in accs if a is not None]
        s = pd.Series(accs, dtype=float)
        rows.append({"arm": arm["label"], "runs": len(arm.get("runs", [])),
                     "test accuracy (mean %)": s.mean() if len(s) else None,
                     "spread (± sd, points)": s.std() if len(s) > 1 else None,
                     "lowest": s.min() if len(s) else None, "highest": s.max() if len(s) else None})  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="%.1f") for c in
        ("test accuracy (mean %)", "spread (± sd, points)", "lowest", "highest")})  # fmt: skip


def comparison_view(run_ids: list[str]) -> None:
    """Everything about the runs side by side (a message instead when fewer than two can be read)."""
    runs = _load_all(run_ids)
    if len(runs) < 2:
        st.info("Pick at least two readable runs to compare them.")
        return
    manifest = experiment_of([r.id for r in runs])
    labels, cols, marks = _groups(runs, manifest)
    if manifest is not None:
        st.markdown(f"**Experiment: {manifest.get('kind')}** — {for_markdown(manifest.get('reading') or '')}")
        if len(manifest.get("seeds", [])) > 1:  # mean and spread over the seeds of each arm
            _arm_table(manifest, runs, st.session_state.get(K + "best", False))
    c1, c2, c3 = st.columns([3, 2, 4], vertical_alignment="bottom")
    picked_axis = c1.segmented_control(
        "x-axis", [str(a) for a in XAxis], default=str(XAxis.EPOCHS), key=K + "axis",
        format_func={"epochs": "epochs", "images": "images seen"}.get,
        help="Fair when mini-batch sizes differ: each iteration sits at how much of the "
        "training set had been seen after it.",
    )  # fmt: skip
    axis = XAxis(picked_axis or XAxis.EPOCHS)
    smoothing = c2.slider("Smoothing (same for every run)", 0.0, 1.0, 0.6, 0.1, key=K + "smooth")
    any_best = any(r.has_best for r in runs)
    best = c3.segmented_control(
        "Weights", ["last", "best"], default="last", key=K + "best_choice",
        format_func={"last": "last epoch (weights.pt)", "best": "best validation (best.pt)"}.get,
        disabled=not any_best,
        help="Test accuracies of each run's last weights, or of its best validation epoch's.",
    ) == "best"  # fmt: skip
    st.session_state[K + "best"] = best
    _legend(runs, labels, cols, best)
    mark_x = [float(epoch_x(runs[0], axis, [m])[0]) for m in marks]
    font = 16 if state.teaching() else 12
    left, right = (st.container(), st.container()) if state.teaching() else st.columns(2)
    drawn = (tuple(labels), tuple(cols), tuple(mark_x), str(axis), font)
    left.markdown("**Loss per iteration**, on a shared axis")
    with left:
        fig = _figure("loss", runs, (*drawn, smoothing), lambda: loss_overlay(
            runs, labels, axis=axis, smoothing=smoothing, marks=mark_x, font_size=font, cols=cols))
        show(fig, name="compare-loss", key=K + "loss")  # fmt: skip
    right.markdown("**Accuracy per epoch**: training dotted, validation solid, test ★")
    with right:
        fig = _figure("accuracy", runs, (*drawn, best), lambda: accuracy_overlay(
            runs, labels, axis=axis, best=best, marks=mark_x, font_size=font, cols=cols))
        show(fig, name="compare-accuracy", key=K + "acc")  # fmt: skip
    if marks:
        st.caption(f"The dashed line marks where the shorter run of {int(marks[0])} epochs ends.")
    lr = _figure("lr", runs, (tuple(labels), tuple(cols), font),
                 lambda: lr_overlay(runs, labels, font_size=font, cols=cols))  # fmt: skip
    if lr is not None:
        st.markdown("**Learning rate per epoch** (schedule)")
        show(lr, name="compare-learning-rate", key=K + "lr")
    _what_changed(runs, labels)
    gradients_view.compare_section([r.id for r in runs], labels, cols)
    _per_class(runs, labels, cols, best)
    _readings(runs, labels)


def _what_changed(runs: list[RunData], labels: list[str]) -> None:
    st.markdown("#### What changed")
    left, right = st.columns(2)
    settings = settings_lines(runs)
    left.markdown("**Settings**" + (" (in run order)" if len(runs) > 2 else ""))
    left.markdown("\n".join(f"- {s}" for s in settings) if settings else "All settings are the same.")
    lines = layers_lines([r.spec for r in runs], labels)
    right.markdown("**Network**, layer by layer" + (" (each against the first)" if len(runs) > 2 else ""))
    right.markdown("\n".join(f"- {for_markdown_code(s)}" for s in lines) if lines else "The same layers.")


def _per_class(runs: list[RunData], labels: list[str], cols: list[str], best: bool) -> None:
    font = 16 if state.teaching() else 12
    facts = _figure("facts", runs, (tuple(labels), best),
                    lambda: comparison(runs, best=best, labels=labels))  # fmt: skip
    per = facts["per_class_accuracy"]
    if not per:
        st.caption("Per-class accuracy and confusion matrices appear for runs trained with this version.")
        return
    st.markdown("#### Test accuracy per class" + (" (best.pt)" if best else ""))
    fig = _figure("per-class", runs, (tuple(labels), tuple(cols), best, font),
                  lambda: per_class_figure(per, labels, font_size=font, cols=cols))  # fmt: skip
    show(fig, name="compare-per-class", key=K + "perclass")  # fmt: skip
    with st.expander("Confusion matrices side by side (rows: true class, each row in %)", expanded=len(runs) == 2):
        shown = runs[:3] if len(runs) > 2 else runs
        slots = st.columns(len(shown) + (1 if len(runs) == 2 else 0))
        for slot, r, label in zip(slots, shown, labels, strict=False):
            slot.markdown(f"**{for_markdown(label)}**")
            with slot:
                show(confusion_figure(r.confusion(best), r.classes), name="confusion", key=K + f"cm.{r.id}")
        if len(runs) == 2:
            slots[-1].markdown(f"**Difference** ({for_markdown(labels[1])} − {for_markdown(labels[0])})")
            a, b = runs[0].confusion(best), runs[1].confusion(best)
            if a is not None and b is not None and len(a) == len(b):
                with slots[-1]:
                    show(confusion_figure(b, runs[1].classes, minus=a), name="confusion-difference",
                         key=K + "cm.diff")  # fmt: skip
            else:
                slots[-1].caption("Not comparable: the runs have different classes or no matrix.")


def _readings(runs: list[RunData], labels: list[str]) -> None:
    lines = []
    for r, label in zip(runs, labels, strict=True):
        for reading in read_run(r):
            lines.append(f"- **{for_markdown(label)}**: {reading.finding} **Next:** {reading.next_step}")
    if lines:
        with st.expander("Reading the curves", expanded=False, icon=":material/troubleshoot:"):
            st.markdown("\n".join(lines))
