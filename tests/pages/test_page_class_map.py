"""The class map on the Teacher page and on the Runs page in class mode (AppTest).

Ada owns run A (not shared) and run S (shared), Bob owns run B, and run C came from the
command line (nobody's). The teacher's map holds all four; Bob's holds S and B only
(the runs shared with the class, and his own), through the one access gate. Picking a
run shows its curves, or its diff against the best run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.compare import class_map as facts
from cnnviz.train.store import runs_root
from cnnviz.ui.classroom import session
from tests.helpers import APP, class_app
from tests.train.test_store_hardening import trained_run

IDS = {
    "A": "20260102-090000-ada-private-aaaaaa",
    "S": "20260102-080000-ada-shared-bbbbbb",
    "B": "20260102-070000-bob-own-cccccc",
    "C": "20260102-060000-from-the-cli-dddddd",
}
ACC = {"A": 0.91, "S": 0.55, "B": 0.72, "C": 0.64}


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_run(tmp_path_factory.mktemp("map"))


@pytest.fixture
def room(monkeypatch: pytest.MonkeyPatch, good: Path):
    monkeypatch.setenv("CNNVIZ_CLASS", "1")
    monkeypatch.setenv("CNNVIZ_TEACHER_KEY", "map-key")
    session.room.clear()
    facts.clear_cache()
    root = runs_root()
    for name, rid in IDS.items():
        shutil.copytree(good, root / rid)
        status = json.loads((root / rid / "status.json").read_text())
        status["test_accuracy"] = ACC[name]  # a distinct accuracy each: the order is known
        (root / rid / "status.json").write_text(json.dumps(status))
    r = session.room()
    ada, bob = r.join("Ada"), r.join("Bob")
    r.claim_run(IDS["A"], ada)
    r.claim_run(IDS["S"], ada)
    r.share_run(IDS["S"], ada, True)
    r.claim_run(IDS["B"], bob)
    yield SimpleNamespace(ada=ada, bob=bob, teacher=r.unlock_teacher("map-key"))
    session.room.clear()


def _map_chart(at: AppTest, key: str) -> dict:
    chart = next(c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id)
    return json.loads(chart.proto.spec)


def _text(at: AppTest) -> str:
    out = [str(e.value) for kind in ("markdown", "caption", "info", "error") for e in at.get(kind)]
    out += [d.value.to_string() for d in at.dataframe]
    out += [str(o) for s in at.selectbox for o in s.options]
    return "\n".join(out)


def test_the_teacher_sees_every_run_on_the_map_and_picks_one(room) -> None:
    at = class_app(room.teacher, "views/teacher.py")
    assert any(h.value == "Class map" for h in at.header)
    spec = _map_chart(at, "teacher.map.chart")
    (trace,) = spec["data"]
    assert trace["type"] == "parcoords"
    accs = [round(v, 1) for v in trace["dimensions"][-1]["values"]]
    assert sorted(accs) == [55.0, 64.0, 72.0, 91.0]  # all four, the command line's too
    pick = at.selectbox(key="teacher.map.pick")
    assert pick.options[0].startswith("1. Ada · 91.0 %")  # listed by accuracy
    assert pick.options[-1].startswith("4. Ada · 55.0 %")
    pick.set_value(IDS["B"]).run()
    assert not at.exception, at.exception
    curves = [c.proto.id for c in at.get("plotly_chart")]
    assert any(f"teacher.map.iter.{IDS['B']}" in k for k in curves), curves
    at.segmented_control(key="teacher.map.show").set_value("diff").run()
    assert not at.exception, at.exception
    assert at.session_state["runs.cmp.best"] is False  # the Runs page's comparison, drawn here
    assert any("What changed" in m.value for m in at.markdown)


def test_a_student_sees_the_shared_runs_and_their_own_only(room) -> None:
    at = class_app(room.bob, "views/runs.py")
    at.segmented_control(key="class.runs.view").set_value("Class map").run()
    assert not at.exception, at.exception
    spec = _map_chart(at, "class.runs.map.chart")
    accs = sorted(round(v, 1) for v in spec["data"][0]["dimensions"][-1]["values"])
    assert accs == [55.0, 72.0]  # S (shared) and B (his): not Ada's private A, not C
    text = _text(at)
    assert IDS["A"] not in text and IDS["C"] not in text and IDS["A"][-6:] not in text
    assert IDS["B"] in text and IDS["S"] in text
    assert "shared with the class, and your own" in text
    # picking the shared run and asking for the diff: the page's own comparison at the top
    at.selectbox(key="class.runs.map.pick").set_value(IDS["S"]).run()
    at.segmented_control(key="class.runs.map.show").set_value("diff").run()
    assert not at.exception, at.exception
    assert at.session_state["runs.cmp.best"] is False  # drawn: B (the best he sees) against S


def test_the_teacher_on_the_runs_page_sees_all_four(room) -> None:
    at = class_app(room.teacher, "views/runs.py")
    at.segmented_control(key="class.runs.view").set_value("Class map").run()
    spec = _map_chart(at, "class.runs.map.chart")
    assert len(spec["data"][0]["dimensions"][0]["values"]) == 4


def test_presenter_mode_map_text_is_projector_sized(room) -> None:
    from cnnviz.plots.presenter import MIN_PX, font_sizes

    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[session.ME] = room.teacher
    at.query_params["present"] = "1"
    at.run()
    at.switch_page("views/teacher.py").run()
    assert not at.exception, at.exception
    spec = _map_chart(at, "teacher.map.chart")
    trace = spec["data"][0]
    assert all(trace[k]["size"] >= MIN_PX for k in ("labelfont", "tickfont", "rangefont"))
    assert min(font_sizes(spec)) >= MIN_PX


def test_no_finished_run_says_so(room) -> None:
    for rid in IDS.values():
        shutil.rmtree(runs_root() / rid)
    at = class_app(room.teacher, "views/teacher.py")
    assert any("No finished runs yet" in i.value for i in at.info)


def _map_reads(path: Path) -> list[str]:
    """Each place in ``path`` that reads the map's run facts other than from the gate's list."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        if name in ("run_row", "_read"):
            found.append(f"{path.name}:{node.lineno} {name}")
        elif name == "class_runs":
            first = ast.unparse(node.args[0]) if node.args else ""
            if first != "run_access.visible_runs()":
                found.append(f"{path.name}:{node.lineno} class_runs({first})")
    return found


