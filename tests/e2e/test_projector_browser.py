"""Presenter mode on a projector, in a real browser: every page at 1024×768 with ``?present=1``.

For Design, Train (idle and training), Inspect (each of its tabs), every Learn lesson, Runs
comparing two runs and Present: no visible text under 18 px (charts' SVG text and tables
drawn on a canvas included), the main area at least 90 % of the window's width, no label
cut off (all read from computed styles by tests/e2e/projector.py). Design and the
convolution lesson at 1280×720 too. Screenshots: projector-<page>-<size>.png.
"""

from __future__ import annotations

import contextlib
import re

import pytest

from cnnviz.ui import presenter as page_style
from tests.e2e import projector
from tests.e2e.conftest import screenshot_dir, wait_idle
from tests.e2e.test_compare_browser import _server_runs_dir, _train

LESSONS = ("conv", "pool", "linear", "matrix", "minimum", "loader", "toy")
PAGES = [
    ("design", "design", "Design"),
    ("train", "train", "Train"),
    ("train-training", "train", "Train"),
    ("inspect", "inspect?run={a}", "Inspect"),
    *[(f"learn-{k}", f"learn?lesson={k}", "Learn") for k in LESSONS],
    ("runs-compare", "runs?compare={a},{b}", "Runs"),
    ("present", "present?run={a}", "Present"),
]
SIZES = {"design": [(1024, 768), (1280, 720)], "learn-conv": [(1024, 768), (1280, 720)]}


@pytest.fixture(scope="module")
def runs(app_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = _server_runs_dir(tmp_path_factory)
    return {"a": _train(base, "0.01"), "b": _train(base, "0.001")}


def _cases() -> list:
    return [
        pytest.param(name, path, title, size, id=f"{name}-{size[0]}x{size[1]}")
        for name, path, title in PAGES
        for size in SIZES.get(name, [(1024, 768)])
    ]


def _merge(into: dict, got: dict) -> None:
    into["chars"] += got["chars"]
    into["small_chars"] += got["small_chars"]
    into["small"] += got["small"]
    into["cut"] += got["cut"]
    into["main_share"] = min(into["main_share"], got["main_share"])


@pytest.mark.parametrize(("name", "path", "title", "size"), _cases())
def test_page_reads_from_the_back_row(browser, runs, app_url, name, path, title, size) -> None:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.add_init_script(projector.CANVAS_FONTS_JS)
    page = context.new_page()
    page.set_default_timeout(120_000)
    shot = screenshot_dir() / f"projector-{name}-{size[0]}x{size[1]}.png"
    try:
        url = f"{app_url}/{path.format(**runs)}"
        page.goto(url + ("&" if "?" in url else "?") + "present=1", wait_until="domcontentloaded")
        wait_idle(page, 180_000)  # Train's first visit loads the images
        page.get_by_role("heading", name=title).first.wait_for()
        if name == "train-training":
            page.get_by_role("button", name="Start training", exact=True).click()
            page.locator('[data-testid="stProgress"]').first.wait_for()
            # training for real: its first mini-batches counted, the loss chart drawn with them
            page.get_by_text(re.compile(r"Epoch \d+/\d+")).first.wait_for(timeout=180_000)
            page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for()
            page.wait_for_timeout(2000)
        else:
            wait_idle(page, 180_000)
            page.wait_for_timeout(1000)
        # presenter mode's stylesheet is on (its root font), the sidebar is folded, the pages
        # are linked at the top
        page.wait_for_function(
            "(px) => parseFloat(getComputedStyle(document.documentElement).fontSize) === px",
            arg=page_style.ROOT_PX,
        )
        assert page.locator('[data-testid="stSidebar"][aria-expanded="true"]').count() == 0
        assert page.locator('[data-testid="stTopNavLink"]').count() >= 6
        got = projector.read(page)
        page.screenshot(path=str(shot))
        tabs = page.locator('[data-testid="stMain"] [role="tab"]')
        for k in range(1, tabs.count()):  # each tab of the page (Inspect), read in turn
            tabs.nth(k).click()
            page.wait_for_timeout(1500)
            wait_idle(page)
            _merge(got, projector.read(page))
            page.screenshot(path=str(shot.with_suffix(f".tab{k}.png")))
        errors = page.locator('[data-testid="stException"]').all_inner_texts()
        assert not errors, f"{name} failed: {errors}"
        assert got["chars"] > 200, "the page drew almost no text"
        assert got["small_chars"] == 0, f"text under 18 px on {name}: {got['small']}"
        assert got["main_share"] >= 0.9, f"main area {got['main_share']:.0%} of the width"
        assert not got["cut"], f"labels cut off on {name}: {got['cut']}"
    finally:
        if name == "train-training":
            with contextlib.suppress(Exception):
                page.get_by_role("button", name="Stop", exact=True).click()
                page.get_by_text("Training stopped").first.wait_for(timeout=60_000)
        context.close()


def test_normal_mode_keeps_the_sidebar(streamlit_app) -> None:
    """Without ?present=1 the navigation stays in the open sidebar, at normal text sizes."""
    streamlit_app.goto("design")
    page = streamlit_app.page
    assert page.locator('[data-testid="stSidebarNav"]').count() == 1
    assert page.locator('[data-testid="stTopNavLink"]').count() == 0
    root_px = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert root_px < projector.MIN_PX
