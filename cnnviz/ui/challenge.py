"""The challenge a session works on: opened from ``?challenge=``, shown on Design and Train.

``?challenge=7`` names a class challenge (a class server); any other value is a
whole challenge in a link (``cnnviz.design.challenge.encode_challenge``), for
anyone, no server state. ``sync()`` (app.py, every run) reads the link once per
session and keeps it in the URL across page switches. A damaged or forged link
gets a message and changes nothing.

- ``design_panel(spec, rows)``: the targets, how far the design is, hints (Design);
  a student's progress goes to the class's table as it changes.
- ``train_panel(job)``: the targets and, once a run under the challenge ends, its check.
- ``may_add()``, ``allowed_kinds()``, ``locked_fields()``, ``dataset_locked()``,
  ``apply_locks()``: what the pages lock.
- ``current_id()``: what ``cnnviz.ui.submit.request`` puts in each ``TrainRequest``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from cnnviz.classroom.challenges import ClassChallenges, is_class_id
from cnnviz.design.challenge import Challenge, ChallengeError, decode_challenge, link_id
from cnnviz.design.challenge_checks import (
    Check,
    accuracy_words,
    design_checks,
    layer_types,
    met,
    run_check,
)
from cnnviz.text.escape import for_markdown
from cnnviz.ui import state
from cnnviz.ui.classroom import session

ACTIVE = "cnnviz.challenge"  # {"id": ..., "param": ?challenge= value, "challenge": Challenge}
READ = "cnnviz.challenge.read"  # the URL was read in this session
NOTE = "cnnviz.challenge.note"  # why a link was not opened
RECORDED = "cnnviz.challenge.recorded"  # (id, met, words) last written to the class table
HIDDEN = "cnnviz.challenge.hidden"  # the class challenge id this session said "Not now" to
PARAM = "challenge"


def book() -> ClassChallenges:
    """The class's challenges (a class server only)."""
    return ClassChallenges(session.room().db)


def active() -> dict | None:
    return st.session_state.get(ACTIVE)


def current() -> Challenge | None:
    a = active()
    return a["challenge"] if a else None


def current_id() -> str:
    """The id a run under this challenge keeps ("" with none)."""
    a = active()
    return str(a["id"]) if a else ""


def _load(param: str) -> tuple[str, Challenge]:
    """(id, challenge) for a ``?challenge=`` value; ChallengeError with the reason."""
    if is_class_id(param):
        if not session.enabled():
            raise ChallengeError("This link names a class challenge: open it on the class server.")
        ch = book().get(param)
        if ch is None:
            raise ChallengeError(f"There is no challenge {param} in this class.")
        return param, ch
    return link_id(param), decode_challenge(param)


def open_challenge(param: str, *, keep_design: bool = False) -> None:
    """Make ``param``'s challenge this session's: its design (unless kept) and its settings."""
    try:
        cid, ch = _load(param)
    except ChallengeError as e:
        st.session_state[NOTE] = f"This challenge could not be opened: {e}"
        return
    st.session_state[ACTIVE] = {"id": cid, "param": param, "challenge": ch}
    if not keep_design:
        state.set_spec(ch.spec, preset="", replace=True)
        _image_size(ch)
    st.session_state[state.TRAIN_PRESET] = ""  # the challenge's settings stand, not a preset's
    apply_locks()
    _write_url()


def _image_size(ch: Challenge) -> None:
    """The Train page's image size for the challenge's dataset: its design's input size."""
    from cnnviz.data.catalog import DATASETS
    from cnnviz.ui.train.form import DATA

    info = DATASETS.get(ch.dataset)
    size = (ch.spec.get("input") or [0, 0])[-1]
    if info is not None and size in (list(info.sizes) or [info.size[0]]):
        st.session_state[DATA + f"size.{ch.dataset}"] = size
        st.session_state.setdefault(state.KEPT, {})[DATA + f"size.{ch.dataset}"] = size


def leave() -> None:
    a = st.session_state.pop(ACTIVE, None)
    if a and is_class_id(a["id"]):
        st.session_state[HIDDEN] = a["id"]
    if PARAM in st.query_params:
        del st.query_params[PARAM]


def _write_url() -> None:
    a = active()
    if a and st.query_params.get(PARAM) != a["param"]:
        st.query_params[PARAM] = a["param"]


def sync() -> None:
    """Read ``?challenge=`` once per session; keep it in the URL afterwards (every run)."""
    if not st.session_state.get(READ):
        st.session_state[READ] = True
        param = st.query_params.get(PARAM)
        if param:
            # a refresh: the link's ?net= is the student's own design, kept
            open_challenge(param, keep_design=bool(st.query_params.get("net")))
            if active() is None and PARAM in st.query_params:
                del st.query_params[PARAM]  # nothing of the session changed
    _write_url()


# -- locks ---------------------------------------------------------------------------
def may_add() -> bool:
    ch = current()
    return ch is None or ch.may_add


def allowed_kinds() -> tuple[str, ...] | None:
    """The layer kinds the student may add (None: any)."""
    ch = current()
    if ch is None or not ch.kinds:
        return None
    return tuple(dict.fromkeys([*ch.kinds, *layer_types(ch.spec)]))


def locked_fields() -> tuple[str, ...]:
    ch = current()
    return tuple(ch.locked) if ch else ()


def dataset_locked() -> bool:
    return current() is not None


