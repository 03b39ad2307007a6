"""The teacher's page: every student's job live, the queue, the leaderboard, Send to class, limits.

``class_now()`` polls every 2 s (an ``st.fragment``): one row per student with
their latest job (status or place in line, epoch, accuracy so far, params,
images/s); a row opens that job on the projector, read-only, in presenter mode.
``queue_controls()`` moves or cancels waiting jobs and stops running ones.
``leaderboard()`` scatters finished runs (test accuracy vs parameters).
``send_design()`` puts the teacher's current design (and Train settings) on
every student's Design page as a banner. ``limits_form()`` edits the limits.
Who joined, and the teacher key, are ``cnnviz.ui.classroom.people``.
"""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import streamlit as st

from cnnviz.classroom.entries import EntryState, ordinal
from cnnviz.classroom.errors import RoomError
from cnnviz.classroom.leaderboard import board
from cnnviz.classroom.limits import Limits
from cnnviz.classroom.ownership import NotAllowed
from cnnviz.design.shapes import summarize, totals
from cnnviz.design.spec import SpecError
from cnnviz.plots.train.leaderboard import NAMED, leaderboard_figure
from cnnviz.text.escape import for_markdown
from cnnviz.ui import figures, state
from cnnviz.ui.classroom import run_access, session
from cnnviz.ui.classroom.jobs import PROJECTOR
from cnnviz.ui.train.form import TrainForm


def _row(e) -> dict:
    q = session.room().queue
    job = q.job(e.id)
    row = {
        "student": e.owner_name,
        "status": str(e.state),
        "epoch": "",
        "accuracy so far": "",
        "params": f"{e.params:,}" if e.params else "",
        "images/s": "",
        "dataset": e.dataset or "",
        "job": e.id,
    }
    if e.state is EntryState.WAITING:
        row["status"] = f"waiting: {ordinal(q.place(e.id) or 0)} in line"
    elif job is not None:
        p = job.progress()
        row["status"] = str(job.status)
        row["epoch"] = f"{p.epoch}/{p.epochs}" if p.epochs else ""
        eps = job.epoch_metrics()
        acc = None
        if job.final is not None and job.final.test_accuracy is not None:
            acc = job.final.test_accuracy
        elif eps and eps[-1].get("val_accuracy") is not None:
            acc = eps[-1]["val_accuracy"]
        elif job.iter_metrics():
            acc = job.iter_metrics()[-1]["accuracy"]
        row["accuracy so far"] = f"{100 * acc:.1f} %" if acc is not None else ""
        row["images/s"] = f"{round(p.images_per_s):,}" if p.images_per_s and not job.done else ""
    elif e.note:
        row["status"] = e.note
    return row


def class_rows() -> pd.DataFrame:
    """Each person's latest job, running ones first, then waiting in line order, then ended."""
    latest: dict[str, object] = {}
    for e in session.room().queue.entries():
        latest[e.owner] = e  # entries are oldest first: the last one wins
    rows = [_row(e) for e in latest.values()]
    joined = {r["student"] for r in rows}
    for p in session.room().students():
        if p.name not in joined:
            rows.append({"student": p.name, "status": "no training yet"})
    order = {"running": 0, "paused": 0}

    def key(r: dict) -> tuple:
        s = str(r.get("status", ""))
        return (order.get(s, 1 if s.startswith("waiting") else 2), s, r["student"])

    cols = ["student", "status", "epoch", "accuracy so far", "params", "images/s", "dataset", "job"]
    # every cell text: a student with no training has empty cells, never "None"
    df = pd.DataFrame(sorted(rows, key=key), columns=cols, dtype=object)
    return df.where(df.notna(), "").astype(str)


def _open(job_id: str, page: str) -> None:
    state.set_job_id(job_id)
    state.set_run_id(None)
    st.session_state[PROJECTOR] = job_id
    st.session_state[state.TEACHING] = True  # presenter mode: large text for the back row
    st.switch_page(page)


