"""A classroom on a temporary runs folder, with its dispatcher thread off (tests tick it)."""

from __future__ import annotations

import pytest

from cnnviz.classroom.room import Classroom
from cnnviz.train.jobs import JobRegistry


@pytest.fixture
def room(tmp_path):
    reg = JobRegistry(max_live=5)
    r = Classroom.open(
        tmp_path / "runs",
        reg,
        environ={
            "CNNVIZ_TEACHER_KEY": "key-123",
            "CNNVIZ_MAX_JOBS": "1",
            "CNNVIZ_MAX_EPOCHS": "1000",
        },
        dispatcher=False,
    )
    yield r
    reg.stop_all(wait_s=10)
    r.close()
