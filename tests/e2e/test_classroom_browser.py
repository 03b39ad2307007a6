"""A class server in a real browser: two students and the teacher, three browser contexts.

Bob starts a training, Ada's queues behind it (cap 1) and starts by itself when
Bob's ends; Bob opens Ada's job link and finds no Pause or Stop; the teacher
sees both jobs on the Teacher page and sends a design that appears as a banner
on Bob's Design page. A refresh keeps everyone signed in (the token cookie).
"""

from __future__ import annotations

import contextlib
import re

import pytest

from tests.e2e.classroom import class_context, join_class, open_page, unlock_teacher
from tests.e2e.conftest import screenshot_dir, serve_app, wait_idle

KEY = "teach-e2e-key"
PROGRESS = '[data-testid="stProgress"]'


@pytest.fixture(scope="module")
def class_url(browser, tmp_path_factory) -> str:
    env = {
        "CNNVIZ_CLASS": "1",
        "CNNVIZ_TEACHER_KEY": KEY,
        "CNNVIZ_MAX_JOBS": "1",
        # Bob's training must hold the only slot until he stops it, on a fast machine too
        "CNNVIZ_MAX_EPOCHS": "500",
        "CNNVIZ_TRAIN_IMAGES": "300",
    }
    with serve_app(tmp_path_factory.mktemp("class"), env) as url:
        yield url


def _train_page(page, url: str, epochs: int) -> None:
    open_page(page, f"{url}/train")
    page.get_by_text("The network fits this data").wait_for(timeout=240_000)
    box = page.get_by_role("spinbutton", name="Epochs", exact=True).first
    box.fill(str(epochs))
    box.press("Enter")
    wait_idle(page)


def _job_id(page) -> str:
    page.wait_for_url(re.compile(r"[?&]job="), timeout=120_000)
    return re.search(r"[?&]job=([0-9a-f]+)", page.url).group(1)


def test_two_students_and_the_teacher(browser, class_url) -> None:
    ca, cb, ct = class_context(browser), class_context(browser), class_context(browser)
    try:
        ada, bob, teacher = ca.new_page(), cb.new_page(), ct.new_page()
        join_class(ada, class_url, "Ada")
        join_class(bob, class_url, "Bob")
        unlock_teacher(teacher, class_url, KEY)

        # a refresh keeps the person (cookie), and the URL carries no identity
        open_page(ada, f"{class_url}/design")
        ada.get_by_text("Signed in as Ada").wait_for()
        assert "Ada" not in ada.url and "token" not in ada.url

        # Bob trains first (long enough to hold the only slot), Ada queues behind him
        _train_page(bob, class_url, epochs=500)
        bob.get_by_role("button", name="Start training", exact=True).click()
        bob.get_by_role("button", name="Pause", exact=True).wait_for(timeout=120_000)
        bob_job = _job_id(bob)
        _train_page(ada, class_url, epochs=500)  # still training when the teacher looks
        ada.get_by_role("button", name="Start training", exact=True).click()
        ada.get_by_text(re.compile(r"Waiting: 1st in line")).wait_for(timeout=240_000)
        ada_job = _job_id(ada)
        assert ada_job != bob_job

        # the teacher sees both: Bob running, Ada waiting
        open_page(teacher, f"{class_url}/teacher")
        table = teacher.locator('[data-testid="stDataFrame"]').first
        table.wait_for()
        teacher.get_by_text("1 training · 1 waiting").wait_for(timeout=120_000)

        # Bob opens Ada's job link: read-only, no Pause / Stop / Leave the queue
        peek = cb.new_page()
        open_page(peek, f"{class_url}/train?job={ada_job}")
        peek.get_by_text(re.compile(r"Ada's job · Waiting")).wait_for(timeout=120_000)
        assert peek.get_by_role("button", name="Leave the queue", exact=True).count() == 0

        # Bob stops his own job; Ada's starts by itself (nobody reloads her page)
        bob.get_by_role("button", name="Stop", exact=True).click()
        ada.locator(PROGRESS).first.wait_for(timeout=120_000)
        ada.get_by_text("Loss per iteration").first.wait_for(timeout=120_000)
        # Bob's tab on Ada's job switched to the live view by itself, read-only
        peek.get_by_text(re.compile(r"Ada's training — read-only")).wait_for(timeout=120_000)
        assert peek.get_by_role("button", name="Pause", exact=True).count() == 0
        assert peek.get_by_role("button", name="Stop", exact=True).count() == 0
        assert peek.get_by_role("button", name="Resume", exact=True).count() == 0

        # the teacher sees Ada's job live now, and sends a design to the class
        teacher.get_by_text(re.compile(r"[1-9]\d* students joined · 1 training")).wait_for(
            timeout=60_000
        )
        teacher.get_by_role("button", name="Send to class", exact=True).click()
        teacher.get_by_text("Sent: every student sees it").wait_for()
        open_page(bob, f"{class_url}/design")
        bob.get_by_text("Your teacher sent a design").wait_for(timeout=60_000)
        # the banner's Open button (select boxes also carry aria-label="Open", so look at buttons only)
        bob.locator('[data-testid^="stBaseButton"]').filter(has_text="Open").first.wait_for()

        # a student has no Teacher page in the navigation
        assert bob.locator('[data-testid="stSidebarNav"]').get_by_text("Teacher").count() == 0
        teacher.screenshot(path=str(screenshot_dir() / "classroom-teacher.png"), full_page=True)
    except Exception:
        for name, ctx in (("ada", ca), ("bob", cb), ("teacher", ct)):
            for i, p in enumerate(ctx.pages):
                with contextlib.suppress(Exception):
                    p.screenshot(path=str(screenshot_dir() / f"classroom-{name}-{i}-failed.png"))
        raise
    finally:
        for c in (ca, cb, ct):
            c.close()
