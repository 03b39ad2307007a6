"""The Inspect page in a real browser: a short run trained with the command line beforehand,
then feature maps, a drawing on the canvas, the prediction and the confusion matrix.

Screenshots go to screenshot_dir() (/tmp/cnnviz-e2e): inspect-feature-maps.png,
inspect-drawing.png, inspect-prediction.png, inspect-evaluation.png.
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
    """The runs folder the app_url server was started with (conftest: <basetemp>/e2e*/runs)."""
    for base in sorted(tmp_path_factory.getbasetemp().glob("e2e*")):
        if (base / "streamlit.log").exists():
            return base / "runs"
    pytest.skip("cannot find the e2e server's runs folder")


@pytest.fixture(scope="module")
def trained(app_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """mnist-basic (64-channel conv, BatchNorm2d, Dropout) trained one short epoch on 1×28×28 Shapes."""
    runs = _server_runs_dir(tmp_path_factory)
    cmd = [
        sys.executable, "-m", "cnnviz", "train", "mnist-basic",
        "--dataset", "shapes", "--size", "28", "--channels", "1",
        "--epochs", "1", "--batch-size", "32",
        "--limit-train", "400", "--limit-test", "100",
        "--runs-dir", os.fspath(runs), "--json",
    ]  # fmt: skip
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    last = json.loads(out.stdout.strip().splitlines()[-1])
    assert last["event"] == "finished", last
    return last


def _open(streamlit_app) -> None:
    streamlit_app.goto("inspect")
    streamlit_app.page.get_by_role("tab", name="Feature maps").wait_for()


def _click_cell(page, *, true: int, pred: int) -> None:
    """Move onto the confusion matrix's cell (true, pred) the way a mouse would, and click."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('.js-plotly-plot')].some(
            g => g._fullLayout && (g.layout.title.text || '').includes('Confusion') && g.calcdata)""",
        timeout=30_000,
    )
    x, y = page.evaluate(
        """([t, p]) => {
            const gd = [...document.querySelectorAll('.js-plotly-plot')]
                .find(g => (g.layout.title.text || '').includes('Confusion'));
            const fl = gd._fullLayout, r = gd.getBoundingClientRect();
            const k = gd.data.findIndex(d => d.type === 'scatter');
            const cd = gd._fullData[k].customdata;
            const i = gd.calcdata[k].findIndex((_, j) => cd[j][0] == t && cd[j][1] == p);
            const pt = gd.calcdata[k][i];
            return [r.left + fl._size.l + fl.xaxis.c2p(pt.x), r.top + fl._size.t + fl.yaxis.c2p(pt.y)];
        }""",
        [true, pred],
    )
    page.mouse.move(x - 6, y - 6)
    page.mouse.move(x, y, steps=3)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)


def test_feature_maps_drawing_prediction_evaluation(streamlit_app, trained: dict):
    page = streamlit_app.page
    page.set_viewport_size({"width": 1400, "height": 2400})  # screenshots show whole tabs
    _open(streamlit_app)
    assert page.get_by_text("No trained network").count() == 0
    # feature maps: one chart per layer, titled with the layer and its output shape
    page.locator(CHART).first.wait_for()
    page.get_by_text("output [32, 28, 28]").first.wait_for()
    page.get_by_text("output [64, 14, 14]").first.wait_for()
    assert page.locator(CHART).count() >= 10
    streamlit_app.shot("inspect-feature-maps")

    # a drawing on the canvas (the network takes 1×28×28): what it receives is shown
    page.get_by_role("radio", name="Draw").click()
    canvas = page.locator("canvas.cnv")
    canvas.wait_for()
    box = canvas.bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + 140, y0 + 50)
    page.mouse.down()
    page.mouse.move(x0 + 140, y0 + 230, steps=12)
    page.mouse.up()
    page.get_by_text("your drawing").first.wait_for()
    page.get_by_text("centred by centre of mass").first.wait_for()
    streamlit_app.wait()
    streamlit_app.shot("inspect-drawing")

    # prediction: probabilities that sum to 1, evaluation mode said out loud
    page.get_by_role("tab", name="Prediction").click()
    page.get_by_text("Σ p (all classes)").wait_for()
    page.get_by_text("1.000").first.wait_for()
    page.get_by_text("torch.no_grad()").first.wait_for()
    streamlit_app.shot("inspect-prediction")

    # evaluation: the same test accuracy as the run recorded, and a confusion matrix
    page.get_by_role("tab", name="Evaluation").click()
    page.get_by_text("Test accuracy", exact=True).wait_for()
    page.get_by_text(f"{100 * trained['test_accuracy']:.1f} %").first.wait_for()
    page.get_by_text("Confusion matrix", exact=False).first.wait_for()
    streamlit_app.wait()
    # choosing a cell by clicking it shows that cell's images
    _click_cell(page, true=3, pred=8)
    page.get_by_text("of class cross predicted as crescent").wait_for()
    streamlit_app.wait()
    streamlit_app.shot("inspect-evaluation")
    assert page.locator('[data-testid="stException"]').count() == 0
