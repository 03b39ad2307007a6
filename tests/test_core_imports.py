"""The core (cnnviz/ outside cnnviz/ui/) never imports streamlit; the shape engine needs no torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def core_modules() -> list[str]:
    pkg = ROOT / "cnnviz"
    names = ["cnnviz"]
    for path in sorted(pkg.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if "ui" in rel.parts or rel.name in ("__init__", "__main__"):
            continue
        names.append(".".join(rel.parts))
    names += [
        f"cnnviz.{p.name}"
        for p in sorted(pkg.iterdir())
        if p.is_dir() and p.name not in ("ui", "__pycache__")
    ]
    return names


def test_core_never_imports_streamlit() -> None:
    modules = core_modules()
    assert "cnnviz.shapes" in modules and "cnnviz.export" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k == 'streamlit' or k.startswith('streamlit.'))\n"
        "print(bad[:5])\n"
        "sys.exit(1 if bad else 0)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_shape_engine_and_links_need_no_torch() -> None:
    code = (
        "import sys, importlib.util\n"
        "from pathlib import Path\n"
        "sys.modules['cnnviz'] = type(sys)('cnnviz')\n"  # skip cnnviz/__init__ (it builds models)
        "sys.modules['cnnviz'].__path__ = [str(Path('cnnviz').resolve())]\n"
        "import cnnviz.shapes, cnnviz.export, cnnviz.presets\n"
        "spec = cnnviz.presets.PRESETS['lecture-7-23'].spec\n"
        "cnnviz.shapes.summarize(spec)\n"
        "cnnviz.export.decode_spec(cnnviz.export.encode_spec(spec))\n"
        "sys.exit(1 if 'torch' in sys.modules else 0)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
