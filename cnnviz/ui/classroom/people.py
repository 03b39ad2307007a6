"""The Teacher page's people: who joined, remove a name, close joining, the hidden key.

``key_reveal()`` shows the teacher key only when asked (the Teacher page is the
one on the projector). ``people_panel()`` lists the students who joined; removing
one ends their sign-ins on every computer at once, cancels their waiting training
and stops a running one, and keeps their runs; the toggle opens or closes joining
(everyone who joined stays signed in); the class size is in the limits form.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from cnnviz.classroom.errors import RoomError
from cnnviz.classroom.ownership import NotAllowed
from cnnviz.text.escape import for_markdown
from cnnviz.ui.classroom import session


def key_reveal() -> None:
    """The teacher key, hidden until the teacher asks (this page is the projected one)."""
    shown = st.toggle(
        "Show the teacher key",
        value=False,
        key="teacher.key.show",
        help="Hidden because this page is often on the projector: whoever reads the key "
        "can unlock the teacher's view.",
    )
    if shown:
        st.code(session.room().teacher_key, language=None)
        st.caption(
            "Seen by someone it should not be? Restart the server with a new "
            "CNNVIZ_TEACHER_KEY, then *Sign out everywhere* in the sidebar."
        )


def _people_rows(room) -> pd.DataFrame:
    owned: dict[str, int] = {}
    for r in room.owned_runs().values():
        owned[r["owner"]] = owned.get(r["owner"], 0) + 1
    owners = {e.owner for e in room.queue.entries()}
    live = {o for o in owners if room.queue.live_for(o)}
    rows = [
        {
            "name": p.name,
            "joined": f"{dt.datetime.fromtimestamp(p.created):%H:%M}",
            "runs": owned.get(p.id, 0),
            "training": "yes" if p.id in live else "",
        }
        for p in room.students()
    ]
    return pd.DataFrame(rows, columns=["name", "joined", "runs", "training"])


def people_panel() -> None:
    """Who joined; remove a name (their sign-ins end at once, waiting job cancelled,
    running job stopped, runs kept); open or close joining; the class size."""
    r, me = session.room(), session.me()
    students, lim = r.students(), r.limits()
    is_open = r.joining_open()
    st.caption(
        f"{len(students)} of {lim.class_size} students (the class size, in the limits below) · "
        + ("joining is open" if is_open else "**joining is closed**")
    )
    try:
        if (
            st.toggle(
                "Joining open",
                value=is_open,
                key="teacher.joining",
                help="Closed: nobody new can join; everyone who joined stays signed in.",
            )
            != is_open
        ):
            r.set_joining(me, not is_open)
            st.rerun()
        if not students:
            return
        st.dataframe(
            _people_rows(r),
            hide_index=True,
            key="teacher.people",
            column_config={"runs": st.column_config.NumberColumn(format="%,d")},
        )
        by_id = {p.id: p for p in students}
        row = st.container(horizontal=True, vertical_alignment="bottom")
        pid = row.selectbox(
            "Remove a name",
            list(by_id),
            format_func=lambda i: by_id[i].name,
            index=None,
            placeholder="Pick a name",
            key="teacher.remove.who",
        )
        if pid and row.button(
            f"Remove {for_markdown(by_id[pid].name)}",
            icon=":material/person_remove:",
            key="teacher.remove",
            help="Signs them out on every computer at once; a waiting training is "
            "cancelled and a running one stopped; their runs are kept.",
        ):
            gone = r.remove_person(me, pid)
            st.toast(
                f"{for_markdown(gone.name)} was removed: signed out, their queued training cancelled."
            )
            st.rerun()
    except (RoomError, NotAllowed) as e:
        st.error(for_markdown(e))
