"""The Present page (AppTest): pick the run, edit a section, hide one, reorder, export the HTML."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.ui.present.export import LAST
from tests.helpers import APP

TIMEOUT = 300  # the first run fills every section from the run (2 shared cores)


def _by_key(items, key: str):
    found = [w for w in items if w.key == key]
    assert found, f"no widget {key!r}: {[w.key for w in items][:40]}"
    return found[0]


@pytest.fixture
def app(shapes_run: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, str]:
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", os.fspath(shapes_run.parent))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("views/present.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, shapes_run.name


def test_no_finished_run_points_to_train(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", os.fspath(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/present.py")
    at.run()
    assert not at.exception
    assert any("No finished run yet" in i.value for i in at.info)


def test_edit_hide_reorder_and_export(app: tuple[AppTest, str]) -> None:
    at, run_id = app
    assert [t.value for t in at.title] == ["Present"]
    assert at.selectbox(key="present.run").value == run_id
    key = f"present.{run_id}"
    at.text_input(key=f"{key}.overview.who").input("Ada <script>alert(1)</script>")
    at.text_area(key=f"{key}.overview.text").input("We teach a CNN to tell ten shapes apart.")
    at.text_area(key=f"{key}.applications.text").input("Sorting parts on a conveyor belt.")
    at.toggle(key=f"{key}.features.show").set_value(False)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    _by_key(at.button, f"{key}.applications.up").click()
    at.run()
    assert not at.exception
    html = at.session_state[LAST]
    assert "We teach a CNN to tell ten shapes apart." in html
    assert "Presented by Ada &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-kind="features"' not in html  # hidden: left out
    kinds = [k for k in ("loss", "applications", "results") if f'data-kind="{k}"' in html]
    order = sorted(kinds, key=lambda k: html.index(f'data-kind="{k}"'))
    assert order == ["loss", "applications", "results"]  # moved above Accuracy/Results
    export = _by_key(at.get("download_button"), "present.export")
    assert export.label == "Export HTML" and not export.proto.disabled
    assert any(b.key == "present.script" for b in at.get("download_button"))
    assert any("5 of 6 sections" in c.value for c in at.caption)


def test_present_keeps_its_own_run_and_names_the_file_after_the_title(
    shapes_run: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Clicking runs on Runs does not change what Present shows: the newest finished run at
    first, then the run a **Make a presentation** button asked for; the export is named after
    the presentation's title."""
    import shutil

    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    root = tmp_path / "runs"
    older = shapes_run.name
    newer = "29991231-235959-" + older[16:]  # the same run, saved later
    shutil.copytree(shapes_run, root / older)
    shutil.copytree(shapes_run, root / newer)
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", os.fspath(root))
    names: list[str | None] = []
    load = MemoryMediaFileStorage.load_and_get_id

    def remember(self, path_or_data, mimetype, kind, filename=None):  # the downloads' names
        names.append(filename)
        return load(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", remember)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.session_state["cnnviz.run_id"] = older  # the run last clicked on Runs
    at.switch_page("views/present.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="present.run").value == newer  # not the last one clicked

    at.session_state["cnnviz.run_id"] = older  # the older run open on Runs: present it
    at.switch_page("views/runs.py").run()
    _by_key(at.button, f"runs.present.{older}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="present.run").value == older

    at.session_state["cnnviz.run_id"] = newer  # another click on Runs
    at.switch_page("views/runs.py").run()
    at.switch_page("views/present.py").run()
    assert at.selectbox(key="present.run").value == older  # Present kept its own choice

    names.clear()
    at.text_input(key=f"present.{older}.all.title").input("Shapes that see!").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "shapes-that-see.html" in names, names
