"""A challenge in real browsers: the teacher and three students, each in a context of their own.

The teacher sets a parameter budget on the Teacher page; Ada and Cy open it from the
banner, Bob from the link the teacher's page shows. Each sees how far their own design
is; Ada makes the edit that meets it; the teacher's page (polled) names her, and no
student's page shows another student's progress.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.classroom import class_context, join_class, open_page, unlock_teacher
from tests.e2e.conftest import screenshot_dir, serve_app, wait_idle

KEY = "challenge-e2e-key"
BUDGET = 899_300  # the default design has 899,454 parameters; out_channels 6 -> 4 makes 899,182


@pytest.fixture(scope="module")
def class_url(browser, tmp_path_factory) -> str:
    env = {"CNNVIZ_CLASS": "1", "CNNVIZ_TEACHER_KEY": KEY, "CNNVIZ_TRAIN_IMAGES": "300"}
    with serve_app(tmp_path_factory.mktemp("challenge"), env) as url:
        yield url


def _panel(page):
    return page.locator(".st-key-challenge_panel")


def test_teacher_sets_a_challenge_three_students_open_it_one_meets_it(browser, class_url):
    contexts = [class_context(browser) for _ in range(4)]
    try:
        teacher, ada, bob, cy = (c.new_page() for c in contexts)
        for page, name in ((ada, "Ada"), (bob, "Bob"), (cy, "Cy")):
            join_class(page, class_url, name)
        unlock_teacher(teacher, class_url, KEY)

        open_page(teacher, f"{class_url}/teacher")
        teacher.get_by_text("Set a challenge").click()
        teacher.get_by_label("Title", exact=True).fill("Slim it down")
        teacher.get_by_label("Parameters at most", exact=True).fill(str(BUDGET))
        teacher.get_by_role("button", name="Set the challenge").click()
        teacher.get_by_text("Set: every student sees it").wait_for(timeout=120_000)
        teacher.get_by_text("0 of 3 students met it").wait_for(timeout=120_000)
        link = teacher.locator('[data-testid="stCode"]').filter(has_text="challenge=").inner_text()
        link = re.search(r"http\S+challenge=\d+", link).group(0)
        assert link.endswith("challenge=1")  # set once

        for page in (ada, cy):  # from the banner
            open_page(page, f"{class_url}/design")
            page.get_by_text("Your teacher set a challenge: Slim it down").wait_for()
            page.get_by_role("button", name="Open the challenge").click()
            _panel(page).get_by_text("899,454 parameters of 899,300 allowed").wait_for()
        open_page(bob, link)  # from the link
        _panel(bob).get_by_text("Challenge: Slim it down").wait_for()
        _panel(bob).get_by_text("899,454 parameters of 899,300 allowed").wait_for()
        assert "challenge=" in bob.url  # kept in the address

        channels = ada.get_by_label("out_channels", exact=True).first
        channels.fill("4")
        channels.press("Enter")
        _panel(ada).get_by_text("899,182 parameters of 899,300 allowed").wait_for()
        _panel(ada).get_by_text("met ✓").wait_for()

        # the teacher's table is polled: Ada appears without a reload
        teacher.get_by_text("1 of 3 students met it: Ada").wait_for(timeout=60_000)
        teacher.screenshot(path=str(screenshot_dir() / "challenge-teacher.png"), full_page=True)

        for page in (bob, cy):  # their own progress only, nobody else's
            wait_idle(page)
            body = page.locator("body").inner_text()
            assert "Ada" not in body
            assert "899,454 parameters of 899,300 allowed" in body
            assert "met ✓" not in body
        ada.screenshot(path=str(screenshot_dir() / "challenge-student.png"), full_page=True)
    finally:
        for c in contexts:
            c.close()
