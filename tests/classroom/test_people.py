"""Joining: names are checked, unique per class, the class code and the teacher key are required."""

from __future__ import annotations

import pytest

from cnnviz.classroom.people import JoinError, Role
from cnnviz.classroom.room import Classroom, new_teacher_key
from cnnviz.train.jobs import JobRegistry


def test_join_and_unique_names(room):
    ada = room.join("  Ada   Lovelace ")
    assert ada.name == "Ada Lovelace" and ada.role is Role.STUDENT and ada.id.startswith("s-")
    with pytest.raises(JoinError, match="already joined"):
        room.join("ada lovelace")
    for bad, words in [("", "Type your name"), ("x" * 41, "at most 40"), ("<script>", "letters")]:
        with pytest.raises(JoinError, match=words):
            room.join(bad)
    assert [p.name for p in room.students()] == ["Ada Lovelace"]


def test_class_code(tmp_path):
    room = Classroom.open(
        tmp_path, JobRegistry(), environ={"CNNVIZ_CLASS_CODE": "owl"}, dispatcher=False
    )
    try:
        with pytest.raises(JoinError, match="class code"):
            room.join("Ada", "cat")
        assert room.join("Ada", " owl ").name == "Ada"
    finally:
        room.close()


def test_teacher_key(room):
    with pytest.raises(JoinError, match="teacher key"):
        room.unlock_teacher("guess")
    t = room.unlock_teacher("key-123")
    assert t.is_teacher and room.unlock_teacher("key-123") == t  # one teacher record


def test_generated_key_is_remembered(tmp_path):
    a = Classroom.open(tmp_path, JobRegistry(), environ={}, dispatcher=False)
    assert a.key_generated and len(a.teacher_key) == 14
    b = Classroom.open(tmp_path, JobRegistry(), environ={}, dispatcher=False)
    assert not b.key_generated and b.teacher_key == a.teacher_key
    a.close()
    b.close()
    assert new_teacher_key() != new_teacher_key()
