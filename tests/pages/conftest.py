"""Fixtures of the page tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def small_train_data(monkeypatch: pytest.MonkeyPatch):
    """A small Train page (200 images), and no training thread left behind afterwards."""
    monkeypatch.setenv("CNNVIZ_TRAIN_IMAGES", "200")
    yield
    from cnnviz.ui.jobs import registry

    for job in registry().live():
        job.stop()
        job.wait(10)
