"""Each section's texts, Who and notes, shown or hidden, moved up or down.

The presentation of each run lives in this session (``present.presentations``, one per
run id, as ``Presentation.to_dict``), so switching runs and back keeps what was typed.
Widgets are keyed by run and section: their values survive reorders.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.report import default_presentation
from cnnviz.report.content import Facts, Note
from cnnviz.report.sections import Presentation, SectionKind
from cnnviz.text.escape import for_markdown

STORE = "present.presentations"


def _key(run_id: str, kind: SectionKind | str, what: str) -> str:
    return f"present.{run_id}.{kind}.{what}"


def current(run: Any) -> Presentation:
    store: dict = st.session_state.setdefault(STORE, {})
    if run.id not in store:
        store[run.id] = default_presentation(run).to_dict()
    return Presentation.from_dict(store[run.id])


def _save(pres: Presentation) -> None:
    st.session_state.setdefault(STORE, {})[pres.run_id] = pres.to_dict()


def _move(run_id: str, kind: SectionKind, step: int) -> None:
    pres = Presentation.from_dict(st.session_state[STORE][run_id])
    _save(pres.moved(kind, step))


def _summary(blocks: tuple) -> str:
    """What the section shows besides the texts: its facts' names, tables', figures' titles."""
    parts = []
    for b in blocks:
        if isinstance(b, Facts):
            parts.append(", ".join(k for k, _ in b.rows))
        elif isinstance(b, Note):
            parts.append(f"(note: {b.text})")
        elif getattr(b, "title", ""):
            parts.append(b.title)
    return "Shows: " + " · ".join(parts) if parts else "Your text only."


def edit(run: Any, blocks: dict) -> Presentation:
    """The editor; returns the presentation with every edit of this run applied."""
    pres = current(run)
    title = st.text_input("Title", pres.title, key=_key(run.id, "all", "title"))
    pres = Presentation(pres.run_id, title, pres.sections)
    n = len(pres.sections)
    for i, sec in enumerate(pres.sections):
        k = sec.kind
        with st.container(border=True, key=f"present_section_{k.value}"):
            head, tools = st.columns([3, 2], vertical_alignment="center")
            head.markdown(
                f"#### {i + 1}. {for_markdown(sec.title)}"
                + ("" if not sec.hidden else " · *hidden*")
            )
            bar = tools.container(horizontal=True, horizontal_alignment="right")
            show = bar.toggle(
                "Show",
                value=not sec.hidden,
                key=_key(run.id, k, "show"),
                help="Hidden sections are left out of the HTML, the slides and the PDF.",
            )
            bar.button(
                "",
                icon=":material/arrow_upward:",
                key=_key(run.id, k, "up"),
                disabled=i == 0,
                help="Move this section up",
                on_click=_move,
                args=(run.id, k, -1),
            )
            bar.button(
                "",
                icon=":material/arrow_downward:",
                key=_key(run.id, k, "down"),
                disabled=i == n - 1,
                help="Move this section down",
                on_click=_move,
                args=(run.id, k, 1),
            )
            if not show:
                pres = pres.with_section(k, hidden=True)
                continue
            st.caption(for_markdown(_summary(blocks.get(k, ()))))
            who = st.text_input(
                "Who (presenter)", sec.who, key=_key(run.id, k, "who"), placeholder="name"
            )
            text = st.text_area(
                "Text", sec.text, key=_key(run.id, k, "text"), placeholder=sec.prompt, height=100
            )
            notes = st.text_area(
                "Notes (in the report and the print, not on the slides)",
                sec.notes,
                key=_key(run.id, k, "notes"),
                height=68,
            )
            pres = pres.with_section(k, who=who, text=text, notes=notes, hidden=False)
    _save(pres)
    return pres
