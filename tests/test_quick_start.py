"""A quick start: the first page (Design) is drawn without torch; the warm-up loads it afterwards.

torch's import is most of a cold start (seconds on 2 cores) and Design does not need
it: nothing ``app.py`` or the Design page imports may load it. The warm-up
(``cnnviz.ui.warm``) imports torch and the Train page's modules in the background once
the first page has run, so the first visit to Train finds them ready.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from cnnviz.ui import warm

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "torchvision", "ray")


def _fresh(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a new interpreter from the repository root (what a fresh server has loaded)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _imports(path: Path) -> list[str]:
    """The modules a file imports at its top level (``from a import b``: a.b when it is a module)."""
    names = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return names


def test_the_first_pages_imports_load_no_torch() -> None:
    mods = [m for f in ("app.py", "views/design.py") for m in _imports(ROOT / f)]
    assert "cnnviz.ui.classroom.gate" in mods and "cnnviz.design.shapes" in mods
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}:\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "    except ModuleNotFoundError:\n"
        "        pass  # a name imported from a module, not a module\n"
        f"bad = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    run = _fresh(code)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_design_page_is_drawn_without_torch_and_the_warm_up_loads_it_after() -> None:
    code = (
        "import sys, threading\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=120)\n"
        "at.run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "assert [t.value for t in at.title] == ['Design'], at.title\n"
        "assert at.get('plotly_chart'), 'no network diagram'\n"
        "at.button(key='design.add').click().run()  # an edit reruns the page: still no torch\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        f"bad = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not bad, f'the Design page imported {bad}'\n"
        "from cnnviz.ui import warm\n"
        "assert warm.start() is None  # off in this process: nothing started behind the page\n"
        "print('design ok')\n"
    )
    run = _fresh(code, CNNVIZ_WARM_UP="0")
    assert run.returncode == 0 and "design ok" in run.stdout, run.stdout + run.stderr


def test_the_warm_up_runs_after_the_first_page_and_imports_the_train_page() -> None:
    code = (
        "import sys, threading\n"
        "from streamlit.testing.v1 import AppTest\n"
        "from cnnviz.ui import warm\n"
        "at = AppTest.from_file('app.py', default_timeout=120)\n"
        "at.run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "workers = [t for t in threading.enumerate() if t.name == warm.THREAD]\n"
        "assert len(workers) == 1, workers\n"
        "workers[0].join(240)\n"
        "missing = [m for m in warm.TRAIN_MODULES if m not in sys.modules]\n"
        "assert not missing, missing\n"
        "at.run()  # a rerun starts no second warm-up\n"
        "assert not [t for t in threading.enumerate() if t.name == warm.THREAD]\n"
        "print('warm ok')\n"
    )
    run = _fresh(code, CNNVIZ_TRAIN_IMAGES="60")
    assert run.returncode == 0 and "warm ok" in run.stdout, run.stdout + run.stderr


def test_the_warm_up_covers_every_module_the_train_page_imports() -> None:
    page = {
        m
        for m in _imports(ROOT / "views" / "train.py")
        if m.startswith("cnnviz.") and (ROOT / (m.replace(".", "/") + ".py")).exists()
    }
    assert "cnnviz.ui.train.data" in page
    assert page <= set(warm.TRAIN_MODULES), sorted(page - set(warm.TRAIN_MODULES))
    assert "torch" in warm.TRAIN_MODULES


def test_a_class_servers_join_page_is_drawn_without_torch() -> None:
    """On a class server the first page is the join form: opening the classroom (and with it
    the server's job registry, which sets torch's thread count) must not load torch either."""
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=120)\n"
        "at.run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "assert [t.value for t in at.title] == ['Join the class'], at.title\n"
        f"bad = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not bad, f'the join page imported {bad}'\n"
        "from cnnviz.train.jobs import server_registry\n"
        "assert server_registry().torch_threads, 'the thread count is kept for later'\n"
        "import torch\n"
        "server_registry().apply_threads()  # the warm-up or the first training sets it\n"
        "assert torch.get_num_threads() == 1, torch.get_num_threads()\n"
        "print('join ok')\n"
    )
    run = _fresh(code, CNNVIZ_CLASS="1", CNNVIZ_WARM_UP="0", CNNVIZ_TRAIN_THREADS="1")
    assert run.returncode == 0 and "join ok" in run.stdout, run.stdout + run.stderr
