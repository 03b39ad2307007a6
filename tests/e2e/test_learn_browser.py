"""The Learn page in a real browser: step a convolution and a max pooling in the page (▶,
hover, click, play, scrub: no message to the server, numbers equal to torch's), then every
lesson at the projector's 1024×768 (screenshots learn-*.png)."""

from __future__ import annotations

import base64

import numpy as np
import torch
import torch.nn.functional as F

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


def _frames_sent(page) -> list:
    """Every websocket frame the page sends to the server (a rerun request is one)."""
    sent: list = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    return sent


def _data(page) -> dict:
    return page.evaluate("() => document.querySelector('.cvs-root').__cvsData")


def _f32(b64: str, *shape: int) -> torch.Tensor:
    raw = np.frombuffer(base64.b64decode(b64), dtype="<f4").copy()
    return torch.from_numpy(raw).reshape(shape)


def _where(page) -> str:
    return page.locator(".cvs-where").inner_text()


def _shown(page) -> tuple[str, float, float]:
    """(pixel "r,c", the page's sum, torch's value it shows) of the sum written out."""
    s = page.locator(".cvs-sum")
    return (
        s.get_attribute("data-cell"),
        float(s.get_attribute("data-total")),
        float(s.get_attribute("data-reference")),
    )


def test_step_a_convolution_in_the_page(streamlit_app) -> None:
    """◀ ▶, hover, click, play and scrub answer in the page, with no message to the server,
    and every sum the page writes equals torch's conv2d of the numbers it was sent."""
    page = streamlit_app.page
    sent = _frames_sent(page)
    streamlit_app.goto("learn?lesson=conv")
    page.locator(".cvs-where", has_text="row 0, column 0").wait_for()
    streamlit_app.wait()
    before = len(sent)
    d = _data(page)
    c, (h, w), (kh, kw) = len(d["in_channels"]), d["in_size"], d["kernel_size"]
    x, k = _f32(d["input"], 1, c, h, w), _f32(d["kernel"], 1, c, kh, kw)
    torch_out = F.conv2d(x, k, torch.tensor([d["bias"]]), d["stride"], d["padding"], d["dilation"])[
        0, 0
    ].double()
    ho, wo = d["out_size"]
    assert torch_out.shape == (ho, wo)

    def check(r: int, col: int) -> None:
        cell, total, reference = _shown(page)
        assert cell == f"{r},{col}"
        want = float(torch_out[r, col])
        assert abs(total - want) <= 1e-4 * max(1.0, abs(want)), (r, col, total, want)
        assert abs(reference - want) <= 1e-4 * max(1.0, abs(want))  # torch's captured value
        assert "✓ equals the captured activation" in page.locator(".cvs-sum").inner_text()

    check(0, 0)
    page.get_by_role("button", name="Next ▶").click()
    page.get_by_role("button", name="Next ▶").click()
    assert "row 0, column 2" in _where(page)
    page.get_by_role("button", name="◀ Back").click()
    assert "row 0, column 1" in _where(page)
    check(0, 1)
    page.locator('.cvs-px[data-cell="5,7"]').hover()  # hover: that pixel's window and sum
    assert "row 5, column 7" in _where(page)
    check(5, 7)
    page.mouse.move(2, 2)  # off the map: back to the current pixel
    assert "row 0, column 1" in _where(page)
    page.locator('.cvs-px[data-cell="10,20"]').click()
    page.mouse.move(2, 2)
    assert "row 10, column 20" in _where(page)
    check(10, 20)
    page.locator(".cvs-scrub").fill(str(wo + 3))  # scrub to the second row
    assert "row 1, column 3" in _where(page)
    check(1, 3)
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function(
        f"() => Number(document.querySelector('.cvs-where').dataset.pos) >= {wo + 6}"
    )
    page.get_by_role("button", name="❚❚ Pause").click()
    r, col = divmod(int(page.locator(".cvs-where").get_attribute("data-pos")), wo)
    check(r, col)
    page.wait_for_timeout(500)
    assert len(sent) == before, "a step, hover, click, scrub or play asked the server"
    streamlit_app.shot("learn-conv")


def test_step_a_max_pooling_in_the_page(streamlit_app) -> None:
    page = streamlit_app.page
    sent = _frames_sent(page)
    streamlit_app.goto("learn?lesson=pool")
    page.locator(".cvs-where", has_text="row 0, column 0").wait_for()
    streamlit_app.wait()
    before = len(sent)
    d = _data(page)
    (h, w), (ho, wo) = d["in_size"], d["out_size"]
    pooled = F.max_pool2d(
        _f32(d["input"], 1, 1, h, w), d["kernel_size"], d["stride"], d["padding"], d["dilation"]
    )[0, 0]
    for r, col in ((0, 0), (ho // 2, wo // 3), (ho - 1, wo - 1)):
        page.locator(f'.cvs-px[data-cell="{r},{col}"]').hover()
        cell, total, reference = _shown(page)
        assert cell == f"{r},{col}" and total == float(pooled[r, col]) == reference
        assert "✓ equals torch's output" in page.locator(".cvs-sum").inner_text()
    assert page.locator(".cvs-num.cvs-picked").count() == 1  # the maximum, outlined
    assert len(sent) == before


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
