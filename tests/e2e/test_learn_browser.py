"""The Learn page in a real browser: open it, step a convolution with ▶ and by clicking an
output pixel, then every lesson at the projector's 1024×768 (screenshots learn-*.png)."""

from __future__ import annotations

import re

LESSONS = {
    "conv": "1 · Convolution, step by step",
    "pool": "2 · Max pooling, step by step",
    "linear": "3 · Linear or not?",
    "matrix": "4 · A Linear layer is a matrix product",
    "minimum": "5 · Finding the minimum",
    "loader": "6 · Dataset, DataLoader, mini-batch",
    "toy": "7 · Linear versus non-linear problems",
}


def _text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def test_step_a_convolution(streamlit_app) -> None:
    page = streamlit_app.page
    streamlit_app.goto("learn?lesson=conv")
    page.get_by_text("Output pixel row 0, column 0").wait_for()
    assert "equals the captured activation" in _text(page)
    page.get_by_role("button", name="▶").click()
    page.get_by_text("Output pixel row 0, column 1").wait_for()
    page.get_by_role("button", name="▶").click()
    page.get_by_text("Output pixel row 0, column 2").wait_for()
    page.get_by_role("button", name="◀").click()
    page.get_by_text("Output pixel row 0, column 1").wait_for()
    streamlit_app.wait()
    assert "✓ equals the captured activation" in _text(page)
    # a click on the output map jumps to that pixel (row 5, column 7 of the 62×62 map)
    x, y = page.evaluate(
        """() => {
            const g = [...document.querySelectorAll('.js-plotly-plot')].find(
                p => p._fullLayout && p.layout.meta && p.layout.meta.pixel);
            const xa = g._fullLayout.xaxis, ya = g._fullLayout.yaxis, r = g.getBoundingClientRect();
            return [r.left + xa._offset + xa.l2p(7), r.top + ya._offset + ya.l2p(5)];
        }"""
    )
    page.mouse.click(x, y)
    page.wait_for_function(
        "() => !document.body.innerText.includes('Output pixel row 0, column 1')", timeout=60_000
    )
    streamlit_app.wait()
    found = re.search(r"Output pixel row (\d+), column (\d+)", _text(page))
    assert found, _text(page)[:500]
    row, col = int(found[1]), int(found[2])
    assert abs(row - 5) <= 1 and abs(col - 7) <= 1  # the pixel under the mouse (±1 of 62)
    assert "✓ equals the captured activation" in _text(page)
    streamlit_app.shot("learn-conv")


def test_every_lesson_draws_on_the_projector(streamlit_app) -> None:
    size = (1024, 768)
    page = streamlit_app.page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    for name, title in LESSONS.items():
        streamlit_app.goto(f"learn?lesson={name}")
        page.get_by_role("heading", name=title).wait_for()
        streamlit_app.wait()
        assert (
            "Traceback" not in _text(page)
            and not page.locator('[data-testid="stException"]').count()
        )
        page.screenshot(
            path=str(streamlit_app.shot(f"learn-{name}-{size[0]}").with_suffix(".view.png"))
        )
