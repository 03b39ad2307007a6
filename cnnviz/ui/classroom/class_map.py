"""The class map on a page: every finished run this person may see, on one chart.

``class_map(key, diff_here=True)`` draws, for one dataset (the most common by default):
parallel coordinates of the runs (``cnnviz.plots.class_map``: brush an axis to keep a
range), and beside them the runs listed by test accuracy; picking a row shows that run's
curves, or its layer-by-layer diff against the best run (the Runs page's comparison).
The runs come through the access gate (``run_access.visible_runs``): the teacher sees
every run, a student the runs shared with the class and their own.
``diff_here=False`` (the Runs page, which draws its own comparison above) puts the pair
into the page's comparison instead of drawing a second one.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz.compare import class_map as facts
from cnnviz.plots.class_map import OPTIMIZER_WORDS, class_map_figure
from cnnviz.plots.train.curves import epoch_metrics_figure, iteration_loss_figure
from cnnviz.text.escape import for_markdown
from cnnviz.train.store import RunError
from cnnviz.ui import figures, state
from cnnviz.ui.classroom import run_access, session

CURVES, DIFF = "curves", "diff"
COUNTS = ("parameters", "mult-adds")  # whole numbers shown with thousands separators


def rows() -> list[facts.ClassRun]:
    """The finished runs this person may see (the gate's list), best first."""
    owners = session.room().owned_runs() if session.enabled() else {}
    return facts.class_runs(run_access.visible_runs(), owners)


def table(shown: list[facts.ClassRun]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "rank": i,
                "student": r.student,
                "test accuracy": round(100 * r.test_accuracy, 1),
                "layers": r.depth,
                "parameters": r.params,
                "mult-adds": r.mult_adds,
                "learning rate": r.lr,
                "optimizer": OPTIMIZER_WORDS.get(r.optimizer, r.optimizer),
                "BatchNorm": "yes" if r.batchnorm else "no",
                "augment": r.augmentation,
                "epochs": r.epochs,
                "run": r.run_id,
            }
            for i, r in enumerate(shown, start=1)
        ],
        columns=[
            "rank", "student", "test accuracy", "layers", "parameters", "mult-adds",
            "learning rate", "optimizer", "BatchNorm", "augment", "epochs", "run",
        ],
    )  # fmt: skip


COLUMNS = {
    "rank": st.column_config.NumberColumn(format="%,d", width="small"),
    "test accuracy": st.column_config.NumberColumn(format="%.1f %%"),
    "layers": st.column_config.NumberColumn(format="%,d", help="Conv2d and Linear layers"),
    "parameters": st.column_config.NumberColumn(format="%,d"),
    "mult-adds": st.column_config.NumberColumn(format="%,d", help="For one image"),
    "learning rate": st.column_config.NumberColumn(format="%g"),
    "epochs": st.column_config.NumberColumn(format="%,d"),
}


def _who() -> str:
    if not session.enabled():
        return "Every finished run on this server"
    if session.is_teacher():
        return "Every finished run of the class (you see them all)"
    return "The finished runs shared with the class, and your own"


def _curves(run: facts.ClassRun, key: str, font: int) -> None:
    try:
        data = run_access.run_data(run.run_id)  # refused when not this person's to open
    except RunError as e:
        st.error(for_markdown(e))
        return
    left, right = (st.container(), st.container()) if state.teaching() else st.columns(2)
    left.markdown("**Loss per iteration**")
    with left:
        figures.show(
            iteration_loss_figure(data.iters, title=None, font_size=font),
            name="class-map-loss",
            key=f"{key}iter.{run.run_id}",
        )
    right.markdown("**Loss and accuracy per epoch**")
    with right:
        figures.show(
            epoch_metrics_figure(
                data.epochs,
                test_accuracy=data.status.get("test_accuracy"),
                test_loss=data.status.get("test_loss"),
                title=None,
                font_size=font,
                best_epoch=data.status.get("best_epoch"),
            ),
            name="class-map-epochs",
            key=f"{key}epoch.{run.run_id}",
        )


