"""The Runs page on a class server: My runs first, the Class gallery, and (teacher) every run.

Runs belong to the student who trained them (``Classroom.owned_runs``). A run is
shown to others only once its owner shares it to the Class gallery; only its
owner or the teacher shares, renames or deletes it (checked again in the core).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz.classroom.errors import RoomError
from cnnviz.classroom.ownership import Action, NotAllowed, allowed
from cnnviz.text.escape import for_markdown
from cnnviz.train.store import RunInfo
from cnnviz.ui import state
from cnnviz.ui.classroom import run_access, session
from cnnviz.ui.runs import compare_view, listing, picker

MINE, GALLERY, ALL = "My runs", "Class gallery", "Every run"
MAP = "Class map"  # every finished run one may see, on one chart (cnnviz.ui.classroom.class_map)


def _table(runs: list[RunInfo], owners: dict) -> pd.DataFrame:
    df = listing.runs_table(runs)
    df.insert(1, "owner", [(owners.get(r.id) or {}).get("owner_name") or "—" for r in runs])
    df.insert(2, "title", [(owners.get(r.id) or {}).get("title") or "" for r in runs])
    df.insert(3, "shared", [bool((owners.get(r.id) or {}).get("shared")) for r in runs])
    return df


def _pick(runs: list[RunInfo], owners: dict, key: str) -> RunInfo | None:
    event = st.dataframe(
        _table(runs, owners),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        column_config={
            "test accuracy": st.column_config.NumberColumn(format="%.1f %%"),
            "shared": st.column_config.CheckboxColumn(help="In the Class gallery"),
        },
    )
    picked = event.selection.rows if event is not None else []
    if picked:
        return runs[picked[0]]
    by_id = {r.id: r for r in runs}
    return by_id.get(state.run_id() or "") or runs[0]


def _actions(info: RunInfo, owner: dict | None) -> None:
    me, room = session.me(), session.room()
    owner_id = (owner or {}).get("owner")
    if not allowed(me, Action.RENAME, owner_id):
        who = (owner or {}).get("owner_name") or "the server"
        st.caption(
            f"{for_markdown(who)}'s run: read-only (only its owner or the teacher can change it)."
        )
        return
    try:
        with st.container(border=True):
            c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
            title = c1.text_input(
                "Title", value=(owner or {}).get("title") or "", key=f"class.run.title.{info.id}"
            )
            if c2.button("Rename", key=f"class.run.rename.{info.id}", icon=":material/edit:"):
                room.rename_run(info.id, me, title)
                st.rerun()
            shared = bool((owner or {}).get("shared"))
            row = st.container(horizontal=True)
            if row.button(
                "Take out of the Class gallery" if shared else "Share to the Class gallery",
                key=f"class.run.share.{info.id}",
                icon=":material/group:",
            ):
                room.share_run(info.id, me, not shared)
                st.rerun()
            sure = row.checkbox("Yes, delete it", key=f"class.run.sure.{info.id}")
            if row.button(
                "Delete this run",
                key=f"class.run.delete.{info.id}",
                icon=":material/delete:",
                disabled=not sure,
                help="Deletes the run's folder: its weights and charts are gone for good.",
            ):
                room.delete_run(info.id, me)
                if state.run_id() == info.id:
                    state.set_run_id(None)
                st.rerun()
    except (NotAllowed, RoomError) as e:
        st.error(for_markdown(e))


def runs_page() -> None:
    me, room = session.me(), session.room()
    owners = room.owned_runs()
    runs = run_access.visible_runs()[: listing.MAX_ROWS]  # only those this person may open
    mine = [r for r in runs if (owners.get(r.id) or {}).get("owner") == getattr(me, "id", None)]
    gallery = [r for r in runs if (owners.get(r.id) or {}).get("shared")]
    views = {MINE: mine, GALLERY: gallery}
    if me is not None and me.is_teacher:
        views[ALL] = runs  # the command line's runs too
    chosen = picker.compare_picker(runs) if len(runs) > 1 else []
    if len(chosen) >= 2:
        compare_view.comparison_view(chosen)
        st.header("One run")
    labels = {k: f"{k} ({len(v)})" for k, v in views.items()}
    which = (
        st.segmented_control(
            "Show",
            [*views, MAP],
            format_func=lambda k: for_markdown(labels.get(k, k)),
            default=MINE,
            key="class.runs.view",
        )
        or MINE
    )
    if which == MAP:
        from cnnviz.ui.classroom.class_map import class_map

        class_map("class.runs.map.", diff_here=len(chosen) < 2)  # else: the comparison above
        return
    shown = views[which]
    if not shown:
        st.info(
            "No runs of yours yet: train a network on the **Train** page."
            if which == MINE
            else "Nobody has shared a run yet: open one of yours and press *Share to the Class gallery*."
        )
        return
    st.caption("Click a row to see that run.")
    picked = _pick(shown, owners, key=f"class.runs.table.{which}")
    if picked is None:
        return
    owner = owners.get(picked.id)
    if owner and owner.get("owner_name"):
        st.markdown(
            f"By **{for_markdown(owner['owner_name'])}**"
            + (f" · *{for_markdown(owner['title'])}*" if owner.get("title") else "")
        )
    _actions(picked, owner)
    listing.run_details(picked)
