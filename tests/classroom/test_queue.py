"""The fair queue: first in first out, one job per student, limits, cancel and move, by itself."""

from __future__ import annotations

import time

import pytest

from cnnviz.classroom.entries import EntryState, QueueRefused, estimate_start, ordinal
from cnnviz.classroom.limits import Limits
from cnnviz.classroom.ownership import NotAllowed
from cnnviz.classroom.room import Classroom
from cnnviz.train.config import TrainConfig
from cnnviz.train.jobs import JobRegistry
from cnnviz.train.request import TrainRequest
from tests.helpers import TINY_SPEC, tiny_bundle

LONG = TrainConfig(epochs=200, batch_size=16, lr=0.01, device="cpu")  # runs until stopped
SHORT = TrainConfig(epochs=1, batch_size=64, lr=0.01, device="cpu")
BUNDLE = tiny_bundle()


def wait_for(cond, timeout: float = 300.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def submit(room, person, config=LONG, spec=TINY_SPEC):
    """Through the gate, as every page does: limits, the per-student cap, the queue, the owner."""
    request = TrainRequest(spec, BUNDLE, config, owner=person.id, runs_root=room.runs_root)
    return room.gate.submit(request).entry


def end_job(room, entry_id):
    job = room.queue.job(entry_id)
    job.stop()
    assert job.wait(600)


def test_fifo_and_places(room):
    a, b, c = room.join("Ada"), room.join("Bob"), room.join("Cy")
    ea, eb, ec = submit(room, a), submit(room, b), submit(room, c)
    assert room.queue.entry(ea.id).state is EntryState.STARTED  # cap 1: Ada runs
    assert room.queue.job(ea.id) is not None and room.queue.job(ea.id).id == ea.id
    assert [room.queue.place(e.id) for e in (ea, eb, ec)] == [None, 1, 2]
    assert room.queue.job(eb.id) is None
    end_job(room, ea.id)
    started = room.queue.dispatch()
    assert [j.id for j in started] == [eb.id]
    assert room.queue.place(ec.id) == 1
    end_job(room, eb.id)
    assert [j.id for j in room.queue.dispatch()] == [ec.id]
    order = sorted(room.queue.entries(), key=lambda e: e.started)
    assert [e.owner_name for e in order] == ["Ada", "Bob", "Cy"]
    # the run belongs to the student who started the job
    assert room.run_owner(room.queue.job(ec.id).run_id)["owner"] == c.id


def test_one_job_per_student_unless_the_teacher_allows_more(room):
    a, t = room.join("Ada"), room.unlock_teacher("key-123")
    submit(room, a)
    with pytest.raises(QueueRefused, match="Jobs per student: you already have 1 training"):
        submit(room, a)
    room.set_limits(t, Limits.from_dict({"jobs_per_student": 2}, room.limits()))
    assert submit(room, a).state is EntryState.WAITING
    submit(room, t)
    submit(room, t)  # the teacher is not limited per student


def test_queue_length_and_job_limits(room):
    t = room.unlock_teacher("key-123")
    a, b, c = room.join("Ada"), room.join("Bob"), room.join("Cy")
    submit(room, a)  # runs until the end of the test
    room.set_limits(t, Limits.from_dict({"queue_length": 1, "max_epochs": 5}, room.limits()))
    submit(room, b, TrainConfig(epochs=5, device="cpu"))
    with pytest.raises(QueueRefused, match="Queue length: 1 jobs are already waiting"):
        submit(room, c, TrainConfig(epochs=5, device="cpu"))
    room.set_limits(t, Limits.from_dict({"max_params": 10}, room.limits()))
    with pytest.raises(QueueRefused) as e:
        submit(room, c, TrainConfig(epochs=8, device="cpu"))
    text = str(e.value)
    assert "Epochs: 8 is 3 over the class limit of 5" in text and "Network parameters" in text
    with pytest.raises(ValueError, match="Only the teacher"):
        room.set_limits(a, Limits())


def test_cancel_and_move(room):
    a, b, c, d = (room.join(n) for n in ("Ada", "Bob", "Cy", "Di"))
    t = room.unlock_teacher("key-123")
    submit(room, a)
    eb, ec, ed = submit(room, b), submit(room, c), submit(room, d)
    with pytest.raises(NotAllowed, match="Bob's: only its owner or the teacher can cancel"):
        room.queue.cancel(eb.id, c)
    with pytest.raises(NotAllowed, match="Only the teacher can move"):
        room.queue.move(ed.id, 1, d)
    room.queue.move(ed.id, 1, t)
    assert [e.owner_name for e in room.queue.waiting()] == ["Di", "Bob", "Cy"]
    room.queue.move(ed.id, 9, t)
    assert [e.owner_name for e in room.queue.waiting()] == ["Bob", "Cy", "Di"]
    room.queue.cancel(eb.id, b)  # the owner
    room.queue.cancel(ec.id, t)  # the teacher
    assert [e.owner_name for e in room.queue.waiting()] == ["Di"]
    assert room.queue.entry(ec.id).note == "Cancelled by the teacher."
    with pytest.raises(NotAllowed, match="not waiting"):
        room.queue.cancel(ec.id, t)
    assert submit(room, b).state is EntryState.WAITING  # a cancelled job frees the student's slot


def test_job_controls_owner_and_teacher_only(room):
    a, b = room.join("Ada"), room.join("Bob")
    t = room.unlock_teacher("key-123")
    ea = submit(room, a)
    job = room.queue.job(ea.id)
    for action in ("pause", "resume", "stop"):
        with pytest.raises(NotAllowed, match="Ada's"):
            room.queue.control(ea.id, b, action)
        with pytest.raises(NotAllowed, match="Join the class first"):
            room.queue.control(ea.id, None, action)
    assert not job.control.paused and not job.control.stop_requested
    room.queue.control(ea.id, a, "pause")
    assert job.control.paused
    room.queue.control(ea.id, t, "resume")
    assert not job.control.paused
    room.queue.control(ea.id, t, "stop")
    assert job.wait(600) and "teacher" in job.final.reason


def test_run_actions_owner_and_teacher_only(room):
    a, b = room.join("Ada"), room.join("Bob")
    t = room.unlock_teacher("key-123")
    ea = submit(room, a, SHORT)
    job = room.queue.job(ea.id)
    assert job.wait(600)
    rid = job.run_id
    for act in (
        lambda p: room.share_run(rid, p, True),
        lambda p: room.rename_run(rid, p, "mine"),
        lambda p: room.delete_run(rid, p),
    ):
        with pytest.raises(NotAllowed, match="Ada's"):
            act(b)
    room.share_run(rid, a, True)
    room.rename_run(rid, t, "  Best   so far ")
    row = room.run_owner(rid)
    assert row["shared"] == 1 and row["title"] == "Best so far" and row["owner_name"] == "Ada"
    # a run trained outside the class (the command line) is the teacher's to manage
    (room.runs_root / "cli-run").mkdir()
    with pytest.raises(NotAllowed):
        room.delete_run("cli-run", a)
    room.delete_run("cli-run", t)
    assert not (room.runs_root / "cli-run").exists()
    with pytest.raises(ValueError, match="not a run"):
        room.delete_run("../x", t)
    room.delete_run(rid, a)
    assert not (room.runs_root / rid).exists() and room.run_owner(rid) is None


def test_live_run_cannot_be_deleted(room):
    a = room.join("Ada")
    ea = submit(room, a)
    with pytest.raises(ValueError, match="still training"):
        room.delete_run(room.queue.job(ea.id).run_id, a)


def test_waiting_job_starts_by_itself(tmp_path):
    """The dispatcher thread starts the next job when one ends, with nobody calling it."""
    reg = JobRegistry(max_live=1)
    room = Classroom.open(
        tmp_path, reg, environ={"CNNVIZ_MAX_JOBS": "1", "CNNVIZ_MAX_EPOCHS": "1000"}
    )
    room.queue.poll_s = 0.05
    try:
        a, b = room.join("Ada"), room.join("Bob")
        ea, eb = submit(room, a), submit(room, b, SHORT)
        assert room.queue.place(eb.id) == 1
        room.queue.job(ea.id).stop()
        wait_for(lambda: room.queue.job(eb.id) is not None)
        assert room.queue.job(eb.id).wait(600)
        assert room.queue.job(eb.id).status == "finished"
    finally:
        room.close()  # the dispatcher first: nothing starts while the jobs are stopped
        reg.stop_all(10)


def test_restart_marks_waiting_jobs_lost(tmp_path):
    reg = JobRegistry()
    room = Classroom.open(
        tmp_path,
        reg,
        environ={"CNNVIZ_MAX_JOBS": "1", "CNNVIZ_MAX_EPOCHS": "1000"},
        dispatcher=False,
    )
    a, b = room.join("Ada"), room.join("Bob")
    submit(room, a)
    eb = submit(room, b)
    reg.stop_all(10)
    room.close()
    again = Classroom.open(tmp_path, JobRegistry(), environ={}, dispatcher=False)
    try:
        row = again.db.row("SELECT state, note FROM queue WHERE id = ?", (eb.id,))
        assert row["state"] == "lost" and "restarted" in row["note"]
        assert [p.name for p in again.students()] == ["Ada", "Bob"]
    finally:
        again.close()


def test_estimate_start():
    # two slots, both busy for 60 s and 120 s; first in line starts when the first frees
    assert estimate_start([60.0, 120.0], 2, 0, None) == 60.0
    # third in line (two ahead), each job ~100 s: 60 -> 160 (1st), 120 -> 220 (2nd), then 160
    assert estimate_start([60.0, 120.0], 2, 2, 100.0) == 160.0
    assert estimate_start([], 2, 0, None) == 0.0  # a free slot
    assert estimate_start([None, 50.0], 2, 1, None) is None  # nothing to go on
    assert estimate_start([None], 1, 0, 80.0) == 40.0


def test_ordinal():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 103)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd",
    ]  # fmt: skip
