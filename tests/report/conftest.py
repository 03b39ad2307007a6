"""One tiny Shapes run, trained once for all the report tests (read-only for them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.runs import train_shapes_run


@pytest.fixture(scope="session")
def shapes_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_shapes_run(tmp_path_factory.mktemp("report-runs"))
