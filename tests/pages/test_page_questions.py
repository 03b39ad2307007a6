"""Predict, then reveal, in the pages (AppTest): the teacher asks from the Teacher page, a student
sees the question on another page, answers, the teacher's chart counts it (no names), Reveal shows
the app's answer and the student whether they were right."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.classroom.question_kinds import number_right, shape_right
from cnnviz.classroom.questions import Questions
from cnnviz.ui.classroom import session
from tests.helpers import SHAPES28_SPEC, class_app


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
        job.wait(10)
    session.room.clear()


def _texts(at: AppTest) -> str:
    kinds = (at.error, at.warning, at.info, at.success, at.caption, at.markdown)
    return "\n".join(str(e.value) for kind in kinds for e in kind)


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_teacher_asks_student_answers_on_another_page_then_reveal():
    room = session.room()
    teacher = room.unlock_teacher("page-key")
    ada, bob = room.join("Ada"), room.join("Bob")
    room.send_design(teacher, SHAPES28_SPEC, {"epochs": 1, "preset": ""}, "Small net")
    t = class_app(teacher, "views/teacher.py")
    assert "No question is open" in _texts(t)
    t.toggle(key="teacher.q.open").set_value(True).run()
    t.selectbox(key="teacher.q.kind").set_value("shape").run()
    assert not t.exception, t.exception
    _button(t, "Ask the class").click().run()
    assert "Asked: every student sees it" in _texts(t)
    q = Questions(room.db).current()
    assert q is not None and "output shape of layer 1" in q.text

    s = class_app(ada, "views/train.py")  # on whatever page she is
    assert "Your teacher asks:" in _texts(s) and "output shape of layer 1" in _texts(s)
    s.text_input(key=f"class.question.text.{q.id}").input("4 x 26 x 26")
    _button(s, "Answer").click().run()
    assert not s.exception, s.exception
    assert "Answer taken: **4×26×26**" in _texts(s)
    b = class_app(bob, "views/learn.py")
    b.text_input(key=f"class.question.text.{q.id}").input("4x28x28")
    _button(b, "Answer").click().run()
    assert "Ada" not in _texts(b) and "4×26×26" not in _texts(b)  # nobody else's answer

    t.run()
    assert "2 of 2 students answered" in _texts(t)
    chart = t.get("plotly_chart")[0].proto.spec
    assert '"y":[1,1]' in chart.replace(" ", "") and "Ada" not in chart  # counts, no names
    _button(t, "Reveal").click().run()
    assert not t.exception, t.exception
    right = shape_right(SHAPES28_SPEC, 0)
    assert f"The right answer: {right.shown}" in _texts(t)
    assert "(1 of 2 right)" in _texts(t)
    assert right.working[-1].split(" = ")[-1] in _texts(t)  # the formula, filled in

    s.run()
    assert f"The right answer: {right.shown}" in _texts(s)
    assert "You were right" in _texts(s)
    b.run()
    assert "Not this time: you answered 4×28×28" in _texts(b)
    _button(t, "End (off students' pages)").click().run()
    s.run()
    assert "Your teacher asks:" not in _texts(s)


def test_answers_after_the_deadline_are_refused_with_a_message():
    room = session.room()
    teacher = room.unlock_teacher("page-key")
    ada = room.join("Ada")
    room.send_design(teacher, SHAPES28_SPEC, {}, "Small net")
    qs = Questions(room.db)
    q = qs.ask(teacher, "shape", "Shape?", right=shape_right(SHAPES28_SPEC, 0), seconds=30)
    s = class_app(ada, "views/design.py")
    s.text_input(key=f"class.question.text.{q.id}").input("4x26x26")
    room.db.execute("UPDATE questions SET deadline = deadline - 60 WHERE id = ?", (q.id,))
    _button(s, "Answer").click().run()
    assert "Time is up" in _texts(s)
    assert qs.counts(q.id) == []


def test_the_teacher_sees_no_prompt():
    room = session.room()
    teacher = room.unlock_teacher("page-key")
    Questions(room.db).ask(teacher, "number", "How many?", seconds=30, right=number_right(3, 0))
    t = class_app(teacher, "views/design.py")
    assert "Your teacher asks:" not in _texts(t)


def test_the_teachers_text_and_options_are_shown_as_typed():
    from cnnviz.classroom.question_kinds import choice_right
    from cnnviz.text.escape import for_markdown

    room = session.room()
    teacher = room.unlock_teacher("page-key")
    ada = room.join("Ada")
    text, options = "Is **this** [it](https://e.vil)?", ("<b>yes</b>", ":red[no]")
    Questions(room.db).ask(teacher, "choice", text, options=options, seconds=30,
                              right=choice_right(options, options[1]))  # fmt: skip
    s = class_app(ada, "views/runs.py")
    assert for_markdown(text) in _texts(s)
    radio = next(r for r in s.radio if r.key and r.key.startswith("class.question.pick."))
    assert list(radio.options) == [for_markdown(o) for o in options]
