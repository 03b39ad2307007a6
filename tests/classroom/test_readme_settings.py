"""Every setting the README's class section names is read by code the server runs."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

from tests.helpers import REPO


def _class_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("### Teaching a class")
    return text[start : text.index("\n### ", start + 1)]


def test_every_setting_named_in_the_class_section_is_read_by_the_server():
    names = set(re.findall(r"CNNVIZ_[A-Z_]+[A-Z]", _class_section()))
    assert {"CNNVIZ_UPLOADS_SESSION_MB", "CNNVIZ_MIN_FREE_MB", "CNNVIZ_CLASS_SIZE"} <= names
    for page_module in (  # what the class server's pages import (app.py, the Train page)
        "cnnviz.ui.classroom.gate",
        "cnnviz.ui.classroom.join",
        "cnnviz.ui.classroom.people",
        "cnnviz.ui.classroom.uploads",
        "cnnviz.ui.train.data_view",
        "cnnviz.cli.serve",
    ):
        importlib.import_module(page_module)
    loaded = [
        Path(m.__file__).read_text(encoding="utf-8")
        for name, m in list(sys.modules.items())
        if name.startswith("cnnviz") and getattr(m, "__file__", None)
    ]
    unread = sorted(n for n in names if not any(f'"{n}"' in src for src in loaded))
    assert not unread, f"named in the README, read by no module the server loads: {unread}"
