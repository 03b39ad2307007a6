"""The submission gate: a training and an experiment each enter as ONE submission, within the
teacher's limits, through the class queue, every run owned by the student who asked."""

from __future__ import annotations

import threading
import time

import pytest

from cnnviz.classroom.entries import EntryState, QueueRefused
from cnnviz.classroom.room import Classroom
from cnnviz.classroom.submit import Gate
from cnnviz.compare.experiments import ExperimentKind
from cnnviz.train.config import TrainConfig
from cnnviz.train.jobs import JobRegistry
from cnnviz.train.request import TrainRequest
from tests.helpers import TINY_SPEC, tiny_bundle

BUNDLE = tiny_bundle(n_train=64, n_test=16)
CFG = TrainConfig(epochs=2, batch_size=16, lr=0.01, device="cpu")


@pytest.fixture
def room(tmp_path):
    """MAX_JOBS=1, MAX_EPOCHS=5: the class server of the finding; the dispatcher thread on."""
    reg = JobRegistry(max_live=4)
    r = Classroom.open(
        tmp_path / "runs",
        reg,
        environ={"CNNVIZ_TEACHER_KEY": "key", "CNNVIZ_MAX_JOBS": "1", "CNNVIZ_MAX_EPOCHS": "5"},
    )
    r.queue.poll_s = 0.05
    yield r
    r.close()
    reg.stop_all(wait_s=10)


def request(person, config=CFG) -> TrainRequest:
    return TrainRequest(TINY_SPEC, BUNDLE, config, owner=person.id, runs_root=None)


def wait_for(cond, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_an_experiment_is_one_entry_that_holds_one_place_and_owns_every_run(room):
    ada, bob = room.join("Ada"), room.join("Bob")
    plan = room.gate.plan(ExperimentKind.NORMALIZATION, request(ada), seeds=2)
    assert plan.problems == []
    assert plan.cost.words() == (
        "This experiment trains 6 networks, 12 epochs in all, one after the other; "
        "it takes your one training place until it ends."
    )
    live_seen: list[int] = []
    stop = threading.Event()

    def watch() -> None:  # how many trainings run at once, all along
        while not stop.is_set():
            live_seen.append(len(room.registry.live()))
            time.sleep(0.005)

    threading.Thread(target=watch, daemon=True).start()
    done = room.gate.submit_experiment(ExperimentKind.NORMALIZATION, request(ada), seeds=2)
    exp = done.experiment
    assert [e.id for e in room.queue.entries()] == [done.id]  # one entry, not six
    assert room.queue.entry(done.id).trainings == 6
    # while it runs: the student's own Start is refused by the per-student cap ...
    with pytest.raises(QueueRefused, match="Jobs per student"):
        room.gate.submit(request(ada))
    assert room.gate.refusals(request(ada), with_cap=True)[-1].startswith(
        "Jobs per student: your experiment is still running"
    )
    # ... and Bob waits for the experiment's one place, even between two of its arms
    eb = room.gate.submit(request(bob)).entry
    assert eb.state is EntryState.WAITING
    assert exp.wait(300) and exp.error is None
    stop.set()
    assert max(live_seen) == 1
    assert len(exp.results) == 6 and {r.status for r in exp.results} == {"finished"}
    for r in exp.results:  # every arm's run is Ada's (her My runs), not everyone's
        assert room.run_owner(r.run_id)["owner"] == ada.id
    wait_for(lambda: room.queue.entry(eb.id).state is EntryState.STARTED)  # then Bob's turn
    assert "finished: 6 trainings" in room.queue.entry(done.id).note


def test_over_the_limits_an_experiment_is_refused_with_the_reasons(room):
    ada = room.join("Ada")
    five = request(ada, CFG.with_(epochs=5))  # within the limit of 5 by itself
    plan = room.gate.plan(ExperimentKind.EPOCHS, five, seeds=1)
    assert plan.problems == [
        "Epochs: 10 is 5 over the class limit of 5. Lower the number of epochs. "
        "(the variant 10 epochs)"
    ]
    with pytest.raises(QueueRefused, match="Epochs: 10 is 5 over the class limit of 5"):
        room.gate.submit_experiment(ExperimentKind.EPOCHS, five, seeds=1)
    with pytest.raises(QueueRefused) as e:  # 3 variants × 10 seeds
        room.gate.submit_experiment(ExperimentKind.LEARNING_RATE, request(ada), seeds=10)
    assert e.value.problems == [
        "Trainings per experiment: 30 is 18 over the class limit of 12. It trains 3 variants "
        "× 10 seeds; use at most 4 seeds per variant."
    ]
    assert room.queue.entries() == [] and room.registry.live() == []  # nothing was started
    teacher = room.unlock_teacher("key")  # the teacher's own are not limited
    assert room.gate.plan(ExperimentKind.EPOCHS, request(teacher, five.config)).problems == []


def test_stopping_an_experiment_stops_its_arm_and_frees_the_place(room):
    ada, bob = room.join("Ada"), room.join("Bob")
    slow = request(ada, CFG.with_(epochs=5, batch_size=1))
    exp = room.gate.submit_experiment(ExperimentKind.LEARNING_RATE, slow).experiment
    wait_for(lambda: exp.current is not None)
    with pytest.raises(Exception, match="Ada's"):
        room.queue.control(exp.id, bob, "stop")
    room.queue.control(exp.id, ada, "stop")
    assert exp.wait(60) and len(exp.results) <= 1
    assert room.gate.submit(request(ada, CFG.with_(epochs=1))).entry is not None


def test_outside_class_mode_the_same_gate_starts_at_once_without_class_limits(tmp_path):
    reg = JobRegistry(max_live=2)
    gate = Gate(reg)
    long = TrainRequest(TINY_SPEC, BUNDLE, CFG.with_(epochs=1), runs_root=tmp_path)
    done = gate.submit(long)
    assert done.job is not None and done.entry is None and done.job.owner is None
    assert done.job.wait(120) and str(done.job.status) == "finished"
    plan = gate.plan(ExperimentKind.LEARNING_RATE, long, seeds=10)  # no class cap here
    assert plan.problems == [] and plan.cost.trainings == 30
    assert "one training place on this server" in plan.cost.words(in_class=False)
