"""The Design page in a real browser."""

from __future__ import annotations


def test_app_opens(streamlit_app) -> None:
    streamlit_app.goto("design")
    streamlit_app.page.get_by_text("Design").first.wait_for()
    streamlit_app.shot("design-open")
