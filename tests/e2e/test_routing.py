"""Links straight to a page work on a freshly started server, and the root opens Design."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_a_deep_link_is_the_first_request_of_a_fresh_server(fresh_app) -> None:
    page = fresh_app.page
    fresh_app.goto("train")  # nobody has opened the root of this server yet
    page.locator("h1", has_text="Train").wait_for(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    assert "net=" in page.url  # the router ran: the design is in the URL

    fresh_app.goto("")
    page.wait_for_url("**/design?net=*")
    page.locator("h1", has_text="Design").wait_for(timeout=60_000)  # the forwarded run draws it
    fresh_app.wait()
    assert page.get_by_test_id("stException").count() == 0
