"""The Design page in a real browser: load a preset, edit a layer, see the shapes change."""

from __future__ import annotations

import re


def _layer_list(page):
    return page.get_by_role("radiogroup").first


def test_click_a_box_in_the_diagram_to_edit_its_layer(streamlit_app) -> None:
    page = streamlit_app.page
    streamlit_app.goto("")  # the default design: the lecture's example
    page.get_by_text("Activation memory").wait_for()
    boxes = page.locator('[data-testid="stPlotlyChart"] .scatterlayer .point')
    assert boxes.count() == 10  # input + 9 boxes (the ReLUs fold into the box before them)
    why = page.get_by_text("Why this shape? — layer 4, Conv2d(6, 12, kernel_size=3)")
    for _ in range(3):  # plotly wires its click handlers a moment after drawing
        boxes.nth(3).click(force=True)  # the second Conv2d (+ ReLU)
        try:
            why.wait_for(timeout=10_000)
            break
        except Exception:
            continue
    why.wait_for()
    streamlit_app.shot("design-diagram-click")


def test_preset_edit_changes_shapes(streamlit_app) -> None:
    page = streamlit_app.page
    streamlit_app.goto("")  # Design is the default page: it lives at the root URL
    page.get_by_text("Shapes, layer by layer").wait_for()
    # load a preset through the picker
    page.get_by_role("combobox", name="Start from a preset").click()
    page.get_by_role("option", name="Tiny VGG (CNN Explainer)").click()
    streamlit_app.wait()
    layers = _layer_list(page)
    layers.get_by_text("1. Conv2d(3, 10, kernel_size=3) → 10×62×62").wait_for()
    streamlit_app.shot("design-tiny-vgg")
    # edit the first layer: kernel 3 -> 5 makes its output 60×60
    kernel = page.get_by_test_id("stNumberInput").filter(has_text="kernel_size").locator("input")
    kernel.fill("5")
    kernel.press("Enter")
    streamlit_app.wait()
    layers.get_by_text("1. Conv2d(3, 10, kernel_size=5) → 10×60×60").wait_for()
    assert (
        page.get_by_text(
            re.compile(r"H_out = W_out = ⌊\(64 \+ 2·0 − 1·\(5−1\) − 1\) / 1⌋ \+ 1 = 60")
        ).count()
        >= 1
    )
    # make it invalid: a 64-wide kernel on 64×64 is fine, on the second conv it is not
    kernel.fill("64")
    kernel.press("Enter")
    streamlit_app.wait()
    layers.get_by_text(re.compile(r"2\. ReLU\(\) → 10×1×1")).wait_for()
    page.get_by_text(
        re.compile(r"Layer 3, Conv2d\(10, 10, kernel_size=3\): kernel 3 is larger")
    ).wait_for()
    streamlit_app.shot("design-edited")
    # the share link reopens exactly this design in a fresh session
    page.get_by_role("tab", name="Share link").click()
    link = page.get_by_test_id("stCode").filter(has_text="net=").inner_text().strip()
    other = page.context.browser.new_context().new_page()
    try:
        other.goto(link)
        other.get_by_text("1. Conv2d(3, 10, kernel_size=64) → 10×1×1").wait_for()
    finally:
        other.context.close()


def test_open_a_design_file_good_and_bad(streamlit_app, tmp_path) -> None:
    page = streamlit_app.page
    streamlit_app.goto("")
    page.get_by_text("Activation memory").wait_for()
    page.get_by_role("tab", name="Save / open (JSON)").click()
    upload = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    bad = tmp_path / "broken.json"
    bad.write_text('{"input": [3, 64, 64], "layers": [{"type": "conv2d", "kernel_size": 0}]')
    upload.set_input_files(str(bad))
    page.get_by_text(
        re.compile(r"broken\.json could not be opened: .*Your design is unchanged")
    ).wait_for()
    page.get_by_text("1. Conv2d(3, 6, kernel_size=3) → 6×62×62").wait_for()  # kept
    good = tmp_path / "mlp.json"
    good.write_text('{"input": [2], "layers": [{"type": "linear", "out_features": 3}]}')
    upload.set_input_files(str(good))
    page.get_by_text("1. Linear(2, 3) → 3").wait_for()
    page.get_by_text("Opened mlp.json.").wait_for()
