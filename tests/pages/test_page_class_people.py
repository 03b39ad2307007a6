"""Who is in the class, seen from the pages (AppTest): the join form's refusals (tries per
computer, look-alike and reserved names, closed joining, a full class, a full disk), Sign out
and removal ending a browser's sign-in, the hidden teacher key, and a student's uploads."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz.classroom import disk
from cnnviz.classroom import uploads as class_uploads
from cnnviz.classroom.entries import EntryState
from cnnviz.ui.classroom import session
from tests.helpers import class_app


@pytest.fixture(autouse=True)
def _class_mode(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CNNVIZ_CLASS", "1")
    monkeypatch.setenv("CNNVIZ_TEACHER_KEY", "page-key")
    monkeypatch.setenv("CNNVIZ_TRAIN_IMAGES", "200")
    session.room.clear()
    yield
    from cnnviz.ui.jobs import registry

    for job in registry().live():
        job.stop()
        job.wait(30)
    session.room.clear()


def _texts(at: AppTest) -> str:
    kinds = (at.error, at.warning, at.info, at.success, at.caption, at.markdown, at.title)
    return "\n".join(str(e.value) for kind in kinds for e in kind)


def _everything(at: AppTest) -> str:
    """Every text the page shows, widgets' values included."""
    parts = [_texts(at), *(str(c.value) for c in at.code), *(str(t.value) for t in at.text)]
    parts += [str(t.value) for t in at.text_input]
    return "\n".join(parts)


def _join(at: AppTest, name: str) -> AppTest:
    at.text_input(key="class.join.name").input(name)
    next(b for b in at.button if b.label == "Join").click().run()
    assert not at.exception, at.exception
    return at


def _signed_in(at: AppTest):
    if any(b.label == "Continue" for b in at.button):  # AppTest runs no JS: no cookie word
        next(b for b in at.button if b.label == "Continue").click().run()
    return at.session_state[session.ME] if session.ME in at.session_state else None  # noqa: SIM401


def test_joins_and_wrong_keys_from_one_computer_are_limited():
    for name in ("Ada", "Bob", "Cy"):  # three browsers on this computer
        assert _signed_in(_join(class_app(), name)).name == name
    at = _join(class_app(), "Dee")
    assert "Too many tries from this computer: try again in" in _texts(at)
    assert session.ME not in at.session_state
    assert [p.name for p in session.room().students()] == ["Ada", "Bob", "Cy"]
    at = class_app()
    for _ in range(5):
        at.text_input(key="class.join.key").input("guess")
        next(b for b in at.button if b.label == "Unlock the teacher's view").click().run()
        assert "not the teacher key" in _texts(at)
    at.text_input(key="class.join.key").input("page-key")
    next(b for b in at.button if b.label == "Unlock the teacher's view").click().run()
    assert "Too many tries from this computer: try again in" in _texts(at)
    assert session.ME not in at.session_state


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Аda", "mixes alphabets"),  # a Cyrillic А
        ("Ａｄａ", "already joined as 'Ada'"),
        ("teacher", "kept for the server or the teacher"),
    ],
)
def test_look_alike_and_reserved_names_are_refused_on_the_form(name, words):
    session.room().join("Ada")
    at = _join(class_app(), name)
    assert words in _texts(at)
    assert session.ME not in at.session_state
    assert len(session.room().students()) == 1


def test_sign_out_ends_the_sign_in_so_the_old_cookie_is_refused(monkeypatch):
    at = _join(class_app(), "Ada")
    assert _signed_in(at).name == "Ada"
    token = at.session_state[session.HELD]
    monkeypatch.setattr(session, "cookie_token", lambda: token)  # a new tab with the cookie
    assert "Signed in as **Ada**" in _texts(class_app())
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert "Join the class" in _texts(at)
    again = class_app()  # the same cookie, presented after Sign out (the browser kept a copy)
    assert "Join the class" in _texts(again)
    assert "You were signed out: join again." in _texts(again)
    assert session.ME not in again.session_state


def test_the_teacher_removes_a_name_signed_out_at_once_queued_job_cancelled(monkeypatch):
    from tests.classroom.test_queue import submit

    monkeypatch.setenv("CNNVIZ_MAX_JOBS", "1")
    monkeypatch.setenv("CNNVIZ_MAX_EPOCHS", "1000")
    session.room.clear()
    room = session.room()
    ada, bob = room.join("Ada"), room.join("Bob")
    monkeypatch.setattr(session, "cookie_token", lambda: room.token_for(bob))
    bob_tab = class_app()
    assert "Signed in as **Bob**" in _texts(bob_tab)
    submit(room, ada)  # Ada trains; Bob waits
    waiting = submit(room, bob)
    assert room.queue.entry(waiting.id).state is EntryState.WAITING
    teacher = class_app(room.unlock_teacher("page-key"), "views/teacher.py")
    teacher.selectbox(key="teacher.remove.who").select(bob.id).run()
    next(b for b in teacher.button if b.label == "Remove Bob").click().run()
    assert not teacher.exception
    assert room.queue.entry(waiting.id).state is EntryState.CANCELLED
    assert [p.name for p in room.students()] == ["Ada"]
    bob_tab.run()  # Bob's open tab, on its next click
    assert "Join the class" in _texts(bob_tab)
    assert "The teacher removed this name from the class." in _texts(bob_tab)
    assert "Join the class" in _texts(class_app())  # and his cookie in a new tab


