"""No JSON value in a run's files makes the run reader raise anything but RunError.

Each of spec.json, config.json and status.json of a real run gets hostile JSON
(any value, huge and non-finite numbers, deep nesting); listing, opening and
reading everything a page reads must give values or RunError.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnviz.train.store import RunError, list_runs, open_run
from tests.json_values import json_texts
from tests.train.test_store_hardening import _use_everything, trained_run


@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    return trained_run(tmp_path_factory.mktemp("good"))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(["spec.json", "config.json", "status.json"]), text=json_texts)
def test_run_files_raise_only_run_error(good_run, tmp_path_factory, name: str, text: str):
    root = tmp_path_factory.mktemp("fuzz")
    folder = root / "20260101-000000-fuzz-abcdef"
    shutil.copytree(good_run, folder)
    (folder / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    (info,) = list_runs(root)
    assert isinstance(info.epochs_done, int) and isinstance(info.status, str)
    try:
        run = open_run(folder)
    except RunError:
        return
    _use_everything(run)
