"""◀ ▶ and play for stepping through the output pixels of a layer (conv and max-pool lessons).

The position is one number (row-major over the output map) kept in session state;
clicking a pixel of the output figure sets it. Play advances it on a timer
(``st.fragment(run_every=...)`` around the lesson), a step per tick, and stops at the end.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

TICK_S = 0.8  # seconds between steps while playing


def _move(key: str, delta: int, total: int) -> None:
    st.session_state[key] = (int(st.session_state.get(key, 0)) + delta) % max(total, 1)


def position(key: str, h: int, w: int) -> tuple[int, int]:
    """The current output pixel (row, col), kept inside an ``h × w`` map."""
    pos = int(st.session_state.get(key, 0))
    if not 0 <= pos < h * w:
        pos = 0
        st.session_state[key] = 0
    return divmod(pos, w)


def controls(key: str, h: int, w: int) -> bool:
    """◀ ▶ ⏵ and the position as text; returns True while playing."""
    row, col = position(key, h, w)
    playing_key = key + ".play"
    c1, c2, c3, c4 = st.columns([1, 1, 2, 6], vertical_alignment="center")
    c1.button(
        "◀", key=key + ".prev", on_click=_move, args=(key, -1, h * w), help="Previous output pixel"
    )
    c2.button(
        "▶", key=key + ".next", on_click=_move, args=(key, 1, h * w), help="Next output pixel"
    )
    playing = bool(st.session_state.get(playing_key, False))
    if c3.button(
        "Pause" if playing else "Play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        key=key + ".toggle",
        help="Step through the output pixels on its own",
    ):
        playing = not playing
        st.session_state[playing_key] = playing
    c4.markdown(
        f"Output pixel **row {row}, column {col}** (of {h}×{w}) · click a pixel to jump there"
    )
    return playing


def tick(key: str, h: int, w: int) -> None:
    """One step of play (called by the timer); stops at the last pixel."""
    pos = int(st.session_state.get(key, 0)) + 1
    if pos >= h * w:
        st.session_state[key + ".play"] = False
        pos = h * w - 1
    st.session_state[key] = pos


def clicked(event: Any, key: str, w: int) -> bool:
    """Take a click on the output figure (its invisible pixel markers) as the new position."""
    points = (getattr(event, "selection", None) or {}).get("points", []) if event else []
    if not points:
        return False
    p = points[0]
    new = int(round(p.get("y", 0))) * w + int(round(p.get("x", 0)))
    seen = key + ".clicked"
    if st.session_state.get(seen) == new:
        return False
    st.session_state[seen] = new
    st.session_state[key] = new
    return True
