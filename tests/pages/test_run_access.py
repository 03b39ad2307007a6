"""Who may see a run, on every page that reads runs (AppTest, a class server).

Ada and Bob are students, with the teacher. Ada owns run A (not shared) and run S
(shared to the Class gallery), Bob owns run B, and run C was trained from the command
line (nobody's: the teacher's only). Bob follows links to Ada's run A on Inspect,
Present, Learn and Runs (``?run=``, ``?compare=``) and to her training on Inspect
and Train (``?job=``): each page says whose it is and shows nothing of it, and every
picker lists only B and S. The teacher sees every run; outside class mode everyone does.
A last test reads the source: no page reaches the run store but through the gate.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.classroom.run_access import RunAccess, may_see_run
from cnnviz.train.store import runs_root
from cnnviz.ui.classroom import session
from tests.helpers import APP, TINY_SPEC, tiny_bundle
from tests.train.test_store_hardening import trained_run

ROOT = Path(__file__).resolve().parents[2]
REFUSAL = "This run is Ada's and not shared with the class."
IDS = {
    "A": "20260102-090000-ada-private-aaaaaa",
    "S": "20260102-080000-ada-shared-bbbbbb",
    "B": "20260102-070000-bob-own-cccccc",
    "C": "20260102-060000-from-the-cli-dddddd",
}


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_run(tmp_path_factory.mktemp("access"))


@pytest.fixture
def room(monkeypatch: pytest.MonkeyPatch, good: Path):
    """The class: Ada, Bob and the teacher, and the four runs with their owners."""
    monkeypatch.setenv("CNNVIZ_CLASS", "1")
    monkeypatch.setenv("CNNVIZ_TEACHER_KEY", "access-key")
    session.room.clear()  # a classroom on this test's runs folder
    root = runs_root()
    for rid in IDS.values():
        shutil.copytree(good, root / rid)
    r = session.room()
    ada, bob = r.join("Ada"), r.join("Bob")
    r.claim_run(IDS["A"], ada)
    r.claim_run(IDS["S"], ada)
    r.share_run(IDS["S"], ada, True)
    r.claim_run(IDS["B"], bob)
    yield SimpleNamespace(
        queue=r.queue,
        gate=r.gate,
        people={"ada": ada, "bob": bob, "teacher": r.unlock_teacher("access-key")},
    )
    from cnnviz.ui.jobs import registry

    for job in registry().live():
        job.stop()
        job.wait(10)
    session.room.clear()


def _everything(at: AppTest) -> str:
    """All the text a page drew: alerts, text, tables, pickers' options, in the sidebar too."""
    out = []
    for where in (at, at.sidebar):
        for kind in (
            "markdown", "caption", "error", "warning", "info", "success", "title", "header",
            "subheader", "text", "code", "json", "exception",
        ):  # fmt: skip
            out += [str(getattr(e, "value", e)) for e in where.get(kind)]
        for kind in ("selectbox", "multiselect", "radio", "segmented_control"):
            for e in where.get(kind):
                out += [str(o) for o in getattr(e, "options", [])]
        out += [e.value.to_string() for e in where.get("dataframe")]
        out += [str(getattr(e, "label", "")) for e in where.get("button")]
    out += [str(e.proto) for e in at.get("download_button")]
    return "\n".join(out)


