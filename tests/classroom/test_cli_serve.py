"""``cnnviz serve``: local by default; ``--class`` listens on the network in class mode with a key."""

from __future__ import annotations

import argparse

from cnnviz.classroom.db import ClassDB
from cnnviz.cli import serve
from cnnviz.cli.main import COMMANDS, build_parser


def _args(*argv: str) -> argparse.Namespace:
    return build_parser(["serve", *argv]).parse_args(["serve", *argv])


def test_listed():
    assert COMMANDS["serve"][0] == "cnnviz.cli.serve"


def test_local_by_default(monkeypatch):
    monkeypatch.setenv("CNNVIZ_CLASS", "1")
    cmd, env = serve.command(_args())
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert "CNNVIZ_CLASS" not in env and cmd[-1] == "true"


def test_class_mode_on_the_network_with_a_remembered_key(tmp_path, monkeypatch):
    monkeypatch.delenv("CNNVIZ_TEACHER_KEY", raising=False)
    runs = str(tmp_path / "runs")
    cmd, env = serve.command(
        _args("--class", "--runs-dir", runs, "--class-code", "owl", "--max-jobs", "3")
    )
    assert cmd[cmd.index("--server.address") + 1] == "0.0.0.0"
    assert env["CNNVIZ_CLASS"] == "1" and env["CNNVIZ_CLASS_CODE"] == "owl"
    assert env["CNNVIZ_MAX_JOBS"] == "3" and env["CNNVIZ_RUNS_DIR"] == runs
    key = env["CNNVIZ_TEACHER_KEY"]
    db = ClassDB.in_folder(runs)
    assert db.get_meta("teacher_key") == key  # the server's classroom uses the same one
    db.close()
    assert serve.command(_args("--class", "--runs-dir", runs))[1]["CNNVIZ_TEACHER_KEY"] == key
    given = serve.command(_args("--class", "--runs-dir", runs, "--teacher-key", "mine"))[1]
    assert given["CNNVIZ_TEACHER_KEY"] == "mine"