def test_teacher_closes_joining_and_sets_the_class_size():
    room = session.room()
    teacher = class_app(room.unlock_teacher("page-key"), "views/teacher.py")
    teacher.toggle(key="teacher.joining").set_value(False).run()
    assert not room.joining_open()
    at = class_app()
    assert "closed joining" in _texts(at)
    assert "closed joining" in _texts(_join(at, "Ada")) and not room.students()
    teacher.toggle(key="teacher.joining").set_value(True).run()
    teacher.number_input(key="teacher.limit.class_size").set_value(1)
    next(b for b in teacher.button if b.label == "Save limits").click().run()
    assert room.limits().class_size == 1
    assert _signed_in(_join(class_app(), "Ada")).name == "Ada"
    assert "The class is full (1 student)" in _texts(_join(class_app(), "Bob"))


def test_the_teacher_key_is_hidden_until_revealed():
    teacher = class_app(session.room().unlock_teacher("page-key"), "views/teacher.py")
    assert "Teacher" in _texts(teacher)
    assert "page-key" not in _everything(teacher)
    teacher.toggle(key="teacher.key.show").set_value(True).run()
    assert "page-key" in [c.value for c in teacher.code]


def test_under_the_disk_floor_join_says_so_and_writes_nothing(monkeypatch):
    monkeypatch.setattr(disk, "free_bytes", lambda path: 50 * 2**20)
    at = _join(class_app(), "Ada")
    assert "The server's disk is almost full (50 MB free" in _texts(at)
    assert not session.room().students() and session.ME not in at.session_state


def test_a_full_class_database_is_a_message_on_the_join_form():
    from cnnviz.classroom.errors import StorageError
    from cnnviz.classroom.limits import Limits

    room = session.room()
    t = room.unlock_teacher("page-key")
    room.set_limits(t, Limits.from_dict({"class_size": 10_000}, room.limits()))
    conn = room.db._conn
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(StorageError):
        for i in range(5000):
            room.join(f"Student {i:04d}")
    at = _join(class_app(), "Zoe Zimmermann-Zapata")
    assert "The server's disk is full, so nothing was saved" in _texts(at)
    assert session.ME not in at.session_state


def _class_zip(seed: int = 0, n: int = 4) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(n):
            png = io.BytesIO()
            Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(png, "PNG")
            zf.writestr(f"pets/{'cats' if i % 2 else 'dogs'}/{i}.png", png.getvalue())
    return buf.getvalue()


def _own_images(at: AppTest) -> AppTest:
    at.selectbox(key="train.data.name").select("own").run()
    assert not at.exception, at.exception
    return at


def test_a_student_deletes_an_upload_and_gets_the_space_back(monkeypatch):
    ada = session.room().join("Ada")
    folder = class_uploads.student_folder(session.room().runs_root, ada.id)
    at = _own_images(class_app(ada, "views/train.py"))
    at.file_uploader(key="train.own.zip").upload("pets.zip", _class_zip(), "application/zip")
    at.run()
    assert not at.exception, at.exception
    assert "Your upload space: 4 of" in _texts(at)
    assert any(t.value.startswith("pets.zip · 4 files") for t in at.text)
    next(b for b in at.button if b.label == "Delete").click().run()
    assert not at.exception, at.exception
    assert class_uploads.usage(folder).files == 0  # not unpacked again from the upload box
    assert "Your upload space: 0 of" in _texts(at)
    assert "You deleted pets.zip from the server" in _texts(at)
    at.file_uploader(key="train.own.zip").upload("pets.zip", _class_zip(), "application/zip")
    at.run()  # the same ZIP, uploaded again: welcome back
    assert class_uploads.usage(folder).files == 4


def test_an_upload_over_the_hourly_budget_is_refused_and_leaves_nothing(monkeypatch):
    monkeypatch.setenv("CNNVIZ_UPLOADS_SESSION_MB", "0.01")  # 4 × 32×32×3 = 12 KB decoded
    ada = session.room().join("Ada")
    at = _own_images(class_app(ada, "views/train.py"))
    at.file_uploader(key="train.own.zip").upload("pets.zip", _class_zip(), "application/zip")
    at.run()
    assert not at.exception, at.exception
    assert "one person may upload in an hour" in _texts(at)
    assert not (session.room().runs_root / class_uploads.FOLDER_NAME).exists()


def test_under_the_disk_floor_start_says_so_and_queues_nothing(monkeypatch):
    ada = session.room().join("Ada")
    at = class_app(ada, "views/train.py")
    monkeypatch.setattr(disk, "free_bytes", lambda path: 50 * 2**20)
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception, at.exception
    # the gate checks the disk before Start: the button is off and says why
    assert "Start is off: The server's disk is almost full (50 MB free" in _texts(at)
    assert next(b for b in at.button if b.label == "Start training").disabled
    assert session.room().queue.entries() == []


def test_a_cookie_from_before_the_upgrade_is_renewed_with_a_sign_in(monkeypatch):
    from cnnviz.classroom.tokens import make_token

    room = session.room()
    ada = room.join("Ada")
    old = make_token(ada.id, room._secret, ttl_s=3600)
    monkeypatch.setattr(session, "cookie_token", lambda: old)
    at = class_app()
    assert _signed_in(at).name == "Ada"  # still signed in after the server's upgrade
    new = at.session_state[session.HELD]
    assert new != old and room.signin_of(new)  # the cookie now names a sign-in
