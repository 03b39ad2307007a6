"""Every chart's PNG download (2x, named after what it shows) and the shape table's CSV."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from cnnviz.design.presets import DEFAULT_PRESET, PRESETS
from cnnviz.design.shapes import summarize, totals
from cnnviz.report import run_label
from cnnviz.ui.design.table import table_csv
from cnnviz.ui.figures import chart_config, slug
from tests.helpers import APP


def test_config_offers_only_a_named_2x_png_download():
    cfg = chart_config("Confusion matrix", prefix="lecture-7-23", config={"displayModeBar": False})
    assert "displayModeBar" not in cfg  # the old "no toolbar" setting would hide the download
    assert cfg["modeBarButtons"] == [["toImage"]]
    assert cfg["toImageButtonOptions"] == {
        "format": "png",
        "scale": 2,
        "filename": "lecture-7-23_confusion-matrix",
    }
    assert "modeBarButtons" not in chart_config("x", prefix="p", full_toolbar=True)


def test_run_folder_names_become_their_label():
    assert run_label("20261201-101500-lecture-7-23-a1b2c3") == "lecture-7-23"
    assert run_label("my-run") == "my-run"
    assert slug("Layer 3 · Conv2d(6, 12, kernel_size=3)") == "layer-3-conv2d-6-12-kernel-size-3"


def test_design_page_diagram_downloads_as_named_png():
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert charts
    cfg = json.loads(charts[0].proto.config)
    assert cfg["toImageButtonOptions"]["scale"] == 2
    assert cfg["toImageButtonOptions"]["filename"] == f"{DEFAULT_PRESET}_network-diagram"
    assert [b.label for b in at.get("download_button")].count("Download the table (CSV)") == 1


def test_shape_table_csv_has_every_layer_and_numbers_that_add_up():
    rows = summarize(PRESETS[DEFAULT_PRESET].spec)
    frame = pd.read_csv(io.StringIO(table_csv(rows)))
    assert len(frame) == len(rows) + 1
    body, total = frame.iloc[:-1], frame.iloc[-1]
    assert total["Layer"] == "Total"
    assert int(body["Params"].sum()) == int(total["Params"]) == totals(rows)["params"]
    assert list(body["Output shape"])[-1] == str(rows[-1]["output_shape"]).replace("'", "")


def test_every_chart_goes_through_show() -> None:
    """No page draws a chart without the named PNG download: st.plotly_chart only in figures.py."""
    root = Path(APP).parent
    files = [*root.glob("views/*.py"), root / "app.py", *(root / "cnnviz" / "ui").rglob("*.py")]
    direct = [
        str(p.relative_to(root))
        for p in files
        if p.name != "figures.py" and "plotly_chart(" in p.read_text()
    ]
    assert not direct, f"use cnnviz.ui.figures.show instead of st.plotly_chart in {direct}"
