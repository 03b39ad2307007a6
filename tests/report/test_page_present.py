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
