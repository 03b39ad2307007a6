"""Predict, then reveal: the teacher's questions to the class, their answers and reveals (SQLite).

One question is the class's at a time (the newest one not ended). The teacher asks
it with a time to answer; every student answers once, and may change the answer
until the time is up (the last one counts); after the deadline an answer is
refused with a message. *Reveal* closes it and shows the right answer, which the
app worked out (``cnnviz.classroom.question_kinds``) when it was asked, or, for an
experiment question, once the experiment (the teacher's, through the submission
gate) has ended: the question is *revealing* meanwhile. Rounds stay in the
database; ``csv_text()`` is who answered what::

    qs = Questions(room.db)
    q = qs.ask(teacher, QuestionKind.SHAPE, "Output of layer 1?", right=shape_right(spec, 0),
               seconds=60)
    qs.answer(q.id, ada, "6x62x62")      # QuestionError after the deadline
    qs.counts(q.id)                       # [("6×62×62", 1)]: counts, no names
    qs.reveal(q.id, teacher)              # then qs.mine(ada) says whether Ada was right

Reads are one small query each: students' pages poll ``latest_for(student)``.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cnnviz.classroom.db import ClassDB
from cnnviz.classroom.people import Person, Role
from cnnviz.classroom.question_kinds import (
    QuestionError,
    QuestionKind,
    Right,
    experiment_right,
    normalize,
)

MAX_SECONDS = 3600
MAX_TEXT = 300
MAX_OPTIONS = 8


class QState(StrEnum):
    OPEN = "open"  # answers taken until the deadline
    REVEALING = "revealing"  # closed; the experiment that answers it is training
    REVEALED = "revealed"
    ENDED = "ended"  # no longer on students' pages


@dataclass(frozen=True)
class Question:
    id: int
    kind: QuestionKind
    text: str
    options: tuple[str, ...]
    setup: dict[str, Any]
    right: Right | None  # shown to students only once revealed
    state: QState
    asked: float
    deadline: float
    revealed: float | None = None
    experiment: str | None = None

    def taking_answers(self, now: float | None = None) -> bool:
        return self.state is QState.OPEN and (time.time() if now is None else now) < self.deadline

    def seconds_left(self, now: float | None = None) -> int:
        left = self.deadline - (time.time() if now is None else now)
        return max(0, int(left + 0.999)) if self.state is QState.OPEN else 0

    @property
    def shown(self) -> bool:
        """The right answer may be shown (to everyone)."""
        return self.state is QState.REVEALED and self.right is not None


def _question(row: dict[str, Any]) -> Question:
    return Question(
        int(row["id"]),
        QuestionKind(row["kind"]),
        str(row["text"]),
        tuple(json.loads(row["options"] or "[]")),
        dict(json.loads(row["setup"] or "{}")),
        Right.from_dict(json.loads(row["right"])) if row.get("right") else None,
        QState(row["state"]),
        float(row["asked"]),
        float(row["deadline"]),
        None if row.get("revealed") is None else float(row["revealed"]),
        row.get("experiment"),
    )


def _teacher(person: Person | None, what: str) -> None:
    if person is None or not person.is_teacher:
        raise QuestionError(f"Only the teacher can {what}.")


class Questions:
    """The class's questions and answers, in the classroom's database."""

    def __init__(self, db: ClassDB) -> None:
        self.db = db  # its tables are in the class database's schema (classroom.db)

    # -- the teacher ---------------------------------------------------------------------
    def ask(
        self,
        person: Person | None,
        kind: QuestionKind | str,
        text: str,
        *,
        seconds: float,
        right: Right | None = None,
        options: tuple[str, ...] | list[str] = (),
        setup: dict[str, Any] | None = None,
        now: float | None = None,
    ) -> Question:
        """A new question for the class; the one before it ends (off students' pages)."""
        _teacher(person, "ask the class a question")
        kind = QuestionKind(kind)
        text = " ".join(str(text or "").split())[:MAX_TEXT]
        if not text:
            raise QuestionError("Type the question first.")
        opts = tuple(" ".join(str(o).split())[:80] for o in options if str(o).strip())
        if len(opts) > MAX_OPTIONS:
            raise QuestionError(f"At most {MAX_OPTIONS} options.")
        if len({o.casefold() for o in opts}) != len(opts):
            raise QuestionError("Two options read the same: make each one different.")
        if (
            kind in (QuestionKind.CHOICE, QuestionKind.LINEAR, QuestionKind.EXPERIMENT)
            and len(opts) < 2
        ):
            raise QuestionError("Give at least two options to choose from.")
        if right is None and kind is not QuestionKind.EXPERIMENT:
            raise QuestionError("This question needs its right answer worked out first.")
        if not 5 <= float(seconds) <= MAX_SECONDS:
            raise QuestionError(f"The time to answer must be 5 to {MAX_SECONDS} seconds.")
        now = time.time() if now is None else now
        self.db.execute(
            "UPDATE questions SET state = ? WHERE state != ?", (QState.ENDED, QState.ENDED)
        )
        cur = self.db.execute(
            "INSERT INTO questions (kind, text, options, setup, right, state, asked, deadline) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(kind), text, json.dumps(list(opts)), json.dumps(setup or {}),
                None if right is None else json.dumps(right.to_dict()),
                QState.OPEN, now, now + float(seconds),
            ),
        )  # fmt: skip
        return self.get(int(cur.lastrowid))  # type: ignore[return-value]

    def close(self, qid: int, person: Person | None, now: float | None = None) -> None:
        """No more answers from now on."""
        _teacher(person, "close a question")
        now = time.time() if now is None else now
        self.db.execute(
            "UPDATE questions SET deadline = MIN(deadline, ?) WHERE id = ?", (now, int(qid))
        )

    def reveal(self, qid: int, person: Person | None, now: float | None = None) -> Question:
        """Closed, and the right answer shown to all (a question the app answered when asked)."""
        _teacher(person, "reveal the answer")
        q = self._need(qid)
        if q.right is None:
            raise QuestionError("Its answer is still being worked out (the experiment trains).")
        now = time.time() if now is None else now
        self.db.execute(
            "UPDATE questions SET state = ?, revealed = ?, deadline = MIN(deadline, ?) "
            "WHERE id = ? AND state IN (?, ?)",
            (QState.REVEALED, now, now, int(qid), QState.OPEN, QState.REVEALING),
        )
        return self._need(qid)

    def revealing(self, qid: int, person: Person | None, experiment_id: str) -> Question:
        """Closed while the experiment ``experiment_id`` trains; ``settle`` reveals it."""
        _teacher(person, "reveal the answer")
        now = time.time()
        self.db.execute(
            "UPDATE questions SET state = ?, experiment = ?, deadline = MIN(deadline, ?) "
            "WHERE id = ? AND state = ?",
            (QState.REVEALING, experiment_id, now, int(qid), QState.OPEN),
        )
        return self._need(qid)

    def settle(self, qid: int, right: Right) -> bool:
        """The experiment ended: its right answer, revealed. False when already settled."""
        cur = self.db.execute(
            "UPDATE questions SET state = ?, right = ?, revealed = ? WHERE id = ? AND state = ?",
            (QState.REVEALED, json.dumps(right.to_dict()), time.time(), int(qid), QState.REVEALING),
        )
        return cur.rowcount > 0

    def settle_experiment(self, q: Question, experiment: Any) -> Question:
        """A revealing question whose experiment (an ``ExperimentRun``) has ended: revealed
        with the arm that reached the highest test accuracy. Safe to call from every poll."""
        if q.state is not QState.REVEALING or experiment is None or not experiment.done:
            return q
        if experiment.error:
            right = Right(shown="the experiment failed", working=(str(experiment.error),))
        else:
            right = experiment_right(experiment.arm_results(), experiment.reading)
        self.settle(q.id, right)
        return self._need(q.id)

    def end(self, qid: int, person: Person | None) -> None:
        """Off students' pages (kept for the CSV)."""
        _teacher(person, "end a question")
        self.db.execute("UPDATE questions SET state = ? WHERE id = ?", (QState.ENDED, int(qid)))

    # -- students ------------------------------------------------------------------------
    def answer(self, qid: int, person: Person | None, text: str, now: float | None = None) -> str:
        """The student's answer (stored normalized; a later one replaces it until the deadline)."""
        if person is None or person.role is not Role.STUDENT:
            raise QuestionError("Only students answer the class's questions.")
        q = self.get(qid)
        if q is None or q.state is QState.ENDED:
            raise QuestionError("This question has ended.")
        now = time.time() if now is None else now
        if not q.taking_answers(now):
            raise QuestionError(
                "Time is up: answers closed "
                + ("when the teacher revealed it." if q.state is not QState.OPEN else
                   f"{now - q.deadline:.0f} s ago. Your answer was not counted.")
            )  # fmt: skip
        value = normalize(q.kind, text, q.options)
        self.db.execute(
            "INSERT OR REPLACE INTO answers (question, student, answer, answered) VALUES (?, ?, ?, ?)",
            (q.id, person.id, value, now),
        )
        return value

    def latest_for(self, student_id: str) -> tuple[Question | None, str | None]:
        """The class's question now (or None) and this student's answer to it: one query."""
        row = self.db.row(
            "SELECT q.*, a.answer AS mine FROM questions q LEFT JOIN answers a "
            "ON a.question = q.id AND a.student = ? WHERE q.state != ? ORDER BY q.id DESC LIMIT 1",
            (student_id, QState.ENDED),
        )
        if row is None:
            return None, None
        return _question(row), row.get("mine")

    # -- reading -------------------------------------------------------------------------
    def get(self, qid: int) -> Question | None:
        row = self.db.row("SELECT * FROM questions WHERE id = ?", (int(qid),))
        return None if row is None else _question(row)

    def _need(self, qid: int) -> Question:
        q = self.get(qid)
        if q is None:
            raise QuestionError("There is no such question.")
        return q

    def current(self) -> Question | None:
        """The newest question not ended."""
        row = self.db.row(
            "SELECT * FROM questions WHERE state != ? ORDER BY id DESC LIMIT 1", (QState.ENDED,)
        )
        return None if row is None else _question(row)

    def all(self) -> list[Question]:
        return [_question(r) for r in self.db.rows("SELECT * FROM questions ORDER BY id")]

    def counts(self, qid: int) -> list[tuple[str, int]]:
        """How many gave each answer, most given first: counts, no names."""
        rows = self.db.rows(
            "SELECT answer, COUNT(*) AS n FROM answers WHERE question = ? GROUP BY answer "
            "ORDER BY n DESC, answer",
            (int(qid),),
        )
        return [(str(r["answer"]), int(r["n"])) for r in rows]

    def right_count(self, q: Question) -> int:
        if q.right is None:
            return 0
        return sum(n for a, n in self.counts(q.id) if q.right.is_right(a))

    def csv_text(self) -> str:
        """Who answered what, every round: round, question, kind, student, answer, right,
        answered_at (UTC). ``right`` is empty until the question was revealed."""
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["round", "question", "kind", "student", "answer", "right", "answered_at"])
        questions = {q.id: q for q in self.all()}
        rows = self.db.rows(
            "SELECT a.*, p.name FROM answers a LEFT JOIN people p ON p.id = a.student "
            "ORDER BY a.question, p.name, a.student"
        )
        for r in rows:
            q = questions.get(int(r["question"]))
            if q is None:
                continue
            right = (
                ""
                if q.revealed is None or q.right is None
                else ("yes" if q.right.is_right(r["answer"]) else "no")
            )
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(r["answered"])))
            w.writerow([q.id, _cell(q.text), str(q.kind), _cell(r.get("name") or ""),
                        _cell(r["answer"]), right, when])  # fmt: skip
        return out.getvalue()


def _cell(text: str) -> str:
    """Text a spreadsheet would read as a formula (=, +, @, -) starts with an apostrophe."""
    text = str(text)
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not _number(text)):
        return "'" + text
    return text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


__all__ = ["QState", "Question", "Questions"]
