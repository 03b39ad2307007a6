"""A network with skips in a real browser: the ResNet preset drawn on Design, trained on Train."""

from __future__ import annotations

import time

from cnnviz.design.export import encode_spec
from cnnviz.design.presets import PRESETS
from tests.e2e.test_train_browser import _router_has_run, _set_number  # noqa: F401

CHART = '[data-testid="stPlotlyChart"]'


def test_the_small_resnet_is_drawn_and_trains(streamlit_app) -> None:
    page = streamlit_app.page
    page.set_viewport_size({"width": 1400, "height": 1000})
    streamlit_app.goto("")
    page.get_by_text("Shapes, layer by layer").wait_for(timeout=120_000)
    page.get_by_role("combobox", name="Start from a preset").click()
    page.get_by_role("option", name=PRESETS["resnet-8"].title).click()
    streamlit_app.wait()
    layers = page.get_by_role("radiogroup").first
    layers.get_by_text("4. Residual(shortcut=identity) → 16×32×32", exact=False).wait_for()
    layers.get_by_text("6.1. Conv2d(16, 32, kernel_size=3, stride=2", exact=False).wait_for()
    chart = page.locator(CHART).first
    chart.get_by_text("skip: 1×1 Conv2d").first.wait_for()
    assert chart.get_by_text("skip: + x").count() == 1
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    chart.screenshot(
        path=str(streamlit_app.shot("design-resnet-8").with_name("resnet-8-diagram.png"))
    )  # the page at 1400×1000 (design-resnet-8.png) and the diagram alone

    page.goto(f"{streamlit_app.url}/train?net={encode_spec(PRESETS['resnet-8'].spec)}")
    # the first visit loads 10,000 Shapes images: slow on a busy shared machine
    page.get_by_text("Look at the data", exact=False).first.wait_for(timeout=240_000)
    streamlit_app.wait()
    page.get_by_role("combobox", name="Image size (pixels)").click()  # Shapes at 32×32
    page.get_by_role("option", name="32", exact=True).click()
    page.wait_for_timeout(500)
    page.get_by_text("The network fits this data").wait_for(timeout=240_000)
    streamlit_app.wait()
    _set_number(page, "Training images to use", 300, streamlit_app)
    _set_number(page, "Epochs", 1, streamlit_app)
    page.get_by_role("button", name="Start training").click()
    deadline = time.monotonic() + 300  # a busy shared CPU
    while time.monotonic() < deadline and not page.get_by_text("Training finished").count():
        page.wait_for_timeout(500)
    assert page.get_by_text("Training finished").count(), "training did not finish in 300 s"
    streamlit_app.shot("train-resnet-8")
