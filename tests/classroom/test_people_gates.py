"""One gate per rule, walked: every page reaches people, tokens and uploads through it.

A page added later that reads the cookie itself, joins without the computer's address
(no tries counted), or unpacks a ZIP past the upload budgets fails here."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import REPO


def _sources() -> list[Path]:
    return [
        *REPO.joinpath("cnnviz").rglob("*.py"),
        *REPO.joinpath("views").glob("*.py"),
        REPO / "app.py",
    ]


def _rel(p: Path) -> str:
    return p.relative_to(REPO).as_posix()


def test_every_zip_is_unpacked_through_the_upload_budgets():
    """extract_zip is called only by cnnviz.data.uploads (estimate, budgets, clean-up)."""
    callers = set()
    for p in _sources():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
                if name == "extract_zip":
                    callers.add(_rel(p))
    assert callers == {"cnnviz/data/uploads.py"}, callers


def test_only_the_session_reads_the_cookie_or_sets_who_you_are():
    readers = set()
    for p in _sources():
        text = p.read_text(encoding="utf-8")
        if "context.cookies" in text or "session_state[ME]" in text or "session.ME]" in text:
            readers.add(_rel(p))
    assert readers == {"cnnviz/ui/classroom/session.py"}, readers


def test_every_join_and_unlock_from_a_page_counts_the_computers_tries():
    """In the pages, room.join / room.unlock_teacher always pass ``client=`` (attempts)."""
    missing, seen = [], 0
    for p in [*REPO.joinpath("cnnviz", "ui").rglob("*.py"), *REPO.joinpath("views").glob("*.py")]:
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            recv = node.func.value
            on_room = (isinstance(recv, ast.Name) and recv.id in ("r", "room")) or (
                isinstance(recv, ast.Call) and getattr(recv.func, "attr", "") == "room"
            )
            if on_room and node.func.attr in ("join", "unlock_teacher"):
                seen += 1
                if not any(k.arg == "client" for k in node.keywords):
                    missing.append(f"{_rel(p)}:{node.lineno}")
    assert seen >= 2 and not missing, missing
