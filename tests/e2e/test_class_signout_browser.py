"""Sign out in a real browser ends the sign-in on the server: a copy of the old cookie,
presented by another browser afterwards, lands on the join page (it signed in before)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SCRIPT_RUN_TIMEOUT_MS, serve_app, wait_idle


@pytest.fixture(scope="module")
def class_url(browser, tmp_path_factory) -> str:
    env = {"CNNVIZ_CLASS": "1", "CNNVIZ_TEACHER_KEY": "signout-e2e-key"}
    with serve_app(tmp_path_factory.mktemp("signout"), env) as url:
        yield url


def _context(browser, cookies=()):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    ctx.set_default_timeout(SCRIPT_RUN_TIMEOUT_MS)
    if cookies:
        ctx.add_cookies(list(cookies))
    return ctx


def _open(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    wait_idle(page, 120_000)


def test_the_old_cookie_is_refused_after_sign_out(browser, class_url) -> None:
    ctx = _context(browser)
    try:
        page = ctx.new_page()
        _open(page, f"{class_url}/design")
        page.get_by_label("Your name", exact=True).and_(page.locator("input")).fill("Ada")
        page.get_by_role("button", name="Join", exact=True).click()
        page.get_by_text("Signed in as Ada").wait_for(timeout=120_000)
        token = [c for c in ctx.cookies() if c["name"] == "cnnviz_token"]
        assert token and token[0]["sameSite"] == "Strict"
        other = _context(browser, token)  # a copy of the cookie, in another browser
        try:
            copy = other.new_page()
            _open(copy, f"{class_url}/design")
            copy.get_by_text("Signed in as Ada").wait_for(timeout=120_000)  # it works: for now
            page.get_by_role("button", name="Sign out", exact=True).click()
            page.get_by_text("Join the class").first.wait_for(timeout=120_000)
            _open(copy, f"{class_url}/design")  # the copy, after Sign out
            copy.get_by_text("You were signed out: join again.").wait_for(timeout=120_000)
            copy.get_by_text("Join the class").first.wait_for()
        finally:
            other.close()
    finally:
        ctx.close()
