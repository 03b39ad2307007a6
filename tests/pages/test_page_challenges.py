"""Challenges on the pages (AppTest): a link anyone opens, locked controls, progress that
becomes met after an edit, a garbled link, and on a class server the teacher's form, the
students' banner, the teacher's live table and the accuracy target of a finished run."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.classroom.challenges import ClassChallenges
from cnnviz.design.challenge import Challenge, ShapeTarget, encode_challenge, link_id
from cnnviz.train.store import RunWriter
from cnnviz.ui import challenge as challenge_ui
from cnnviz.ui.classroom import session
from tests.helpers import APP, SHAPES28_SPEC, class_app

TARGET = Challenge(
    "Eight <b>filters</b>",
    SHAPES28_SPEC,
    "shapes",
    note="Give the first Conv2d [8](https://evil.example) filters.",
    may_add=False,
    locked={"epochs": 2, "optimizer": "sgd"},
    shapes=(ShapeTarget("conv2d", 1, (8, 26, 26)),),
    max_params=60_000,
)


def _texts(at: AppTest) -> str:
    kinds = (at.error, at.warning, at.info, at.success, at.caption, at.markdown)
    return "\n".join(str(e.value) for kind in kinds for e in kind)


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _opened(link: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["train.data.look"] = False
    at.query_params["challenge"] = link
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_link_opens_the_challenge_locks_and_becomes_met_after_an_edit():
    at = _opened(encode_challenge(TARGET))
    text = _texts(at)
    assert "Challenge: Eight \\<b\\>filters\\</b\\>" in text  # visitor text, as text
    assert "](https://evil.example)" not in text
    assert ":red[✗] after Conv2d 1 (layer 1): 4×26×26, target 8×26×26" in text
    assert "Hint: set out\\_channels to 8 (now 4)" in text or "set out_channels to 8" in text
    assert ":green[✓] 6,882 parameters of 60,000 allowed" in text
    assert _button(at, "Delete").disabled and _button(at, "Duplicate").disabled  # layers locked
    assert not [b for b in at.button if b.label in ("+ Add layer", "+ Add below")]
    assert at.query_params["challenge"] == encode_challenge(TARGET)

    at.number_input(key="design.p1.0.out_channels").set_value(8).run()  # the edit the hint names
    assert not at.exception, at.exception
    text = _texts(at)
    assert ":green[✓] after Conv2d 1 (layer 1): 8×26×26, target 8×26×26" in text
    assert "**met ✓**" in text

    at.switch_page("views/train.py").run()  # the locked settings and data, on Train
    assert not at.exception, at.exception
    epochs = at.number_input(key="train.cfg.epochs")
    assert epochs.disabled and epochs.value == 2
    assert at.selectbox(key="train.cfg.optimizer").disabled
    assert at.selectbox(key="train.cfg.optimizer").value == "sgd"
    assert at.selectbox(key="train.data.name").disabled
    assert not at.number_input(key="train.cfg.lr").disabled  # not locked
    assert at.query_params["challenge"] == encode_challenge(TARGET)  # kept across pages
    assert "Challenge: Eight" in _texts(at)


def test_a_garbled_link_says_so_and_changes_nothing():
    link = encode_challenge(TARGET)
    at = _opened(link[:-12] + "AAAA")
    assert "This challenge could not be opened" in _texts(at)
    assert "copy all of it" in _texts(at)
    assert challenge_ui.ACTIVE not in at.session_state
    assert "challenge" not in at.query_params
    assert at.session_state["cnnviz.preset"] == "lecture-7-23"  # the default design, untouched


def test_a_class_challenge_id_outside_class_mode_is_explained():
    at = _opened("7")
    assert "open it on the class server" in _texts(at)


def test_the_link_maker_on_design_makes_a_link_that_opens():
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="design.challenge.title").input("Budget")
    at.number_input(key="design.challenge.params").set_value(1000)
    _button(at, "Set the challenge").click().run()
    assert not at.exception, at.exception
    link = at.session_state["cnnviz.challenge.made_link"]
    assert "/design?challenge=" in link
    opened = _opened(link.split("challenge=", 1)[1])
    assert "Challenge: Budget" in _texts(opened) and "of 1,000 allowed" in _texts(opened)


# -- class mode -----------------------------------------------------------------------
@pytest.fixture
def class_mode(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CNNVIZ_CLASS", "1")
    monkeypatch.setenv("CNNVIZ_TEACHER_KEY", "page-key")
    monkeypatch.setenv("CNNVIZ_TRAIN_IMAGES", "200")
    session.room.clear()
    yield session.room()
    session.room.clear()


def _teacher_sets(room, **targets) -> tuple[AppTest, str]:
    teacher = room.unlock_teacher("page-key")
    at = class_app(teacher, "views/teacher.py")
    at.text_input(key="teacher.challenge.title").input("Eight filters")
    for key, value in targets.items():
        widget = at.selectbox(key=key) if key.endswith("kind") else None
        if widget is not None:
            widget.set_value(value)
        elif key.endswith("shape"):
            at.text_input(key=key).input(value)
        else:
            at.number_input(key=key).set_value(value)
    _button(at, "Set the challenge").click().run()
    assert not at.exception, at.exception
    latest = ClassChallenges(room.db).latest()
    assert latest is not None
    return at, latest[0]


def test_teacher_sets_a_challenge_students_open_it_and_the_table_shows_who_met_it(class_mode):
    room = class_mode
    ada, bob = room.join("Ada"), room.join("Bob")
    teacher, cid = _teacher_sets(
        room,
        **{
            "teacher.challenge.shape_kind": "conv2d",
            "teacher.challenge.shape_nth": 1,
            "teacher.challenge.shape": "8×62×62",  # the default design's input is 3×64×64
        },
    )
    assert f"/design?challenge={cid}" in "\n".join(str(c.value) for c in teacher.code)

    a = class_app(ada, "views/design.py")
    assert "Your teacher set a challenge: Eight filters" in _texts(a)
    _button(a, "Open the challenge").click().run()
    assert not a.exception, a.exception
    assert ":red[✗] after Conv2d 1 (layer 1): 6×62×62, target 8×62×62" in _texts(a)
    a.number_input(key="design.p1.0.out_channels").set_value(8).run()
    assert "**met ✓**" in _texts(a)

    b = class_app(bob, "views/design.py")  # Bob opens it from the link, does not meet it
    b.query_params["challenge"] = cid
    b.session_state[challenge_ui.READ] = False
    b.run()
    assert ":red[✗] after Conv2d 1" in _texts(b)
    assert "Ada" not in _texts(b)  # nobody else's progress on a student's page

    teacher.run()
    rows = _table(teacher)
    assert rows["Ada"]["met"] == "✓ met" and rows["Bob"]["met"] == ""
    assert "✗ after Conv2d 1" in rows["Bob"]["design"]
    assert "best run" not in rows["Bob"]  # no accuracy target: no empty column
    assert "**1 of 2 students met it**: Ada" in _texts(teacher)


def _table(at: AppTest) -> dict[str, dict]:
    """The teacher's who-met-it table, by student (the one with a "met" column)."""
    found = [d.value for d in at.dataframe if "met" in getattr(d.value, "columns", [])]
    assert len(found) == 1, found
    return {r["student"]: r for r in found[0].to_dict("records")}


