"""The typed core passes mypy (the modules listed under ``[tool.mypy] files`` in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is not installed (requirements-dev.txt)")

ROOT = Path(__file__).resolve().parents[1]


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)


def test_the_typed_core_has_no_type_errors():
    files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["files"]
    assert "cnnviz/settings" in files and all((ROOT / f).exists() for f in files)
    proc = _mypy()
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    assert "Success: no issues found" in proc.stdout


def test_the_check_fails_on_a_type_error(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from cnnviz.settings.env import integer\n\nn: str = integer('X', 1, low=0, high=2)\n"
    )
    proc = _mypy(str(bad))
    assert proc.returncode == 1 and "incompatible types in assignment" in proc.stdout.lower()
