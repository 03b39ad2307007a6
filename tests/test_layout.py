"""The layout's promises: stages as folders, a streamlit-free core, a torch-free shape engine."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "cnnviz"


def _fresh(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter from the repository root (the real package, not a fake)."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def core_modules() -> list[str]:
    names = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if "ui" in rel.parts or rel.name == "__main__":
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        names.append(".".join(parts))
    return names


def test_core_never_imports_streamlit() -> None:
    modules = core_modules()
    assert "cnnviz.design.shapes" in modules and "cnnviz.train.engine" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k == 'streamlit' or k.startswith('streamlit.'))\n"
        "print(bad[:5])\n"
        "sys.exit(1 if bad else 0)\n"
    )
    run = _fresh(code)
    assert run.returncode == 0, run.stdout + run.stderr


def test_shape_engine_and_links_need_no_torch() -> None:
    code = (
        "import sys\n"
        "import cnnviz.design.shapes, cnnviz.design.export, cnnviz.design.presets\n"
        "spec = cnnviz.design.presets.PRESETS['lecture-7-23'].spec\n"
        "cnnviz.design.shapes.summarize(spec)\n"
        "cnnviz.design.export.decode_spec(cnnviz.design.export.encode_spec(spec))\n"
        "bad = [m for m in ('torch', 'streamlit') if m in sys.modules]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    run = _fresh(code)
    assert run.returncode == 0, run.stdout + run.stderr


def test_import_cnnviz_is_lazy_and_the_public_api_works() -> None:
    code = (
        "import sys, cnnviz\n"
        "assert 'torch' not in sys.modules, 'import cnnviz loaded torch'\n"
        "rows = cnnviz.summarize(cnnviz.presets.PRESETS['lenet5'].spec)\n"
        "assert 'torch' not in sys.modules, 'summarize loaded torch'\n"
        "model = cnnviz.build_model(cnnviz.presets.PRESETS['lenet5'].spec)\n"
        "assert sum(p.numel() for p in model.parameters()) == sum(r['params'] for r in rows)\n"
        "assert issubclass(cnnviz.SpecError, ValueError)\n"
    )
    run = _fresh(code)
    assert run.returncode == 0, run.stdout + run.stderr


def test_only_the_entry_points_sit_directly_in_the_package() -> None:
    loose = sorted(p.name for p in PKG.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py"]


def _cnnviz_imports(path: Path) -> set[str]:
    """Modules this file imports from cnnviz at module level or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cnnviz"):
            out.add(node.module)
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if (ROOT / (full.replace(".", "/") + ".py")).exists():
                    out.add(full)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("cnnviz")}
    return out


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def test_no_import_cycle() -> None:
    graph = {_module_name(p): _cnnviz_imports(p) for p in PKG.rglob("*.py")}
    for deps in graph.values():  # importing a.b.c runs a/__init__ and a/b/__init__ first
        deps |= {d.rsplit(".", k)[0] for d in set(deps) for k in range(1, d.count(".") + 1)}
    graph = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    for m in graph:  # a package's __init__ is not a dependency of its modules here
        graph[m] = {d for d in graph[m] if not m.startswith(d + ".")}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, path: list[str]) -> bool:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycle.extend([*path[path.index(d) :], d] if d in path else [m, d])
                return True
            if d not in state and visit(d, [*path, d]):
                return True
        state[m] = 2
        return False

    for m in sorted(graph):
        if m not in state and visit(m, [m]):
            break
    assert not cycle, " -> ".join(cycle)


def test_no_shims_a_name_is_imported_from_its_home() -> None:
    """No module imports a cnnviz name that the named module only imported itself."""
    defined: dict[str, set[str]] = {}
    for p in PKG.rglob("*.py"):
        names = set()
        for node in ast.parse(p.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= {
                    n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)
                }
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
        defined[_module_name(p)] = names
    wrong = []
    for p in [*ROOT.joinpath("cnnviz").rglob("*.py"), *ROOT.joinpath("views").glob("*.py")]:
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cnnviz"):
                mod = node.module
                if mod == "cnnviz":
                    continue
                for a in node.names:
                    if f"{mod}.{a.name}" in defined or a.name in defined.get(mod, ()):
                        continue
                    wrong.append(f"{p.relative_to(ROOT)}: {a.name} from {mod}")
    assert not wrong, wrong
