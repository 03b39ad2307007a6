"""A run whose config.json names 3 classes for a 10-class set: Present and ``cnnviz report``
say what is wrong with it (no IndexError, no traceback, nothing exported)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.ui.present.export import LAST
from tests.helpers import APP, REPO

WRONG = "This run's config.json names 3 classes but its data has 10"


@pytest.fixture
def damaged(shapes_run: Path, tmp_path: Path) -> Path:
    """A copy of the Shapes run (10 classes) whose config.json keeps only 3 class names."""
    run = tmp_path / "runs" / shapes_run.name
    shutil.copytree(shapes_run, run)
    config = json.loads((run / "config.json").read_text())
    config["classes"] = config["classes"][:3]
    (run / "config.json").write_text(json.dumps(config))
    return run


def test_present_says_what_is_wrong(damaged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", os.fspath(damaged.parent))
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["run"] = damaged.name
    at.run()
    at.switch_page("views/present.py").run()
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert WRONG in errors and "Train it again, or delete this run" in errors
    assert str(damaged.parent) not in errors  # the run, never its folder
    assert not at.get("download_button") and LAST not in at.session_state  # nothing exported


def test_cnnviz_report_exits_2_with_the_message(damaged: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.html"
    done = subprocess.run(
        [sys.executable, "-m", "cnnviz", "report", str(damaged), "-o", str(out)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": os.fspath(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert WRONG in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