def _diff(run: facts.ClassRun, top: facts.ClassRun, key: str, here: bool) -> None:
    from cnnviz.ui.runs import compare_view

    if run.run_id == top.run_id:
        st.caption("This is the best run on this dataset: pick another to diff it against it.")
        return
    pair = [top.run_id, run.run_id]
    if here:
        compare_view.comparison_view(pair)
        return
    if state.compare_ids() == pair:
        st.caption("The comparison of this run with the best run is at the top of the page.")
        return
    if st.button(
        "Compare with the best run at the top of the page",
        key=f"{key}diff.go",
        icon=":material/compare_arrows:",
    ):
        state.set_compare_ids(pair)
        st.rerun()


def _name(i: int, r: facts.ClassRun) -> str:
    return f"{i}. {r.student} · {100 * r.test_accuracy:.1f} % · {r.depth} layers · {r.run_id[-6:]}"


def _picked(shown: list[facts.ClassRun], clicked: list[int], key: str) -> facts.ClassRun | None:
    """The run to look at: a row just clicked in the table, else the one picked in the list."""
    ids = [r.run_id for r in shown]
    pick, last = key + "pick", key + "table.last"
    if clicked != st.session_state.get(last):  # a new click in the table: it picks the run
        st.session_state[last] = clicked
        if clicked and clicked[0] < len(shown):
            st.session_state[pick] = ids[clicked[0]]
    if st.session_state.get(pick) not in ids:  # another dataset, or a run gone
        st.session_state.pop(pick, None)
    names = {r.run_id: _name(i, r) for i, r in enumerate(shown, start=1)}
    chosen = st.selectbox(
        "Run to look at",
        ids,
        index=None,
        key=pick,
        format_func=names.get,
        placeholder="Pick a run (or click its row) to see its curves or diff it",
    )
    return next((r for r in shown if r.run_id == chosen), None)


def class_map(key: str = "classmap.", *, diff_here: bool = True) -> None:
    """The section (see the module docstring); ``key`` prefixes its widgets' keys."""
    everyone = rows()
    if not everyone:
        st.info("No finished runs yet: each run appears on the map when its training finishes.")
        return
    names = facts.datasets(everyone)
    counts = {d: sum(r.dataset == d for r in everyone) for d in names}
    dataset = st.selectbox(
        "Dataset",
        names,
        key=key + "dataset",
        format_func=lambda d: f"{d or '?'} ({counts.get(d, 0)} runs)",
        help="Accuracies are only comparable on one dataset: the most common one comes first.",
    )
    shown = facts.on_dataset(everyone, dataset)
    st.caption(
        f"{_who()}: {len(shown)} on {for_markdown(dataset or '?')}, one line each, coloured by "
        "test accuracy. Drag along an axis to keep only the runs in that range (drag on several "
        "axes to combine them; click the axis outside the range to clear it)."
    )
    font = 18 if state.teaching() else 12
    figures.show(
        class_map_figure(shown, font_size=font, height=520 if state.teaching() else 460),
        name="class-map",
        key=key + "chart",
    )
    st.markdown("**The runs by test accuracy**: click a row, or pick it below.")
    event = st.dataframe(
        table(shown),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key + "table",
        column_config=COLUMNS,
    )
    run = _picked(shown, event.selection.rows if event is not None else [], key)
    if run is None:
        return
    top = facts.best(shown)
    assert top is not None
    what = st.segmented_control(
        f"{for_markdown(run.student)}'s run, {100 * run.test_accuracy:.1f} %",
        [CURVES, DIFF],
        default=CURVES,
        key=key + "show",
        format_func={CURVES: "Its curves", DIFF: "Diff against the best run"}.get,
    )
    if what == DIFF:
        _diff(run, top, key, diff_here)
    else:
        _curves(run, key, font)


__all__ = ["COUNTS", "class_map", "rows", "table"]
