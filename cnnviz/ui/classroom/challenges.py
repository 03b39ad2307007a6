"""The teacher's challenges: set one (the form), and see who has met it, live.

``teacher_section()`` draws the form, the link students open (the banner on their
Design and Train pages opens it too) and a table polled every 2 s: one row per
student with their design's progress (recorded as they edit) and their best run
under the challenge (read from the run store through ``run_access``, checked by
``run_check``). Only the teacher sees it; a student sees only their own progress.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz.classroom.errors import RoomError
from cnnviz.design.challenge import Challenge
from cnnviz.design.challenge_checks import run_check
from cnnviz.text.escape import for_markdown
from cnnviz.train.status import Status
from cnnviz.train.store import RunError
from cnnviz.ui.challenge import book
from cnnviz.ui.challenge_form import address, challenge_form
from cnnviz.ui.classroom import run_access, session

_RUNS: dict[tuple[str, float], tuple[str, object]] = {}  # (run id, created) -> (challenge, check)


def _run_result(cid: str, ch: Challenge, info) -> object | None:
    """The run's check against ``ch`` when it trained under ``cid`` (else None); cached."""
    key = (info.id, float(info.created))
    hit = _RUNS.get(key)
    if hit is None or hit[0] != cid:
        try:
            run = run_access.open_run(info)
        except (RunError, OSError):
            return None
        if run.config.get("challenge") != cid:
            _RUNS[key] = (cid, None)
            return None
        check = run_check(ch, run.spec, run.train_config, run.status,
                          dataset=run.dataset.get("name"))  # fmt: skip
        hit = (cid, (check, run.status.get("test_accuracy")))
        if len(_RUNS) > 5000:
            _RUNS.clear()
        _RUNS[key] = hit
    return hit[1]


def met_rows(cid: str, ch: Challenge) -> pd.DataFrame:
    """One row per student: design progress, best run under the challenge, met or not."""
    room = session.room()
    since = book().created(cid) - 1.0
    progress = book().progress(cid)
    owners = room.owned_runs()
    best: dict[str, tuple[bool, float]] = {}
    for info in run_access.visible_runs():  # the teacher's: every run
        owner = (owners.get(info.id) or {}).get("owner")
        if not owner or info.created < since or str(info.status) != Status.FINISHED:
            continue
        got = _run_result(cid, ch, info)
        if got is None:
            continue
        check, acc = got
        mine = (bool(check.met), float(acc or 0.0))
        best[owner] = max(best.get(owner, mine), mine)
    rows = []
    for p in room.students():
        prog = progress.get(p.id)
        run = best.get(p.id)
        done = bool(run and run[0]) if ch.min_accuracy is not None else bool(prog and prog.met)
        rows.append(
            {
                "student": p.name,
                "met": "✓ met" if done else "",
                "design": (prog.words if prog else "not opened yet") if ch.has_design_targets
                else ("opened" if prog else "not opened yet"),
                "best run": "" if run is None else f"{100 * run[1]:.1f} %",
            }
        )  # fmt: skip
    rows.sort(key=lambda r: (r["met"] == "", r["student"]))
    cols = ["student", "met", "design"] + (["best run"] if ch.min_accuracy is not None else [])
    return pd.DataFrame(rows, columns=cols)


def _met_table(cid: str) -> None:
    ch = book().get(cid)
    if ch is None:
        return
    df = met_rows(cid, ch)
    if df.empty:
        st.info("Nobody has joined yet.")
        return
    names = [str(x) for x in df.loc[df["met"] != "", "student"]]
    st.markdown(
        f"**{len(names)} of {len(df)} students met it**"
        + (": " + ", ".join(for_markdown(x) for x in names) if names else ".")
    )
    st.dataframe(
        df,
        hide_index=True,
        key="teacher.challenge.table",
    )


def teacher_section() -> None:
    """The Teacher page's challenge: set one, the link, who met it (live)."""
    with st.expander("Set a challenge", icon=":material/flag:"):
        sent = session.room().latest_design()
        made = challenge_form(
            "teacher.challenge",
            {f"(the design sent to the class: {sent.title})": sent.spec} if sent else None,
        )
        if made is not None:
            try:
                book().create(session.me(), made)
            except RoomError as e:
                st.error(for_markdown(e))
            else:
                st.success("Set: every student sees it as a banner on Design and Train, with Open.")
    latest = book().latest()
    if latest is None:
        st.caption("No challenge set yet.")
        return
    cid, ch = latest
    st.markdown(f"**{for_markdown(ch.title)}** · students open it from the banner, or this link:")
    st.code(address(f"challenge={cid}"), language=None)
    st.fragment(_met_table, run_every=2.0)(cid)


__all__ = ["met_rows", "teacher_section"]
