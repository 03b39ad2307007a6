"""Class mode pages (AppTest): the join form, the teacher-only page, no server folders for
students, the teacher's limits on Start, My runs / Class gallery, the teacher's design banner."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.ui.classroom import session
from tests.helpers import class_app


@pytest.fixture(autouse=True)
def _class_mode(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CNNVIZ_CLASS", "1")
    monkeypatch.setenv("CNNVIZ_TEACHER_KEY", "page-key")
    monkeypatch.setenv("CNNVIZ_TRAIN_IMAGES", "200")
    session.room.clear()  # a classroom on this test's runs folder
    yield
    from cnnviz.ui.jobs import registry

    for job in registry().live():
        job.stop()
        job.wait(10)
    session.room.clear()


def _texts(at: AppTest) -> str:
    kinds = (
        at.error,
        at.warning,
        at.info,
        at.success,
        at.caption,
        at.markdown,
        at.title,
        at.header,
    )
    return "\n".join(str(e.value) for kind in kinds for e in kind)


def test_join_form_then_signed_in():
    at = class_app()
    assert "Join the class" in _texts(at)
    assert not [b for b in at.button if b.label == "Start training"]
    at.text_input(key="class.join.name").input("Ada")
    at.button[0].click().run()  # the form's Join button
    assert not at.exception
    assert "Welcome, Ada" in _texts(at)  # held until the browser confirms the cookie
    assert at.session_state[session.TOKEN]  # handed to the browser's cookie
    next(b for b in at.button if b.label == "Continue").click().run()  # AppTest runs no JS
    me = at.session_state[session.ME]
    assert me.name == "Ada" and not me.is_teacher
    assert "Signed in as **Ada** (student)" in _texts(at)
    assert at.session_state[session.TOKEN]  # handed to the browser's cookie


def test_wrong_teacher_key_and_name_taken():
    session.room().join("Ada")
    at = class_app()
    at.text_input(key="class.join.name").input("ada")
    at.button[0].click().run()
    assert "already joined as 'Ada'" in _texts(at)  # the name already there
    at.text_input(key="class.join.key").input("nope")
    at.button[1].click().run()
    assert "not the teacher key" in _texts(at)
    assert session.ME not in at.session_state


def test_teacher_page_is_the_teachers():
    student = session.room().join("Bob")
    at = class_app(student, "views/train.py")
    try:  # not in a student's navigation; if AppTest runs the file anyway, it refuses
        at.switch_page("views/teacher.py").run()
    except Exception:  # noqa: BLE001
        pass
    else:
        assert "The class now" not in _texts(at)
    teacher = session.room().unlock_teacher("page-key")
    at = class_app(teacher, "views/teacher.py")
    text = _texts(at)
    assert "The class now" in text and "Leaderboard" in text and "Send to class" in text
    assert "1 students joined" in text or "Bob" in str(at.dataframe[0].value)


def test_students_get_no_server_folders():
    ada = session.room().join("Ada")
    at = class_app(ada, "views/train.py")
    at.selectbox(key="train.data.name").select("mnist").run()
    assert not at.exception
    labels = [t.label for t in at.text_input]
    assert "Data folder" not in labels
    assert not [b for b in at.button if b.label == "Download"]
    assert "ask the teacher to download it" in _texts(at)
    at.selectbox(key="train.data.name").select("own").run()
    assert at.radio(key="train.own.how").options == ["Upload a ZIP"]
    assert "Your upload space: 0 of" in _texts(at)
    # the teacher keeps the folder and Download
    teacher = session.room().unlock_teacher("page-key")
    at = class_app(teacher, "views/train.py")
    at.selectbox(key="train.data.name").select("mnist").run()
    assert "Data folder" in [t.label for t in at.text_input]


def test_start_names_the_limit_and_by_how_much(monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_EPOCHS", "3")
    session.room.clear()
    ada = session.room().join("Ada")
    at = class_app(ada, "views/train.py")
    at.number_input(key="train.cfg.epochs").set_value(5).run()
    start = next(b for b in at.button if b.label == "Start training")
    assert start.disabled
    assert "Start is off: Epochs: 5 is 2 over the class limit of 3." in _texts(at)


def test_runs_mine_first_and_the_gallery(tmp_path):
    from cnnviz.train.store import RunWriter, runs_root

    room = session.room()
    ada, bob = room.join("Ada"), room.join("Bob")
    ids = {}
    for person in (ada, bob):
        w = RunWriter({"input": [1, 8, 8], "layers": []}, label=person.name, root=runs_root())
        room.claim_run(w.id, person)
        ids[person.name] = w.id
    at = class_app(ada, "views/runs.py")
    table = at.dataframe[0].value
    assert list(table["run"]) == [ids["Ada"]] and list(table["owner"]) == ["Ada"]
    # Bob shares his run: Ada sees it in the Class gallery, read-only
    room.share_run(ids["Bob"], bob, True)
    at.segmented_control(key="class.runs.view").set_value("Class gallery").run()
    assert list(at.dataframe[0].value["run"]) == [ids["Bob"]]
    assert "Bob's run: read-only" in _texts(at)
    assert not [b for b in at.button if b.label == "Delete this run"]


def test_teacher_design_banner_opens_only_on_click():
    room = session.room()
    teacher = room.unlock_teacher("page-key")
    sent = {
        "input": [1, 28, 28],
        "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}],
    }
    ada = room.join("Ada")
    at = class_app(ada)
    mine = at.session_state["cnnviz.design.spec"]
    room.send_design(teacher, sent, {"epochs": 7, "preset": ""}, "Two layers")
    at.run()
    assert "Your teacher sent a design: Two layers" in _texts(at)
    assert at.session_state["cnnviz.design.spec"] == mine  # not overwritten by itself
    next(b for b in at.button if b.label == "Open").click().run()
    assert at.session_state["cnnviz.design.spec"]["layers"] == sent["layers"]
    assert at.session_state["train.cfg.epochs"] == 7
    assert "Your teacher sent a design" not in _texts(at)


def test_a_fresh_train_tab_offers_only_your_own_running_training():
    """A student's fresh Train tab offers to watch their own training, not the class's."""
    from cnnviz.train.config import TrainConfig
    from cnnviz.train.request import TrainRequest
    from tests.helpers import TINY_SPEC, tiny_bundle

    room = session.room()
    ada, bob = room.join("Ada"), room.join("Bob")
    entry = room.gate.submit(
        TrainRequest(TINY_SPEC, tiny_bundle(), TrainConfig(epochs=20, device="cpu"), owner=ada.id)
    ).entry
    job = room.queue.job(entry.id)
    assert job is not None and not job.done
    job.pause()  # held, so that it is still live while the three tabs look

    def offered(at: AppTest) -> bool:
        return "A training is running on this server" in _texts(at)

    assert not offered(class_app(bob, "views/train.py"))
    assert offered(class_app(ada, "views/train.py"))
    assert offered(class_app(room.unlock_teacher("page-key"), "views/train.py"))


def test_a_visitors_clear_cache_keeps_the_one_classroom():
    """clear_cache (any client can send it) must not open a second classroom, whose second
    dispatcher would start jobs from the same queue."""
    import streamlit as st

    first = session.room()
    st.cache_resource.clear()
    st.cache_data.clear()
    assert session.room() is first
    session.room.clear()  # what the tests do between classrooms: the dispatcher stops
    assert session.room() is not first
