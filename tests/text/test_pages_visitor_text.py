"""Every page, as the teacher and as a student, with hostile text in every visitor slot:
a student's name, a run's title (renamed and shared), the design the teacher sent, a
dataset's and its classes' names, a layer type from a crafted design, a queued job.
Nothing of it may reach the browser as a live link, image or tag (AppTest, class mode)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.data.registry import load_dataset
from cnnviz.text.escape import for_markdown
from cnnviz.train.config import TrainConfig
from cnnviz.train.engine import build_seeded, fit
from cnnviz.train.request import TrainRequest
from cnnviz.train.store import RunWriter, runs_root
from cnnviz.ui.classroom import session
from tests.helpers import APP, TINY_SPEC, tiny_bundle
from tests.text.render import all_text, live_markup

STUDENT = "__Eve__ www.evil.example"  # what the join form lets through: letters, _ . ' -
TITLE = "my set ![x](https://evil.example/p.png) [CLICK](https://evil.example)"
DESIGN = (
    "net ![x](https://evil.example/d.png) [CLICK](https://evil.example) <b>www.evil.example</b>"
)
DATASET = "set ![x](https:evil.example?pixel) [CLICK](https:evil.example)"
CLASSES = tuple(
    f"c{i} [CLICK](https://evil.example) <a href='https://evil.example'>x</a>" for i in range(10)
)
LAYER = "![x](https://evil.example/l.png)"
SPEC = {
    "name": DESIGN,
    "input": [3, 16, 16],
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}
PAGES = (
    "views/design.py",
    "views/train.py",
    "views/inspect.py",
    "views/runs.py",
    "views/present.py",
    "views/learn.py",
)


@pytest.fixture
def hostile_class(monkeypatch: pytest.MonkeyPatch):
    """A class server holding hostile texts everywhere a visitor can put one."""
    monkeypatch.setenv("CNNVIZ_CLASS", "1")
    monkeypatch.setenv("CNNVIZ_TEACHER_KEY", "page-key")
    monkeypatch.setenv("CNNVIZ_TRAIN_IMAGES", "200")
    monkeypatch.setenv("CNNVIZ_MAX_JOBS", "1")  # one trains (held), the other waits in line
    monkeypatch.setenv("CNNVIZ_JOBS_PER_STUDENT", "2")
    session.room.clear()
    room = session.room()
    teacher, eve = room.unlock_teacher("page-key"), room.join(STUDENT)
    # a finished run of Eve's on classes with hostile names, renamed and shared
    bundle = load_dataset("shapes", size=16, channels=3, n_train=200, n_test=80)
    bundle = replace(bundle, classes=CLASSES)
    writer = RunWriter(SPEC, label="hostile", root=runs_root())
    config = TrainConfig(epochs=1, batch_size=50, seed=1, device="cpu")
    for _ in fit(build_seeded(SPEC, 1), bundle, config, writer=writer):
        pass
    room.claim_run(writer.id, eve)
    room.rename_run(writer.id, eve, TITLE)
    room.share_run(writer.id, eve, True)
    # the teacher's design, sent to the class under a hostile name
    room.send_design(teacher, SPEC, {"epochs": 2}, DESIGN)
    # Eve's trainings on a dataset with a hostile name: one training (held), one waiting
    data = replace(tiny_bundle(), name=DATASET)
    request = TrainRequest(TINY_SPEC, data, TrainConfig(epochs=20, device="cpu"), owner=eve.id)
    jobs = [room.gate.submit(request).entry]
    running = room.queue.job(jobs[0].id)
    if running is not None:
        running.pause()
    jobs.append(room.gate.submit(request).entry)
    yield {"teacher": teacher, "eve": eve, "run": writer.id, "jobs": jobs}
    from cnnviz.ui.jobs import registry

    for job in registry().live():
        job.stop()
        job.wait(10)
    session.room.clear()


def _page(person, page: str, run_id: str, spec: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[session.ME] = person
    at.session_state["train.data.look"] = False
    at.session_state["cnnviz.run_id"] = run_id
    at.session_state["cnnviz.design.spec"] = spec
    at.run()
    if page != "views/design.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, (page, at.exception)
    return at


def _check(at: AppTest, where: str) -> str:
    bad = live_markup(at)
    assert not bad, (where, bad[:5])
    return all_text(at)


def test_every_page_shows_visitor_text_as_text(hostile_class) -> None:
    c = hostile_class
    crafted = {**SPEC, "layers": [*SPEC["layers"][:2], {"type": LAYER}, *SPEC["layers"][2:]]}
    seen = ""
    for who in ("teacher", "eve"):
        for page in (*PAGES, *(("views/teacher.py",) if who == "teacher" else ())):
            spec = crafted if page == "views/design.py" else SPEC
            seen += _check(_page(c[who], page, c["run"], spec), f"{who} {page}")
    # the slots were filled (so the check above looked at them), escaped
    for text in (STUDENT, TITLE, DESIGN, DATASET, LAYER, CLASSES[0]):
        assert for_markdown(text) in seen or for_markdown(text).replace("\\_", "_") in seen, text