def _finished_run(room, owner, cid: str, accuracy: float, epochs: int = 1) -> str:
    writer = RunWriter(SHAPES28_SPEC, label="tiny", challenge=cid)
    (writer.path / "config.json").write_text(
        json.dumps(
            {
                "train": {"epochs": epochs, "optimizer": "adam"},
                "dataset": {"name": "shapes", "channels": 3, "size": [28, 28]},
                "classes": [str(i) for i in range(10)],
                "challenge": cid,
            }
        )
    )
    status = {"status": "finished", "test_accuracy": accuracy, "epochs_done": epochs}
    (writer.path / "status.json").write_text(json.dumps({**status, "updated": time.time()}))
    room.claim_run(writer.id, owner)
    past = time.time() + 1
    os.utime(Path(writer.path), (past, past))
    return writer.id


def test_accuracy_target_met_when_a_finished_run_under_it_meets_it(class_mode):
    room = class_mode
    ada, bob = room.join("Ada"), room.join("Bob")
    teacher, cid = _teacher_sets(
        room, **{"teacher.challenge.acc": 90.0, "teacher.challenge.epochs": 1}
    )
    _finished_run(room, ada, cid, 0.93)
    _finished_run(room, bob, cid, 0.85)
    _finished_run(room, bob, "999", 0.99)  # under another challenge: does not count
    teacher.run()
    rows = _table(teacher)
    assert rows["Ada"]["met"] == "✓ met" and rows["Ada"]["best run"] == "93.0 %"
    assert rows["Bob"]["met"] == "" and rows["Bob"]["best run"] == "85.0 %"


