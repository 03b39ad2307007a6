"""A class in real browsers: one context per person, joining, and the teacher's unlock."""

from __future__ import annotations

from tests.e2e.conftest import SCRIPT_RUN_TIMEOUT_MS, wait_idle

SIGN_IN_MS = 120_000  # a join waits for the server's first script run, slow on a loaded machine


def class_context(browser):
    """One person's own browser (cookies and all), at the normal 1400×1000."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(SCRIPT_RUN_TIMEOUT_MS)
    return ctx


def open_page(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    wait_idle(page, SIGN_IN_MS)


def join_class(
    page, url: str, name: str, where: str = "design", timeout_ms: int = SIGN_IN_MS
) -> None:
    """Join as a student on the page ``where`` (every page asks for a name first)."""
    open_page(page, f"{url}/{where}")
    page.get_by_text("Join the class").first.wait_for()
    page.get_by_label("Your name", exact=True).and_(page.locator("input")).fill(name)
    page.get_by_role("button", name="Join", exact=True).click()
    page.get_by_text(f"Signed in as {name}").wait_for(timeout=timeout_ms)


def unlock_teacher(page, url: str, key: str, timeout_ms: int = SIGN_IN_MS) -> None:
    open_page(page, f"{url}/design")
    page.get_by_text("I am the teacher").click()
    page.get_by_label("Teacher key", exact=True).and_(page.locator("input")).fill(key)
    page.get_by_role("button", name="Unlock the teacher's view").click()
    page.get_by_text("Signed in as Teacher").wait_for(timeout=timeout_ms)
