"""Who this browser is, on a class server (``CNNVIZ_CLASS=1``).

``room()`` is the server's one ``Classroom`` (a process-wide singleton, beside the
job registry). ``me()`` is the signed-in ``Person`` or None: the session
remembers it, and a new session (a refresh, a new tab) reads the signed token
from the ``cnnviz_token`` cookie (``st.context.cookies``). The cookie is set by
a tiny custom component after joining; it never appears in a URL, so a design
share link (``?net=``) or a job link (``?job=``) carries no identity, and editing
the URL cannot make anyone someone else.

Every run checks the sign-in again (``Classroom.check_signed_in``, one indexed
read): Sign out, Sign out everywhere and the teacher removing a name end a
session at once, in every tab, not only in the browser that clicked.
"""

from __future__ import annotations

import threading

import streamlit as st

from cnnviz.classroom.mode import class_mode
from cnnviz.classroom.people import Person
from cnnviz.classroom.room import COOKIE, Classroom
from cnnviz.classroom.tokens import TokenError
from cnnviz.train.store import runs_root
from cnnviz.ui import jobs as jobs_ui

ME = "cnnviz.class.me"  # the signed-in Person
TOKEN = "cnnviz.class.token"  # their token, until the browser's cookie holds it
NOTE = "cnnviz.class.note"  # why an old sign-in was not accepted
HELD = "cnnviz.class.held"  # the token this session signed in with (Sign out takes it back)

_COOKIE_JS = """
export default function({ data, setStateValue }) {
  if (!data) return;
  const secure = location.protocol === "https:" ? "; Secure" : "";
  if (data.token) {
    document.cookie = `${data.name}=${data.token}; path=/; max-age=${data.max_age}; SameSite=Strict${secure}`;
  } else {
    document.cookie = `${data.name}=; path=/; max-age=0; SameSite=Strict${secure}`;
  }
  setStateValue("written", data.token);  // tells the server the cookie is in place
}
"""
_cookie = st.components.v2.component("cnnviz_class_cookie", html="<span></span>", js=_COOKIE_JS)


def enabled() -> bool:
    """True on a class server."""
    return class_mode()


_ROOM_LOCK = threading.Lock()
_ROOM: Classroom | None = None


def room() -> Classroom:
    """The server's classroom: database in the runs folder, the registry's queue.

    A plain module-level singleton, outside Streamlit's caches (as the job registry):
    any client can send ``clear_cache`` over the websocket, and that must not open a
    second classroom, with a second dispatcher starting jobs from the same queue.
    """
    global _ROOM
    with _ROOM_LOCK:
        if _ROOM is None:
            _ROOM = Classroom.open(runs_root(), jobs_ui.registry())
            if _ROOM.key_generated:
                print(
                    f"cnnviz class mode: the teacher key is  {_ROOM.teacher_key}  "
                    "(set CNNVIZ_TEACHER_KEY to choose your own)",
                    flush=True,
                )
        return _ROOM


def _forget_room() -> None:
    """Close the classroom (its dispatcher stops); the next ``room()`` opens it again
    (tests: on their own runs folder)."""
    global _ROOM
    with _ROOM_LOCK:
        if _ROOM is not None:
            _ROOM.close()
        _ROOM = None


room.clear = _forget_room  # type: ignore[attr-defined]  # as a cached function's .clear()


def cookie_token() -> str | None:
    """The signed token this browser's cookie holds (None without one)."""
    return st.context.cookies.get(COOKIE)


def client() -> str:
    """This browser's address as the server sees it ("" for this computer): the key of
    its tries (``cnnviz.classroom.attempts``). A proxy in front of the server makes every
    browser one client; Streamlit does not trust X-Forwarded-For, and neither do we."""
    try:
        return str(st.context.ip_address or "")
    except Exception:  # outside a browser session (bare mode)
        return ""


def _signin_of(token: str | None) -> str | None:
    return room().signin_of(token) if token else None


def _drop(message: str) -> None:
    st.session_state.pop(ME, None)
    st.session_state.pop(HELD, None)
    st.session_state[NOTE] = message
    st.session_state[TOKEN] = ""  # clear the cookie too


def me() -> Person | None:
    """The signed-in person of this session (None outside class mode or before joining)."""
    if not enabled():
        return None
    person = st.session_state.get(ME)
    if person is not None:
        try:  # still in the class, and this sign-in not signed out (in any tab)
            room().check_signed_in(person, _signin_of(st.session_state.get(HELD)))
        except TokenError as e:
            _drop(str(e))
            return None
        return person
    if st.session_state.get(TOKEN) == "":  # signed out (or a bad cookie) in this session
        return None
    token = cookie_token()
    if token:
        try:
            person = room().person_from_token(token)
        except TokenError as e:
            _drop(str(e))
            return None
        st.session_state[ME] = person
        st.session_state[HELD] = token
        if not room().signin_of(token):  # a token from before sign-ins were kept: renewed
            sign_in(person)
    return person


def sign_in(person: Person) -> None:
    """Remember ``person`` in this session and, through the cookie, in the next ones."""
    token = room().token_for(person)
    st.session_state[ME] = person
    st.session_state[TOKEN] = token
    st.session_state[HELD] = token


def sign_out() -> None:
    """End this sign-in on the server (its token is refused from now on) and here."""
    held = st.session_state.get(HELD)
    if held:
        room().sign_out(held)  # first: if the database cannot be written, nothing changes here
    st.session_state.pop(HELD, None)
    st.session_state.pop(ME, None)
    st.session_state[TOKEN] = ""


def sign_out_everywhere() -> None:
    """End every sign-in of this person, on every browser, then here."""
    person = st.session_state.get(ME)
    if person is not None:
        room().sign_out_everywhere(person)
    sign_out()


def is_teacher() -> bool:
    p = me()
    return p is not None and p.is_teacher


def is_student() -> bool:
    """A student on a class server: no server folders, limits apply."""
    p = me()
    return enabled() and (p is None or not p.is_teacher)


def write_cookie() -> bool:
    """Hand a just-made (or cleared) token to the browser's cookie; call once per run.

    Drawn on every run until the browser says it has written the cookie (the
    component's ``written`` state). Returns True while a new sign-in is still
    waiting for that word, so the app can hold the pages until the next tab, or a
    refresh, is sure to find the cookie.
    """
    token = st.session_state.get(TOKEN)
    if token is None:
        return False
    if token == cookie_token():
        st.session_state.pop(TOKEN, None)
        return False
    with st.container(key="class_cookie", height=1, border=False):
        result = _cookie(
            key="cnnviz_class_cookie",
            data={"name": COOKIE, "token": token, "max_age": int(room().token_ttl_s)},
            default={"written": None},
            on_written_change=lambda: None,
            width=1,
            height=1,
        )
    if getattr(result, "written", None) == token and token:
        st.session_state.pop(TOKEN, None)
        return False
    return bool(token)
