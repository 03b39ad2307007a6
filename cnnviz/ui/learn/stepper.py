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


def playing(key: str) -> bool:
    return bool(st.session_state.get(key + ".play", False))


def controls(key: str, h: int, w: int) -> None:
    """◀ ▶, Play/Pause and the position, in one row (drawn inside the lesson's fragment).

    Play and Pause rerun the whole page, which starts or stops the fragment's timer.
    """
    playing_key = key + ".play"
    row, col = position(key, h, w)
    c1, c2, c3, c4 = st.columns([1, 1, 2, 7], vertical_alignment="center")
    c1.button(
        "◀", key=key + ".prev", on_click=_move, args=(key, -1, h * w), help="Previous output pixel"
    )
    c2.button(
        "▶", key=key + ".next", on_click=_move, args=(key, 1, h * w), help="Next output pixel"
    )
    now = playing(key)
    if c3.button(
        "Pause" if now else "Play",
        icon=":material/pause:" if now else ":material/play_arrow:",
        key=key + ".toggle",
        help="Step through the output pixels on its own",
    ):
        st.session_state[playing_key] = not now
        if not now and row * w + col >= h * w - 1:  # Play at the last pixel starts over
            st.session_state[key] = -1  # the first tick shows pixel 0
        st.rerun(scope="app")
    c4.markdown(
        f"Output pixel **row {row}, column {col}** (of {h}×{w}) · click a pixel of the output to jump there"
    )


def tick(key: str, h: int, w: int) -> bool:
    """One step of play (called by the timer); True when it reached the last pixel and stopped."""
    pos = int(st.session_state.get(key, 0)) + 1
    end = pos >= h * w - 1
    st.session_state[key] = min(pos, h * w - 1)
    if end:
        st.session_state[key + ".play"] = False
    return end


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
