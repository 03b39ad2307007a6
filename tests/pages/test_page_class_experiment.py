"""Runs page on a class server (AppTest): an experiment is one submission through the gate.

A student on a server with CNNVIZ_MAX_JOBS=1 and CNNVIZ_MAX_EPOCHS=5 sees what each
experiment costs before it starts, finds the ones over a limit off with the reason, and
starts one: it is ONE entry in the queue, its runs are hers (My runs), and her Start on
Train is refused while it runs.
"""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.classroom.queue import ClassQueue
from cnnviz.data.registry import load_dataset
from cnnviz.train.store import runs_root
from cnnviz.ui.classroom import session
from tests.compare.runs_for_tests import train_run
from tests.helpers import APP, SHAPES28_SPEC

SPEC10 = {
    "input": [1, 8, 8],
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}


@pytest.fixture(autouse=True)
def _class_server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CNNVIZ_CLASS", "1")
    monkeypatch.setenv("CNNVIZ_TEACHER_KEY", "page-key")
    monkeypatch.setenv("CNNVIZ_MAX_JOBS", "1")
    monkeypatch.setenv("CNNVIZ_MAX_EPOCHS", "5")
    monkeypatch.setenv("CNNVIZ_TRAIN_IMAGES", "200")
    session.room.clear()  # a classroom on this test's runs folder, with these limits
    yield
    from cnnviz.ui.jobs import registry

    session.room.clear()  # the dispatcher first: nothing starts while the jobs are stopped
    for job in registry().live():
        job.resume()
        job.stop()
        job.wait(10)


def _texts(at: AppTest) -> str:
    kinds = (at.error, at.warning, at.info, at.success, at.caption, at.markdown)
    return "\n".join(str(e.value) for kind in kinds for e in kind)


def _page(person, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[session.ME] = person
    at.session_state["train.data.look"] = False
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_students_experiment_costs_what_it_says_waits_in_one_place_and_is_hers(monkeypatch):
    room = session.room()
    ada, bob = room.join("Ada"), room.join("Bob")
    bundle = load_dataset("shapes", size=8, channels=1, n_train=90, n_test=30)
    run = train_run(SPEC10, bundle=bundle, epochs=3, root=runs_root()).name
    room.claim_run(run, ada)
    held = []  # the first arm is held (paused) while the page is looked at
    start_arm = ClassQueue.start_arm

    def holding(self, entry_id, request):
        job = start_arm(self, entry_id, request)
        if not held:
            job.pause()
            held.append(job)
        return job

    monkeypatch.setattr(ClassQueue, "start_arm", holding)

    at = _page(ada, "views/runs.py")
    seeds = f"runs.exp.seeds.{run}"
    button = lambda kind: at.button(key=f"runs.exp.{run}.{kind}")  # noqa: E731
    # the cost, before it starts
    at.number_input(key=seeds).set_value(2).run()
    assert (
        "Normalization: none vs ÷255 vs standardize**: This experiment trains 6 networks, "
        "18 epochs in all, one after the other; it takes your one training place until it ends."
    ) in _texts(at)
    # over the limits: off, with the reason
    assert button("epochs").disabled
    assert "Epochs: 6 is 1 over the class limit of 5. Lower the number of epochs." in _texts(at)
    at.number_input(key=seeds).set_value(10).run()
    assert button("learning-rate").disabled
    assert "Trainings per experiment: 30 is 18 over the class limit of 12." in _texts(at)
    # within them: one entry in the queue
    at.number_input(key=seeds).set_value(1).run()
    assert not button("normalization").disabled
    button("normalization").click().run()
    assert not at.exception, at.exception
    entries = room.queue.entries()
    assert len(entries) == 1 and entries[0].owner == ada.id and entries[0].trainings == 3
    exp = room.gate.experiment(entries[0].id)
    deadline = time.time() + 60
    while not held and time.time() < deadline:
        time.sleep(0.05)
    assert held and not exp.done
    assert button("batchnorm").disabled  # one at a time: the others are off while it runs
    assert "Jobs per student: your experiment is still running" in _texts(at)
    # while it runs, her Start on Train is refused by the per-student cap
    train = _page(ada, "views/train.py")
    start = next(b for b in train.button if b.label == "Start training")
    assert start.disabled
    assert "Start is off: Jobs per student: your experiment is still running" in _texts(train)
    # ... and Bob's Start is not (one place each)
    assert "Jobs per student" not in _texts(_page(bob, "views/train.py"))
    held[0].resume()
    assert exp.wait(300) and exp.error is None and len(exp.results) == 3
    # every run it trained is Ada's: in her My runs, owned in the class database
    for r in exp.results:
        assert room.run_owner(r.run_id)["owner"] == ada.id
    at = _page(ada, "views/runs.py")
    mine = set(at.dataframe[0].value["run"])
    assert {r.run_id for r in exp.results} | {run} == mine
    assert "No runs of yours yet" in _texts(_page(bob, "views/runs.py"))  # none of them is Bob's


def test_train_again_with_one_change_goes_through_the_gate(monkeypatch):
    """Runs → Train again with one change → Train: the teacher's limits apply to what was
    loaded, and Start submits the changed training through the gate, as the student's."""
    from cnnviz.classroom.submit import Gate

    room = session.room()
    ada = room.join("Ada")
    bundle = load_dataset("shapes", size=28, channels=3, n_train=90, n_test=30)
    run = train_run(SHAPES28_SPEC, bundle=bundle, epochs=6, lr=0.005, root=runs_root()).name
    room.claim_run(run, ada)
    asked = []
    submit = Gate.submit

    def spy(self, request, **kw):
        asked.append(request)
        return submit(self, request, **kw)

    monkeypatch.setattr(Gate, "submit", spy)
    at = _page(ada, "views/runs.py")
    at.button(key=f"runs.change.{run}").click().run()
    at.switch_page("views/train.py").run()
    assert not at.exception, at.exception
    assert at.number_input(key="train.cfg.epochs").value == 6
    start = next(b for b in at.button if b.label == "Start training")
    assert start.disabled  # the run's 6 epochs are over this class's limit of 5
    assert "Start is off: Epochs: 6 is 1 over the class limit of 5." in _texts(at)
    at.number_input(key="train.cfg.epochs").set_value(2).run()  # the one change
    next(b for b in at.button if b.label == "Start training").click().run()
    assert not at.exception, at.exception
    assert len(asked) == 1
    request = asked[0]
    assert request.owner == ada.id and request.config.epochs == 2 and request.config.lr == 0.005
    (entry,) = room.queue.entries()
    assert entry.owner == ada.id
    job = room.queue.job(entry.id)
    assert job is not None and job.owner == ada.id
    assert room.run_owner(job.run_id)["owner"] == ada.id
