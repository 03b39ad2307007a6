"""The class's challenges in SQLite: only the teacher sets one, progress is kept per student."""

from __future__ import annotations

import pytest

from cnnviz.classroom.challenges import ClassChallenges, is_class_id
from cnnviz.classroom.db import ClassDB
from cnnviz.classroom.errors import RoomError
from cnnviz.classroom.people import Person, Role
from cnnviz.design.challenge import Challenge
from tests.helpers import SHAPES28_SPEC

TEACHER = Person("t1", "Teacher", Role.TEACHER)
ADA = Person("s1", "Ada", Role.STUDENT)
BUDGET = Challenge("Budget", SHAPES28_SPEC, "shapes", max_params=10_000)


@pytest.fixture
def book(tmp_path):
    db = ClassDB(tmp_path / "c.sqlite3")
    yield ClassChallenges(db)
    db.close()


def test_only_the_teacher_sets_a_challenge_and_it_reads_back(book):
    with pytest.raises(RoomError, match="Only the teacher"):
        book.create(ADA, BUDGET)
    with pytest.raises(RoomError):
        book.create(None, BUDGET)
    assert book.latest() is None
    cid = book.create(TEACHER, BUDGET)
    assert is_class_id(cid) and book.get(cid) == BUDGET and book.latest() == (cid, BUDGET)
    later = book.create(TEACHER, Challenge("Two", SHAPES28_SPEC, max_params=5))
    assert book.latest()[0] == later != cid
    ClassChallenges(book.db)  # opening the tables again keeps what is there
    assert book.get(cid) == BUDGET


@pytest.mark.parametrize("bad", ["0", "-1", "1; DROP TABLE people", "a", "", "1" * 12])
def test_an_id_that_is_not_a_row_number_is_never_looked_up(book, bad):
    assert not is_class_id(bad)
    assert book.get(bad) is None and book.progress(bad) == {}


def test_a_damaged_row_reads_as_no_challenge(book):
    cid = book.create(TEACHER, BUDGET)
    book.db.execute("UPDATE challenges SET body = ? WHERE id = ?", ('{"title": 3}', int(cid)))
    assert book.get(cid) is None and book.latest() is None


def test_progress_is_one_row_per_student_replaced_as_they_edit(book):
    cid = book.create(TEACHER, BUDGET)
    book.record(cid, ADA, met=False, words="✗ 12,000 parameters of 10,000 allowed")
    book.record(cid, ADA, met=True, words="✓ 9,000 parameters of 10,000 allowed")
    book.record(cid, None, met=True, words="nobody")
    got = book.progress(cid)
    assert list(got) == ["s1"] and got["s1"].met and got["s1"].words.startswith("✓ 9,000")
