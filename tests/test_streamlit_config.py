"""The app's own Streamlit settings (.streamlit/config.toml)."""

from __future__ import annotations

import tomllib

from tests.helpers import REPO

CONFIG = REPO / ".streamlit" / "config.toml"


def test_training_output_does_not_wake_the_file_watcher() -> None:
    """runs/ and data/ are written inside the app's folder during training: Streamlit's
    watchdog observer watches that folder recursively, so it must be off (or polling
    only the app's own files), else every epoch's files log watcher warnings."""
    server = tomllib.loads(CONFIG.read_text())["server"]
    assert server.get("fileWatcherType") in ("none", "poll")


def test_no_full_garbage_collection_after_every_run() -> None:
    """Every watching tab's live view reruns each second; Streamlit's default gc.collect(2)
    after each run holds the interpreter and starves the training thread."""
    runner = tomllib.loads(CONFIG.read_text()).get("runner", {})
    assert runner.get("postScriptGC") is False