def apply_locks() -> None:
    """Put the challenge's dataset and locked settings in the Train form (every run of Train)."""
    ch = current()
    if ch is None:
        return
    from cnnviz.ui.train.form import CFG, DATA

    for k, v in ch.locked.items():
        st.session_state[CFG + k] = v
        st.session_state.setdefault(state.KEPT, {})[CFG + k] = v
    st.session_state[DATA + "name"] = ch.dataset
    st.session_state.setdefault(state.KEPT, {})[DATA + "name"] = ch.dataset


# -- what the pages show -------------------------------------------------------------
def _line(c: Check) -> str:
    mark = ":green[✓]" if c.met else (":orange[…]" if c.pending else ":red[✗]")
    return f"{mark} {for_markdown(c.words)}"


def _checks_md(checks: list[Check]) -> None:
    for c in checks:
        st.markdown(_line(c))
        if c.hint and not c.met:
            st.caption(f"Hint: {for_markdown(c.hint)}")


def _header(ch: Challenge, checks: list[Check]) -> None:
    done = met(checks)
    st.markdown(
        f":material/flag: **Challenge: {for_markdown(ch.title)}**"
        + (" · :green[**met ✓**]" if done else "")
    )
    if ch.note:
        st.caption(for_markdown(ch.note))
    locks = []
    if not ch.may_add:
        locks.append("layers can't be added or removed")
    if ch.kinds:
        locks.append("new layers only of the allowed kinds")
    if ch.locked:
        locks.append("locked on Train: " + ", ".join(f"{k} {v}" for k, v in ch.locked.items()))
    locks.append(f"dataset {ch.dataset}")
    st.caption(":material/lock: " + for_markdown("; ".join(locks)))


def _banner() -> None:
    """The class's newest challenge, when this session is not on it: a banner with Open."""
    if not session.enabled() or session.is_teacher():
        return
    latest, a = book().latest(), active()
    if latest is None or st.session_state.get(HIDDEN) == latest[0]:
        return
    if a is not None and (a["id"] == latest[0] or not is_class_id(a["id"])):
        return  # on it already, or on a link's challenge of their own choosing
    cid, ch = latest
    with st.container(border=True, key="challenge_banner"):
        st.markdown(f":material/flag: **Your teacher set a challenge: {for_markdown(ch.title)}**")
        row = st.container(horizontal=True)
        row.button("Open the challenge", key="challenge.banner.open", type="primary",
                   on_click=open_challenge, args=(cid,), icon=":material/open_in_new:")  # fmt: skip
        row.button("Not now", key="challenge.banner.hide",
                   on_click=lambda: st.session_state.update({HIDDEN: cid}))  # fmt: skip


def _notice() -> None:
    if note := st.session_state.pop(NOTE, None):
        st.error(for_markdown(note), icon=":material/link_off:")


def _record(checks: list[Check]) -> None:
    """A student's design progress into the class table, when it changed."""
    a = active()
    if not a or not session.enabled() or not is_class_id(a["id"]) or session.is_teacher():
        return
    ok = met(checks) if checks else True
    words = "; ".join(("✓ " if c.met else "✗ ") + c.words for c in checks)
    key = (a["id"], ok, words)
    if st.session_state.get(RECORDED) != key:
        book().record(a["id"], session.me(), met=ok, words=words)
        st.session_state[RECORDED] = key


def design_panel(spec: dict, rows: list[dict]) -> None:
    """On Design: the challenge's targets and how far this design is, or the class's banner."""
    _notice()
    _banner()
    ch = current()
    if ch is None:
        return
    checks = design_checks(ch, spec, rows=rows)
    _record(checks)
    with st.container(border=True, key="challenge_panel"):
        _header(ch, checks)
        _checks_md(checks)
        if ch.min_accuracy is not None:
            st.markdown(
                f":orange[…] {for_markdown(accuracy_words(ch))}: checked when a training "
                "on Train ends"
            )
        row = st.container(horizontal=True)
        row.button("Start again from the challenge", key="challenge.restart",
                   on_click=state.set_spec, args=(ch.spec,), kwargs={"replace": True})  # fmt: skip
        row.button("Leave the challenge", key="challenge.leave", on_click=leave)


def _run_check(job: Any) -> Check | None:
    """The accuracy target on the job's run, once it ended (None while it trains)."""
    from cnnviz.train.store import RunError
    from cnnviz.ui.classroom import run_access

    ch = current()
    if ch is None or job is None or not getattr(job, "done", False):
        return None
    try:
        run = run_access.open_run(str(job.run_id))
    except (RunError, OSError):
        return None
    if run.config.get("challenge") != current_id():
        return None
    return run_check(ch, run.spec, run.train_config, run.status, dataset=run.dataset.get("name"))


def train_panel(job: Any = None) -> None:
    """On Train: the targets, the locks, and the ended run's check."""
    _notice()
    _banner()
    ch = current()
    if ch is None:
        return
    checks = design_checks(ch, state.get_spec())
    ended = _run_check(job) if ch.min_accuracy is not None else None
    with st.container(border=True, key="challenge_panel"):
        _header(ch, checks + ([ended] if ended else []))
        _checks_md(checks)
        if ch.min_accuracy is not None:
            if ended is None:
                st.markdown(f":orange[…] {for_markdown(accuracy_words(ch))}: checked when the "
                            "training ends")  # fmt: skip
            else:
                _checks_md([ended])


__all__ = [
    "allowed_kinds",
    "apply_locks",
    "current",
    "current_id",
    "dataset_locked",
    "design_panel",
    "locked_fields",
    "may_add",
    "open_challenge",
    "sync",
    "train_panel",
]
