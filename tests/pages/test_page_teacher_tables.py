"""The Teacher page's tables and leaderboard, and each student's own seed (AppTest).

A student with no training has empty cells in the class table (never "None"); after
*Save limits* every summary on the page says the new limits in the same rerun; every
whole number in the page's tables has a thousands separator; the leaderboard opens on
the class's most common dataset; each student's Train form starts at their own seed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.classroom.seeds import student_seed
from cnnviz.train.config import TrainConfig
from cnnviz.train.request import TrainRequest
from cnnviz.train.store import runs_root
from cnnviz.ui.classroom import session
from tests.helpers import APP, class_app, tiny_bundle
from tests.train.test_store_hardening import trained_run

WIDE = {  # 4,740 parameters: a count with a thousands separator
    "input": [1, 8, 8],
    "layers": [
        {"type": "conv2d", "out_channels": 64, "kernel_size": 3, "padding": 1},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 4},
    ],
}


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_run(tmp_path_factory.mktemp("tables"))


@pytest.fixture
def room(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CNNVIZ_CLASS", "1")
    monkeypatch.setenv("CNNVIZ_TEACHER_KEY", "tables-key")
    session.room.clear()
    r = session.room()
    yield r
    from cnnviz.ui.jobs import registry

    for job in registry().live():
        job.stop()
        job.wait(30)
    session.room.clear()


def _teacher(room) -> AppTest:
    return class_app(room.unlock_teacher("tables-key"), "views/teacher.py")


def _captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def _cells(df: pd.DataFrame) -> list:
    return [v for col in df.columns for v in df[col].tolist()]


def test_a_student_with_no_training_has_empty_cells(room) -> None:
    room.join("Ada")
    at = _teacher(room)
    df = next(d.value for d in at.dataframe if "student" in d.value.columns)
    row = df[df["student"] == "Ada"].iloc[0]
    assert row["status"] == "no training yet"
    blanks = [c for c in df.columns if c not in ("student", "status")]
    assert all(row[c] == "" for c in blanks), row.to_dict()  # not None, not NaN
    shown = df.to_string()
    assert "None" not in shown and "nan" not in shown.lower()


def test_saved_limits_show_at_once_in_every_summary(room) -> None:
    room.join("Ada")
    at = _teacher(room)
    assert "at most 2 at once" in _captions(at)
    at.number_input(key="teacher.limit.jobs_at_once").set_value(5)
    at.number_input(key="teacher.limit.max_params").set_value(1_500_000)
    next(b for b in at.button if b.label == "Save limits").click().run()
    assert not at.exception, at.exception
    assert room.limits().jobs_at_once == 5
    text = _captions(at)
    assert "at most 5 at once" in text and "at most 2 at once" not in text  # the class now
    assert "5 trainings at once" in text and "1,500,000 parameters" in text  # the limits
    assert any("Saved." in s.value for s in at.success)


def test_every_whole_number_in_the_teachers_tables_has_separators(room, good: Path) -> None:
    ada, bob = room.join("Ada"), room.join("Bob")
    for k, (who, acc) in enumerate([(ada, 0.8), (bob, 0.6)]):
        rid = f"20260102-09000{k}-run-{k}aaaaa"
        shutil.copytree(good, runs_root() / rid)
        _with(runs_root() / rid, acc=acc)
        room.claim_run(rid, who)
    done = room.gate.submit(
        TrainRequest(WIDE, tiny_bundle(), TrainConfig(epochs=1, device="cpu"), owner=ada.id)
    )
    job = room.queue.job(done.id)
    assert job is not None and job.wait(120)
    at = _teacher(room)
    assert not at.exception, at.exception
    frames = list(at.dataframe)
    keys = [json.loads(d.proto.columns or "{}") for d in frames]
    assert len(frames) >= 4  # the class now, the people, the leaderboard, the class map
    for d, config in zip(frames, keys, strict=True):
        for col in d.value.columns:
            if pd.api.types.is_integer_dtype(d.value[col]):
                fmt = (config.get(col) or {}).get("type_config", {}).get("format", "")
                assert "," in fmt, (col, fmt, list(d.value.columns))
    now = next(d.value for d in frames if "images/s" in d.value.columns)
    assert "4,740" in now["params"].tolist()  # Ada's job: 4,740 parameters
    assert "at most 2 at once" in _captions(at)


def _with(folder: Path, *, acc: float, dataset: str | None = None) -> None:
    status = json.loads((folder / "status.json").read_text())
    (folder / "status.json").write_text(json.dumps({**status, "test_accuracy": acc}))
    if dataset:
        config = json.loads((folder / "config.json").read_text())
        config["dataset"]["name"] = dataset
        (folder / "config.json").write_text(json.dumps(config))


def test_the_leaderboard_opens_on_the_most_common_dataset(room, good: Path) -> None:
    people = [room.join(n) for n in ("Ada", "Bob", "Cy")]
    for k, (who, ds) in enumerate(zip(people, ("mnist", "shapes", "shapes"), strict=True)):
        rid = f"20260102-09000{k}-run-{k}bbbbb"
        shutil.copytree(good, runs_root() / rid)
        _with(runs_root() / rid, acc=0.5 + k / 10, dataset=ds)
        room.claim_run(rid, who)
    at = _teacher(room)
    pick = at.selectbox(key="teacher.board.dataset")
    assert pick.value == "shapes" and pick.options == ["shapes", "mnist", "all datasets"]
    board = next(d.value for d in at.dataframe if "rank" in d.value and "params" in d.value)
    assert sorted(board["student"]) == ["Bob", "Cy"]  # Ada's MNIST run is on another board
    assert at.selectbox(key="teacher.map.dataset").value == "shapes"  # the map too


def _seed(person) -> int:
    at = class_app(person, "views/train.py")
    return int(at.number_input(key="train.cfg.seed").value)


def test_each_student_starts_from_their_own_seed(room) -> None:
    ada, bob = room.join("Ada"), room.join("Bob")
    seeds = {"Ada": _seed(ada), "Bob": _seed(bob)}
    assert seeds == {"Ada": student_seed("Ada"), "Bob": student_seed("Bob")}
    assert seeds["Ada"] != seeds["Bob"] and 0 not in seeds.values()
    assert _seed(ada) == seeds["Ada"]  # the same in a new session
    assert _seed(room.unlock_teacher("tables-key")) == TrainConfig().seed  # the teacher: 0
    # the form still takes another seed
    at = class_app(ada, "views/train.py")
    at.number_input(key="train.cfg.seed").set_value(7).run()
    assert at.number_input(key="train.cfg.seed").value == 7


def test_a_sent_design_keeps_each_students_seed(room) -> None:
    ada = room.join("Ada")
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[session.ME] = room.unlock_teacher("tables-key")
    at.session_state["train.cfg.seed"] = 0  # the teacher's Train settings, seed 0 among them
    at.session_state["train.cfg.epochs"] = 4
    at.run()
    at.switch_page("views/teacher.py").run()
    next(b for b in at.button if b.label == "Send to class").click().run()
    assert not at.exception, at.exception
    sent = room.latest_design()
    assert sent is not None and "seed" not in sent.settings and "epochs" in sent.settings
    student = class_app(ada, "views/design.py")
    open_ = next(b for b in student.button if b.label == "Open")
    open_.click().run()
    student.switch_page("views/train.py").run()
    assert int(student.number_input(key="train.cfg.seed").value) == student_seed("Ada")
