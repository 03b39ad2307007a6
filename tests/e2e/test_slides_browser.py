"""Slides that fit: the exported presentation on a 1024×768 projector, from a file:// URL.

Every slide's content fits the screen (a section taller than one screen is cut into several
slides), the keys a presenter's clicker sends move through them, and the notes view shows
the current slide's speaker notes and the next slide. Screenshots go to screenshot_dir():
slides-1024x768-<n>.png and slides-notes-1024x768.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnnviz.report import build_report, default_presentation
from cnnviz.report.sections import SectionKind
from cnnviz.train.config import TrainConfig
from cnnviz.train.store import open_run
from tests.e2e.conftest import screenshot_dir
from tests.report.runs import train_shapes_run

KINDS = ["title", "overview", "data", "features", "loss", "results", "applications"]
LOSS_NOTES = "Point at the loss falling in the first epoch."
OVERVIEW = "We teach a small CNN to tell ten shapes apart.\n\nIt learns in one epoch."

# the current slide: does everything shown fit the window, and what does it show?
FITS = """() => {
  const sec = document.querySelector('section.slide.current');
  const shown = Array.from(sec.querySelectorAll(':scope > *, :scope > .text > *'))
    .filter((el) => el.offsetParent !== null && !el.classList.contains('text'));
  const lowest = Math.max(...shown.map((el) => el.getBoundingClientRect().bottom));
  return {kind: sec.dataset.kind, part: sec.dataset.part || '',
          sec: [sec.scrollHeight, sec.clientHeight], doc: document.documentElement.scrollHeight,
          lowest, inner: innerHeight, counter: document.getElementById('counter').textContent,
          shown: shown.length};
}"""


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("slides-e2e")
    config = TrainConfig(epochs=1, batch_size=32, lr=3e-3, seed=1, device="cpu")
    run = open_run(train_shapes_run(root / "runs", n_train=300, n_test=100, config=config))
    pres = (
        default_presentation(run)
        .with_section(SectionKind.OVERVIEW, text=OVERVIEW, who="Ada")
        .with_section(SectionKind.LOSS, notes=LOSS_NOTES)
    )
    path = root / "usb-stick" / "talk.html"
    path.parent.mkdir()
    path.write_text(build_report(run, pres), encoding="utf-8")
    assert path.stat().st_size < 10_000_000  # the file's size budget, explainer included
    return path


def _open(browser, talk: Path, hash: str = ""):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, offline=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(talk.as_uri() + hash)
    page.wait_for_function("document.body.dataset.charts === 'drawn'", timeout=60_000)
    return context, page, errors


def _settled(page) -> None:
    page.wait_for_function("window.cnnvizReport.slides() > 0", timeout=30_000)
    page.evaluate("window.cnnvizReport.settled()")
    page.wait_for_timeout(100)


def test_every_slide_fits_1024x768_and_the_keys_move(browser, talk: Path) -> None:
    context, page, errors = _open(browser, talk)
    try:
        page.get_by_role("button", name="Slides ▶").click()  # then space moves on, not clicks again
        _settled(page)
        total = page.evaluate("window.cnnvizReport.slides()")
        assert total > len(KINDS), total  # some sections are taller than one screen
        seen = []
        for n in range(total):
            got = page.evaluate(FITS)
            where = f"slide {n + 1} ({got['kind']} {got['part']})"
            assert got["counter"] == f"{n + 1} / {total}", (where, got)
            assert got["shown"] >= 1, where
            assert got["sec"][0] <= got["sec"][1] + 1, (where, got)  # nothing scrolls
            assert got["doc"] <= got["inner"], (where, got)
            assert got["lowest"] <= got["inner"] + 1, (where, got)  # nothing below the screen
            page.screenshot(path=str(screenshot_dir() / f"slides-1024x768-{n + 1:02d}.png"))
            seen.append(got["kind"])
            page.keyboard.press(["ArrowRight", "PageDown", " "][n % 3])  # a clicker's keys too
        assert [k for i, k in enumerate(seen) if i == 0 or seen[i - 1] != k] == KINDS
        assert any(seen.count(k) > 1 for k in KINDS)  # a section cut into several slides
        assert page.evaluate(FITS)["counter"] == f"{total} / {total}"  # stays on the last
        page.keyboard.press("PageUp")
        page.keyboard.press("ArrowLeft")
        assert page.evaluate(FITS)["counter"] == f"{total - 2} / {total}"
        page.keyboard.press("Home")
        assert page.evaluate(FITS)["kind"] == "title"
    finally:
        context.close()
    assert not errors, errors


def test_the_notes_view_shows_the_speaker_notes_and_the_next_slide(browser, talk: Path) -> None:
    context, page, errors = _open(browser, talk)
    try:
        page.keyboard.press("s")
        _settled(page)
        page.keyboard.press("n")
        panel = page.locator("#notes-panel")
        assert panel.is_visible()
        assert "Today:" in panel.inner_text()  # the title slide's notes: the agenda
        page.keyboard.press("ArrowRight")  # Overview: its text is what to say
        text = panel.inner_text()
        assert "We teach a small CNN to tell ten shapes apart." in text, text
        after = text.lower().split("next")[-1]  # the next slide: Overview's second half
        assert "Overview (2/2)" in text.split("NEXT")[-1] and "the network" in after, text
        while (
            page.evaluate("document.querySelector('section.slide.current').dataset.kind") != "loss"
        ):
            page.keyboard.press("ArrowRight")
        assert LOSS_NOTES in panel.inner_text()
        page.screenshot(path=str(screenshot_dir() / "slides-notes-1024x768.png"))
        page.keyboard.press("n")
        assert not panel.is_visible()
        page.keyboard.press("Escape")
        assert not page.evaluate("document.body.classList.contains('slides')")
    finally:
        context.close()
    context, page, errors2 = _open(browser, talk, "#notes")  # the notes view from the address
    try:
        _settled(page)
        assert page.locator("#notes-panel").is_visible()
        assert "Today:" in page.locator("#notes-panel").inner_text()
    finally:
        context.close()
    assert not errors and not errors2, errors + errors2


def test_long_text_and_a_long_table_go_over_several_slides(browser, tmp_path: Path) -> None:
    """A section of twelve paragraphs and a 40-row table: every paragraph and every row is
    shown once, at full size (nothing scaled down), and every slide fits 1024×768."""
    from cnnviz.report.content import Content, Table
    from cnnviz.report.html import render_html
    from cnnviz.report.sections import Presentation

    words = "\n\n".join(
        f"Paragraph {i}: " + "the kernel slides over the image. " * 6 for i in range(12)
    )
    table = Table(
        "Every test image",
        ("#", "true", "predicted"),
        tuple((str(i), "star", "ring") for i in range(40)),
    )
    pres = Presentation.default("20261201-101500-talk-a1b2c3", "Long").with_section(
        SectionKind.RESULTS, text=words
    )
    path = tmp_path / "long.html"
    path.write_text(render_html(pres, Content("h", {SectionKind.RESULTS: (table,)}), label="l"))
    context, page, errors = _open(browser, path)
    try:
        page.keyboard.press("s")
        _settled(page)
        rows, paras = [], []
        for _ in range(page.evaluate("window.cnnvizReport.slides()")):
            got = page.evaluate(FITS)
            assert got["sec"][0] <= got["sec"][1] + 1 and got["lowest"] <= got["inner"] + 1, got
            rows += page.evaluate(
                "Array.from(document.querySelectorAll('section.slide.current tbody tr'))"
                ".filter((r) => r.offsetParent !== null).map((r) => r.cells[0].textContent)"
            )
            paras += page.evaluate(
                "Array.from(document.querySelectorAll('section.slide.current .text p'))"
                ".filter((p) => p.offsetParent !== null).map((p) => p.textContent.split(':')[0])"
            )
            page.keyboard.press("ArrowRight")
        assert rows == [str(i) for i in range(40)]  # each row once, in order
        assert [p for p in paras if p.startswith("Paragraph")] == [
            f"Paragraph {i}" for i in range(12)
        ]
        assert page.locator("[data-zoomed]").count() == 0  # split, not shrunk
        page.keyboard.press("Escape")
        assert page.locator(".slide-copy").count() == 0  # the document is as it was
        assert page.locator("tbody tr:visible").count() == 40
    finally:
        context.close()
    assert not errors, errors
