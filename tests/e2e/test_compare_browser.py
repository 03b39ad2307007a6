"""The Runs page in a real browser: pick two runs (trained with the command line beforehand)
and see the overlaid charts and what changed.

Screenshots go to screenshot_dir() (/tmp/cnnviz-e2e): runs-compare.png (1400 wide) and
runs-compare-1024x768.png (the projector).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHART = '[data-testid="stPlotlyChart"]'


def _server_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for base in sorted(tmp_path_factory.getbasetemp().glob("e2e*")):
        if (base / "streamlit.log").exists():
            return base / "runs"
    pytest.skip("cannot find the e2e server's runs folder")


def _train(runs: Path, lr: str) -> str:
    cmd = [
        sys.executable, "-m", "cnnviz", "train", "lenet5",
        "--dataset", "shapes", "--epochs", "2", "--batch-size", "32", "--lr", lr,
        "--limit-train", "200", "--limit-test", "60", "--runs-dir", os.fspath(runs), "--json",
    ]  # fmt: skip
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return Path(json.loads(out.stdout.strip().splitlines()[-1])["run_dir"]).name


@pytest.fixture(scope="module")
def two_runs(app_url: str, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    runs = _server_runs_dir(tmp_path_factory)
    return [_train(runs, "0.01"), _train(runs, "0.001")]


def _pick(page, run_id: str) -> None:
    box = page.get_by_test_id("stMultiSelect")
    box.locator("input").click()
    page.get_by_role("option", name=run_id[-6:]).first.click()
    page.keyboard.press("Escape")


def test_pick_two_runs_and_see_the_overlay_and_the_diff(streamlit_app, two_runs):
    app = streamlit_app
    app.goto("runs")
    page = app.page
    page.get_by_text("Compare runs (pick 2 to 6)").wait_for()
    for run_id in two_runs:
        _pick(page, run_id)
        app.wait()
    page.get_by_text("What changed").wait_for()
    assert page.get_by_text("learning rate 0.01 → 0.001").is_visible()
    page.get_by_text("Loss per iteration, on a shared axis").wait_for()
    # the overlay: two smoothed loss lines (and two faint raw ones) drawn by plotly
    loss_chart = page.locator(CHART).first
    loss_chart.locator(".scatterlayer .trace").first.wait_for()
    assert loss_chart.locator(".scatterlayer .trace").count() == 4
    assert page.get_by_text("lr 0.01").first.is_visible()
    app.shot("runs-compare")
    page.set_viewport_size({"width": 1024, "height": 768})
    app.wait()
    app.shot("runs-compare-1024x768")