def _class_now_body() -> None:
    df = class_rows()
    if df.empty:
        st.info("Nobody has joined yet. Students open this server's address and type their name.")
        return
    n_live = int(df["status"].isin(["running", "paused"]).sum())
    n_wait = int(df["status"].astype(str).str.startswith("waiting").sum())
    st.caption(
        f"{len(session.room().students())} students joined · {n_live} training · {n_wait} waiting "
        f"· at most {session.room().limits().jobs_at_once} at once. Click a row to show it."
    )
    event = st.dataframe(
        df,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="teacher.now",
        column_config={"job": st.column_config.TextColumn(width="small")},
    )
    picked = event.selection.rows if event is not None else []
    if picked:
        job_id = df.iloc[picked[0]]["job"]
        if isinstance(job_id, str) and job_id:
            name = df.iloc[picked[0]]["student"]
            row = st.container(horizontal=True)
            if row.button(
                f"Show {for_markdown(name)}'s training on the projector",
                icon=":material/co_present:",
                type="primary",
                key="teacher.show",
            ):
                _open(job_id, "views/train.py")
            if row.button(
                f"Inspect {for_markdown(name)}'s network",
                icon=":material/search:",
                key="teacher.inspect",
            ):
                _open(job_id, "views/inspect.py")


def class_now() -> None:
    st.fragment(_class_now_body, run_every=2.0)()


def queue_controls() -> None:
    q, me = session.room().queue, session.me()
    waiting = q.waiting()
    live = [
        e
        for e in q.entries()
        if e.state is EntryState.STARTED and q.job(e.id) and not q.job(e.id).done
    ]
    if not waiting and not live:
        st.caption("No training is running or waiting.")
        return
    for e in live:
        row = st.container(horizontal=True, vertical_alignment="center")
        row.markdown(f"**{for_markdown(e.owner_name)}** · {q.job(e.id).status}")
        if row.button("Stop", key=f"teacher.stop.{e.id}", icon=":material/stop:"):
            q.control(e.id, me, "stop")
            st.rerun()
    for i, e in enumerate(waiting, start=1):
        row = st.container(horizontal=True, vertical_alignment="center")
        row.markdown(
            f"{ordinal(i)} in line: **{for_markdown(e.owner_name)}** "
            f"({for_markdown(e.dataset)}, {e.epochs} epochs)"
        )
        try:
            if i > 1 and row.button(
                "Move to the front",
                key=f"teacher.front.{e.id}",
                icon=":material/vertical_align_top:",
            ):
                q.move(e.id, 1, me)
                st.rerun()
            if i > 1 and row.button(
                "Up one", key=f"teacher.up.{e.id}", icon=":material/arrow_upward:"
            ):
                q.move(e.id, i - 1, me)
                st.rerun()
            if row.button("Cancel", key=f"teacher.cancel.{e.id}", icon=":material/close:"):
                q.cancel(e.id, me)
                st.rerun()
        except NotAllowed as err:
            st.warning(for_markdown(err))


@st.cache_data(show_spinner=False, max_entries=2000)
def _params(path: str, mtime: float) -> int:
    del mtime  # cache key only
    try:
        with open(f"{path}/spec.json", encoding="utf-8") as f:
            return int(totals(summarize(json.load(f), 1))["params"])
    except (OSError, ValueError, SpecError):
        return 0


def _params_of(r) -> int:
    return _params(str(r.path), float(r.created))


ALL_DATASETS = "all datasets"


def board_datasets(runs, owners) -> list[str]:
    """The datasets of the class's runs, the most common first (the leaderboard's default)."""
    counts = Counter(r.dataset for r in runs if r.id in owners and r.dataset)
    return sorted(counts, key=lambda d: (-counts[d], d))