def test_every_page_reads_the_map_through_the_gate(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    files = [*root.joinpath("cnnviz", "ui").rglob("*.py"), *root.joinpath("views").glob("*.py")]
    users = [p for p in files if "class_runs(" in p.read_text()]
    assert users, "the map is read somewhere"
    wrong = [hit for p in files for hit in _map_reads(p)]
    assert not wrong, "give class_runs the gate's run_access.visible_runs(): " + str(wrong)
    page = tmp_path / "forgetful.py"
    page.write_text(
        "facts.class_runs(runs, owners)\nclass_map.run_row(root / name)\n"
        "class_runs(run_access.visible_runs(), {})\n"
    )
    assert len(_map_reads(page)) == 2


def test_on_the_runs_page_the_diff_joins_the_comparison_above(room) -> None:
    """With two runs already compared at the top of the Runs page, the map does not draw a
    second comparison: its button puts the picked run and the best one into the page's."""
    at = class_app(room.teacher, "views/runs.py")
    at.multiselect(key="runs.compare").set_value([IDS["B"], IDS["C"]]).run()
    at.segmented_control(key="class.runs.view").set_value("Class map").run()
    at.selectbox(key="class.runs.map.pick").set_value(IDS["S"]).run()
    at.segmented_control(key="class.runs.map.show").set_value("diff").run()
    assert not at.exception, at.exception
    go = next(b for b in at.button if b.key == "class.runs.map.diff.go")
    go.click().run()
    assert not at.exception, at.exception
    assert at.session_state["cnnviz.compare"] == [IDS["A"], IDS["S"]]  # the best, then S
    assert at.multiselect(key="runs.compare").value == [IDS["A"], IDS["S"]]
    assert any("at the top of the page" in c.value for c in at.caption)
