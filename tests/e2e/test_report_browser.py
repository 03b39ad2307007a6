"""The exported presentation in a real browser, from a file:// URL with the network off:
charts render, slide mode steps through the sections, print to PDF gives a page per section."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from cnnviz.report import build_report
from cnnviz.train.config import TrainConfig
from cnnviz.train.store import open_run
from tests.e2e.conftest import screenshot_dir
from tests.report.runs import train_shapes_run

SECTIONS = 7  # the title slide and the six sections


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report-e2e")
    config = TrainConfig(epochs=1, batch_size=32, lr=3e-3, seed=1, device="cpu")
    run = open_run(train_shapes_run(root / "runs", n_train=300, n_test=100, config=config))
    path = root / "usb-stick" / "talk.html"
    path.parent.mkdir()
    path.write_text(build_report(run), encoding="utf-8")
    return path


def _pdf_pages(data: bytes) -> int:
    """Pages in a PDF: pypdf when installed, else the page objects (``/Type /Page``)."""
    try:
        import pypdf
    except ImportError:
        return len(re.findall(rb"/Type\s*/Page(?!s)", data))
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def test_offline_charts_slides_and_pdf(browser, report_file: Path) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(report_file.as_uri())
        page.wait_for_function("document.body.dataset.charts === 'drawn'", timeout=60_000)
        charts = page.locator(".chart").count()
        assert charts >= 10
        assert page.locator(".chart .main-svg").count() >= charts  # every chart drew its SVG
        page.screenshot(path=str(screenshot_dir() / "report-document.png"))

        page.get_by_role("button", name="Slides ▶").click()
        assert page.evaluate("document.body.classList.contains('slides')")
        assert page.locator("section.slide.current").count() == 1
        assert page.locator("section.slide:visible").count() == 1
        page.wait_for_function("window.cnnvizReport.slides() > 0")
        total = page.evaluate("window.cnnvizReport.slides()")  # a tall section: several slides
        assert total >= SECTIONS
        seen = [page.locator("section.slide.current").get_attribute("data-kind")]
        for _ in range(total - 1):
            page.keyboard.press("ArrowRight")
            kind = page.locator("section.slide.current").get_attribute("data-kind")
            seen += [kind] if kind != seen[-1] else []
        assert seen == ["title", "overview", "data", "features", "loss", "results", "applications"]
        assert page.locator("#counter").inner_text() == f"{total} / {total}"
        big = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert big >= 24  # projector-sized text
        page.keyboard.press("ArrowLeft")
        assert page.locator("section.slide.current").get_attribute("data-kind") in (
            "results",
            "applications",
        )
        page.screenshot(path=str(screenshot_dir() / "report-slide-results.png"))

        page.emulate_media(media="print")
        page.wait_for_timeout(300)
        pdf = page.pdf(format="A4", print_background=True)
        pages = _pdf_pages(pdf)
        print(f"PDF: {pages} pages for {SECTIONS} sections, {len(pdf) / 1e6:.1f} MB")
        assert pages >= SECTIONS  # each section starts a page
    finally:
        context.close()
    assert not errors, errors
    assert all(u.startswith(("file:", "data:", "blob:", "about:")) for u in requests), requests