def test_a_training_under_a_link_challenge_is_checked_when_it_ends(small_train_data):
    from cnnviz.train.store import list_runs, open_run
    from cnnviz.ui.jobs import registry

    ch = Challenge(
        "Any accuracy", SHAPES28_SPEC, "shapes", min_accuracy=0.01, max_epochs=1,
        locked={"epochs": 1},
    )  # fmt: skip
    link = encode_challenge(ch)
    at = _opened(link)
    at.switch_page("views/train.py").run()
    assert not at.exception, at.exception
    assert "checked when the training ends" in _texts(at)
    at.button(key="train.start").click().run()
    assert not at.exception, at.exception
    job = registry().get(at.session_state["cnnviz.job_id"])
    assert job.wait(120)
    at.run()
    assert not at.exception, at.exception
    runs = list_runs()
    assert len(runs) == 1 and runs[0].status == "finished"
    assert open_run(runs[0].path).config["challenge"] == link_id(link)  # the run keeps its id
    acc = 100 * runs[0].test_accuracy
    assert f":green[✓] {acc:.1f} % test accuracy in 1 epochs" in _texts(at)
    assert "**met ✓**" in _texts(at)


def test_only_the_allowed_layer_kinds_can_be_added():
    ch = Challenge("Kinds", SHAPES28_SPEC, "shapes", kinds=("batchnorm2d",), max_params=10**6)
    at = _opened(encode_challenge(ch))
    kinds = at.selectbox(key="design.new_kind").options
    # the allowed kind and those the design started with, nothing else
    assert [k.split(" · ")[1] for k in kinds] == [
        "Conv2d",
        "MaxPool2d",
        "BatchNorm2d",
        "ReLU",
        "Flatten",
        "Linear",
    ]
    assert not [k for k in kinds if "Dropout" in k or "Residual" in k]
    assert any("Conv2d" in k for k in kinds)


def test_the_teacher_can_start_a_challenge_from_the_design_sent_to_the_class(class_mode):
    room = class_mode
    teacher = room.unlock_teacher("page-key")
    room.send_design(teacher, SHAPES28_SPEC, {}, "Sent <i>one</i>")
    at = class_app(teacher, "views/teacher.py")
    start = at.selectbox(key="teacher.challenge.start")
    sent = next(o for o in start.options if o.startswith("(the design sent"))
    start.set_value(sent)
    at.number_input(key="teacher.challenge.params").set_value(5000)
    _button(at, "Set the challenge").click().run()
    assert not at.exception, at.exception
    cid, ch = ClassChallenges(room.db).latest()
    assert ch.spec == SHAPES28_SPEC and ch.max_params == 5000