def leaderboard() -> None:
    runs = run_access.visible_runs()  # the teacher's: every run
    owners = session.room().owned_runs()
    datasets = board_datasets(runs, owners)
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    ds = c1.selectbox(
        "Dataset",
        [*datasets, ALL_DATASETS],
        key="teacher.board.dataset",
        help="Accuracies compare on one dataset: the most common one comes first.",
    )
    best = c2.toggle("Best run per student", value=True, key="teacher.board.best")
    scores = board(
        runs,
        owners,
        _params_of,
        dataset=None if ds == ALL_DATASETS else ds,
        best_per_student=best,
    )
    if not scores:
        st.info("No finished runs yet: they appear here as students' trainings finish.")
        return
    font = 18 if state.teaching() else 12
    figures.show(
        leaderboard_figure(scores, font_size=font),
        name="class-leaderboard",
        key="teacher.board",
    )
    st.caption(f"The top {min(NAMED, len(scores))} are named on the chart; hover for the others.")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "rank": i,
                    "student": s.student,
                    "test accuracy": 100 * s.test_accuracy,
                    "params": s.params,
                    "dataset": s.dataset,
                    "run": s.run_id,
                }
                for i, s in enumerate(scores, start=1)
            ]
        ),
        hide_index=True,
        key="teacher.board.table",
        column_config={
            "rank": st.column_config.NumberColumn(format="%,d", width="small"),
            "test accuracy": st.column_config.NumberColumn(format="%.1f %%"),
            "params": st.column_config.NumberColumn(format="%,d"),
        },
    )


def teacher_settings() -> dict:
    """The teacher's Train settings as they are in this session (epochs, optimizer, ...)."""
    return TrainForm().read()


def send_design() -> None:
    spec = state.get_spec()
    n = len(spec.get("layers", []))
    shape = "×".join(str(d) for d in spec.get("input", []))
    title = spec.get("name") or state.current_preset() or "the teacher's design"
    st.markdown(f"Your current design: **{for_markdown(title)}**, input {shape}, {n} layers.")
    settings = teacher_settings()
    if settings:
        st.caption(
            "With your Train settings: "
            + ", ".join(
                f"{k} {for_markdown(v)}"
                for k, v in settings.items()
                if k in ("epochs", "optimizer", "lr", "batch_size")
            )
        )
    if st.button("Send to class", icon=":material/send:", type="primary", key="teacher.send"):
        sent = {k: v for k, v in settings.items() if k != "seed"}  # each student keeps their own
        session.room().send_design(
            session.me(), spec, {**sent, "preset": state.current_preset()}, str(title)
        )
        st.success(
            "Sent: every student sees it as a banner on the Design page, with Open. "
            "Nobody's own design changes until they press Open."
        )
    last = session.room().latest_design()
    if last is not None:
        import datetime as dt

        st.caption(
            f"Last sent: {for_markdown(last.title)} at {dt.datetime.fromtimestamp(last.sent):%H:%M}."
        )


_SAVED = "teacher.limits.saved"  # the note to show after the rerun that follows Save


def limits_summary(lim: Limits) -> str:
    """The limits in one line, numbers with thousands separators."""
    return (
        f"{lim.jobs_at_once:,} trainings at once · {lim.jobs_per_student:,} per student · "
        f"queue of {lim.queue_length:,} · {lim.max_epochs:,} epochs · "
        f"{lim.max_train_images:,} training images · {lim.max_params:,} parameters · "
        f"{lim.max_mult_adds:,} mult-adds per image · class of {lim.class_size:,}"
    )


def limits_form() -> None:
    r = session.room()
    cur = r.limits()
    if note := st.session_state.pop(_SAVED, None):
        st.success(for_markdown(note))
    st.caption("Now: " + limits_summary(cur))
    with st.form("teacher.limits"):
        cols = st.columns(3)
        values = {}
        for i, (name, title) in enumerate(Limits.TITLES.items()):
            values[name] = cols[i % 3].number_input(
                title,
                min_value=1,
                value=int(getattr(cur, name)),
                step=1,
                key=f"teacher.limit.{name}",
                help=f"Environment variable: {Limits.ENV[name]}",
            )
        if st.form_submit_button("Save limits", icon=":material/save:", type="primary"):
            try:
                r.set_limits(session.me(), Limits.from_dict(values, cur))
            except RoomError as e:
                st.error(for_markdown(e))
            else:
                st.session_state[_SAVED] = (
                    "Saved. New Starts and joins are checked against these limits."
                )
                st.rerun()  # every summary on the page (the class, people, these) shows them now