def _open(person, page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[session.ME] = person
    at.session_state["train.data.look"] = False
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def _refused(at: AppTest, refusal: str = REFUSAL, *, hidden: str = IDS["A"]) -> str:
    """The refusal is said, and nothing of the hidden run (its name, its folder) is on the page."""
    text = _everything(at)
    assert refusal in text, text
    assert hidden not in text and hidden[-6:] not in text, text
    assert str(runs_root()) not in text and str(runs_root().resolve()) not in text
    assert "cnnviz.run_id" not in at.session_state or at.session_state["cnnviz.run_id"] != hidden
    assert "run" not in at.query_params or at.query_params["run"] != [hidden]
    return text


def test_the_rule() -> None:
    from cnnviz.classroom.ownership import Action, allowed
    from cnnviz.classroom.people import Person, Role

    ada = Person("a", "Ada", Role.STUDENT)
    bob = Person("b", "Bob", Role.STUDENT)
    teacher = Person("t", "Teacher", Role.TEACHER)
    hers = {"owner": "a", "owner_name": "Ada", "shared": 0}
    shared = {**hers, "shared": 1}
    table = [  # (person, owner row, seen in class mode)
        (ada, hers, True), (bob, hers, False), (teacher, hers, True),
        (bob, shared, True), (None, shared, False),
        (ada, None, False), (teacher, None, True),  # a run from the command line
    ]  # fmt: skip
    for person, owner, seen in table:
        assert may_see_run(person, owner, class_on=True) is seen, (person, owner)
        assert may_see_run(person, owner, class_on=False)  # outside class mode: everyone
    assert not allowed(bob, Action.VIEW, "a")  # ownership's VIEW was open to everyone
    gate = RunAccess(bob, {"A": hers, "S": shared}, class_on=True)
    assert gate.why_not("A") == (
        "This run is Ada's and not shared with the class. "
        "Ada can share it to the Class gallery on the Runs page."
    )
    assert "teacher" in gate.why_not("C") and gate.why_not("S") is None


def test_inspect_lists_and_opens_only_what_bob_may(room) -> None:
    at = _open(room.people["bob"], "views/inspect.py", run=IDS["A"])
    _refused(at)
    options = at.selectbox(key="inspect.network").options  # as shown: each names its run
    assert len(options) == 2 and all(IDS["B"] in o or IDS["S"] in o for o in options), options
    # Ada's own link opens her run; the teacher's picker holds every run
    at = _open(room.people["ada"], "views/inspect.py", run=IDS["A"])
    assert at.selectbox(key="inspect.network").value == IDS["A"] and REFUSAL not in _everything(at)
    at = _open(room.people["teacher"], "views/inspect.py")
    assert len(at.selectbox(key="inspect.network").options) == 4


def test_present_refuses_the_link_and_exports_nothing_of_it(room) -> None:
    at = _open(room.people["bob"], "views/present.py", run=IDS["A"])
    _refused(at)
    options = at.selectbox(key="present.run").options
    assert len(options) == 2 and all(IDS["B"] in o or IDS["S"] in o for o in options)
    assert IDS["A"] not in at.session_state["present.last_html"]  # Bob's own run's export


def test_learn_refuses_the_link_and_works_on_the_design(room) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[session.ME] = room.people["bob"]
    at.query_params["run"] = IDS["A"]
    at.query_params["lesson"] = "conv"
    at.run()
    at.switch_page("views/learn.py").run()
    assert not at.exception, at.exception
    text = _refused(at)
    assert "random weights" in text  # nothing of Ada's run: the design instead
    assert not [s for s in at.selectbox if s.key == "learn.network"]  # no run to offer


def test_runs_page_lists_and_compares_only_what_bob_may(room) -> None:
    at = _open(room.people["bob"], "views/runs.py", run=IDS["A"], compare=f"{IDS['A']},{IDS['B']}")
    _refused(at)
    assert at.session_state["cnnviz.compare"] == [IDS["B"]]
    assert len(at.multiselect(key="runs.compare").options) == 2  # B and S
    assert list(at.dataframe[0].value["run"]) == [IDS["B"]]  # My runs
    at.segmented_control(key="class.runs.view").set_value("Class gallery").run()
    assert list(at.dataframe[0].value["run"]) == [IDS["S"]]
    assert "Every run" not in at.segmented_control(key="class.runs.view").options
    # a run nobody owns (the command line's) is the teacher's only
    at = _open(room.people["bob"], "views/runs.py", run=IDS["C"])
    _refused(at, "only the teacher can open it", hidden=IDS["C"])
    at = _open(room.people["teacher"], "views/runs.py")
    at.segmented_control(key="class.runs.view").set_value("Every run").run()
    assert set(at.dataframe[0].value["run"]) == set(IDS.values())


def test_another_students_training_shows_no_run_on_train_or_inspect(room) -> None:
    """Bob may watch Ada's training (read-only), but not open its run: no weights, no
    Inspect, no presentation, no "train again" from it."""
    from cnnviz.train.config import TrainConfig
    from cnnviz.train.request import TrainRequest

    done = room.gate.submit(
        TrainRequest(
            TINY_SPEC,
            tiny_bundle(),
            TrainConfig(epochs=1, device="cpu"),
            owner=room.people["ada"].id,
        )
    )
    job = room.queue.job(done.id)
    assert job is not None and job.wait(60) and job.run_id
    at = _open(room.people["bob"], "views/train.py", job=job.id)
    text = _everything(at)
    assert "'s training — read-only" in text  # watching is allowed; the run is not Bob's
    for hidden in (
        "Open this run in Inspect",
        "Make a presentation",
        "Train again with one change",
    ):
        assert hidden not in text, hidden
    at = _open(room.people["bob"], "views/inspect.py", job=job.id)
    text = _refused(at, hidden=job.run_id)
    assert "This session's training" not in text
    # the teacher's "Inspect Ada's network" (Teacher page) opens the job's weights
    at = _open(room.people["teacher"], "views/inspect.py", job=job.id)
    assert at.selectbox(key="inspect.network").value == "__job__"
    assert REFUSAL not in _everything(at)
    # Ada herself gets her run's buttons, and its name, not its folder
    at = _open(room.people["ada"], "views/train.py", job=job.id)
    text = _everything(at)
    assert "Open this run in Inspect" in text and f"Saved as run `{job.run_id}`" in text
    assert str(runs_root()) not in text


def test_outside_class_mode_every_run_is_everyones(monkeypatch, good: Path) -> None:
    monkeypatch.delenv("CNNVIZ_CLASS", raising=False)
    for rid in IDS.values():
        shutil.copytree(good, runs_root() / rid)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["run"] = IDS["A"]
    at.run()
    at.switch_page("views/inspect.py").run()
    assert not at.exception, at.exception
    assert len(at.selectbox(key="inspect.network").options) == 4
    assert at.selectbox(key="inspect.network").value == IDS["A"]


# -- the gate cannot be skipped -------------------------------------------------------------

# What lists or opens runs in the run store and compare's reader: only the gate calls them.
STORE_READERS = {"list_runs", "open_run", "read_config", "read_status", "read_records",
                 "iter_records", "gradient_records"}  # fmt: skip
GATE = ROOT / "cnnviz" / "ui" / "classroom" / "run_access.py"


def _bypasses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Name) and node.id in STORE_READERS:
            found.append(f"{where} {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in STORE_READERS:
            gate = isinstance(node.value, ast.Name) and node.value.id == "run_access"
            if not gate:  # run_access.open_run is the gate's own, checked opening
                found.append(f"{where} .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {a.name for a in node.names}
            if node.module in ("cnnviz.train.store", "cnnviz.train.gradients") and (
                names & STORE_READERS
            ):
                found.append(f"{where} imports {sorted(names & STORE_READERS)}")
            if node.module == "cnnviz.compare.runs" and names - {"RunData"}:
                found.append(f"{where} imports {sorted(names - {'RunData'})} from compare.runs")
            if node.module == "cnnviz.compare" and "runs" in names:
                found.append(f"{where} imports cnnviz.compare.runs")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in ("cnnviz.train.store", "cnnviz.compare.runs"):
                    found.append(f"{where} imports {a.name}")
        elif isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name == "Run":  # a store.Run built straight from a folder
                found.append(f"{where} Run(...)")
    return found


def test_no_page_reaches_the_run_store_but_through_the_gate() -> None:
    files = [*ROOT.joinpath("cnnviz", "ui").rglob("*.py"), *ROOT.joinpath("views").glob("*.py"),
             ROOT / "app.py"]  # fmt: skip
    assert GATE in files and len(files) > 40
    wrong = [hit for p in files if p != GATE for hit in _bypasses(p)]
    assert not wrong, "open or list runs through cnnviz.ui.classroom.run_access: " + str(wrong)
    assert _bypasses(GATE)  # the check sees the gate's own calls, so it would see a page's


def test_the_structural_check_catches_a_page_that_forgets(tmp_path: Path) -> None:
    page = tmp_path / "forgetful.py"
    page.write_text(
        "from cnnviz.train import store\n"
        "from cnnviz.compare.runs import load\n"
        "from cnnviz.ui.inspect import model\n"
        "for r in store.list_runs():\n    load(r.path)\n"
        "model.open_run(r.path)\n"
        "store.Run(r.path)\n"
        "from cnnviz.train.gradients import read_records\n"
        "gradients.read_records(r.path)\n"
    )
    assert len(_bypasses(page)) == 6, _bypasses(page)
