"""The class map on the projector, in a real browser: 200 runs of 30 students.

The teacher opens the Teacher page at 1024×768 with ``?present=1``: the map's parallel
coordinates are drawn with one line per run, every axis label and tick at least 18 px
and inside the chart; the runs table beside it lists them by accuracy. Screenshots:
class-map-present-1024x768.png (the chart), class-map-teacher-page.png (the page at the
map) and class-map-table-1024x768.png (the runs listed beside it).
"""

from __future__ import annotations

import pytest

from tests.e2e import projector
from tests.e2e.conftest import SCRIPT_RUN_TIMEOUT_MS, screenshot_dir, serve_app, wait_idle

KEY = "map-e2e-key"
SIZES_JS = """() => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')]
      .find((p) => p.querySelector('.parcoords'));
  if (!plot) return null;
  const box = plot.getBoundingClientRect();
  const out = {sizes: [], texts: [], outside: [], axes: plot.querySelectorAll('.y-axis').length};
  for (const t of plot.querySelectorAll('.parcoords text')) {
    const txt = t.textContent.trim();
    if (!txt) continue;
    const b = t.getBoundingClientRect();
    if (b.width < 1) continue;
    out.sizes.push(parseFloat(getComputedStyle(t).fontSize));
    out.texts.push(txt);
    if (b.left < box.left - 1 || b.right > box.right + 1 || b.top < box.top - 1) out.outside.push(txt);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def class_url(browser, tmp_path_factory) -> str:
    from bench.class_map import write_class_runs
    from cnnviz.classroom.room import Classroom
    from cnnviz.train.jobs import JobRegistry

    base = tmp_path_factory.mktemp("class-map")
    owners = write_class_runs(base / "runs", 200, 30)
    room = Classroom.open(
        base / "runs", JobRegistry(), environ={"CNNVIZ_TEACHER_KEY": KEY}, dispatcher=False
    )
    try:
        people = {}
        for rid, o in owners.items():
            if o["owner"] not in people:
                people[o["owner"]] = room.join(o["owner_name"])
            room.claim_run(rid, people[o["owner"]])
            room.share_run(rid, people[o["owner"]], True)
    finally:
        room.close()
    env = {"CNNVIZ_CLASS": "1", "CNNVIZ_TEACHER_KEY": KEY, "CNNVIZ_CLASS_SIZE": "60"}
    with serve_app(base, env) as url:
        yield url


def test_the_map_reads_from_the_back_row(browser, class_url) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    context.set_default_timeout(SCRIPT_RUN_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{class_url}/design", wait_until="domcontentloaded")
        wait_idle(page, 120_000)
        page.get_by_text("I am the teacher").click()
        page.get_by_label("Teacher key", exact=True).and_(page.locator("input")).fill(KEY)
        page.get_by_role("button", name="Unlock the teacher's view").click()
        page.get_by_text("Signed in as Teacher").wait_for(timeout=120_000)
        page.goto(f"{class_url}/teacher?present=1", wait_until="domcontentloaded")
        wait_idle(page, 120_000)
        heading = page.get_by_role("heading", name="Class map")
        heading.wait_for()
        heading.scroll_into_view_if_needed()
        page.locator(".parcoords").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        found = page.evaluate(SIZES_JS)
        chart = page.locator(".js-plotly-plot", has=page.locator(".parcoords")).first
        chart.screenshot(path=str(screenshot_dir() / "class-map-present-1024x768.png"))
        page.screenshot(path=str(screenshot_dir() / "class-map-teacher-page.png"), full_page=True)
        assert found is not None and found["axes"] == 9, found
        assert "parameters" in found["texts"] and "test acc. %" in found["texts"]
        assert min(found["sizes"]) >= projector.MIN_PX, sorted(
            zip(found["sizes"], found["texts"], strict=True)
        )[:5]
        assert not found["outside"], found["outside"]  # nothing cut off at the chart's edges
        listed = page.get_by_text("The runs by test accuracy")
        listed.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        page.screenshot(path=str(screenshot_dir() / "class-map-table-1024x768.png"))
        caption = page.get_by_text("Every finished run of the class")
        assert "200 on shapes" not in caption.inner_text()  # per dataset: Shapes holds 150
        assert "150 on shapes" in caption.inner_text()
    finally:
        context.close()
