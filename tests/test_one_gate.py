"""One gate for submitting a training: nothing above it starts one another way.

Every page, view and command starts a training (or an experiment) through the
submission gate (``cnnviz.classroom.submit``, seen from a page as
``cnnviz.ui.submit``), which applies the limits, the per-student cap, the queue
and the ownership row. This test reads every module outside the layers below the
gate and fails on a call that would start a training by itself, so a page added
later cannot forget the gate.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Below the gate: the gate itself, the queue it fills, the registry, the jobs and executors,
# the engine and the run store. Everything else is above it.
BELOW = {
    "cnnviz/classroom/submit.py",
    "cnnviz/classroom/queue.py",
    "cnnviz/train/jobs.py",
    "cnnviz/train/job.py",
    "cnnviz/train/engine.py",
    "cnnviz/train/store.py",
    "cnnviz/train/executors/thread.py",
    "cnnviz/train/executors/ray_executor.py",
    "cnnviz/train/executors/ray_worker.py",
}
# Calls that make or start a training, whatever they are called on.
MAKERS = {"Job", "RayJob", "ExperimentRun", "RunWriter", "start_arm"}


def _above_the_gate() -> list[Path]:
    files = [*ROOT.joinpath("cnnviz").rglob("*.py"), *ROOT.joinpath("views").glob("*.py")]
    files.append(ROOT / "app.py")
    return [p for p in files if p.relative_to(ROOT).as_posix() not in BELOW]


def _starts(path: Path) -> list[str]:
    """Each call in ``path`` that starts a training without the gate, as 'file:line: code'."""
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    source = path.read_text()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        owner = ast.unparse(f.value) if isinstance(f, ast.Attribute) else ""
        bad = (
            name in MAKERS
            or (name == "fit" and (isinstance(f, ast.Name) or "engine" in owner))  # engine.fit
            or (name == "start" and "registry" in owner.lower())  # registry.start(request)
            or (name == "create" and "executor" in owner.lower())  # executor.create(request)
            or (name == "put" and "queue" in owner and owner != "queue")  # room.queue.put(...)
        )
        if bad:
            found.append(f"{shown}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_nothing_above_the_gate_starts_a_training_by_itself():
    files = _above_the_gate()
    assert any(p.match("cnnviz/ui/train/start.py") for p in files)  # the walk sees the pages
    assert any(p.match("cnnviz/cli/train.py") for p in files)
    wrong = [hit for p in files for hit in _starts(p)]
    assert not wrong, "start trainings through cnnviz.classroom.submit (the gate):\n" + "\n".join(
        wrong
    )


def test_the_scan_would_see_a_page_that_skips_the_gate(tmp_path):
    """The check itself: each way around the gate is caught."""
    page = tmp_path / "page.py"
    page.write_text(
        "registry().start(request)\n"
        "jobs_ui.registry().start(spec, bundle, config)\n"
        "Job(request).start()\n"
        "make_executor(s).create(request)\n"
        "ExperimentRun(kind, request, start)\n"
        "room.queue.put(person, request)\n"
        "for ev in fit(model, data, config):\n    pass\n"
        "ImageOps.fit(im, (w, h))\n"  # not a training
    )
    found = _starts(page)
    assert len(found) == 7, found


def test_every_path_that_starts_a_training_calls_the_gate():
    """Start, the experiments (Runs and Train), the command line's train and experiment."""
    uses = {
        "cnnviz/ui/train/start.py": "submit_ui.start_training(",
        "cnnviz/ui/runs/experiments.py": "submit_ui.start_experiment(",
        "cnnviz/ui/submit.py": "gate().submit(",
        "cnnviz/cli/train.py": "gate.submit(",
        "cnnviz/cli/experiment.py": "gate.submit_experiment(",
    }
    for path, call in uses.items():
        assert call in (ROOT / path).read_text(), f"{path} no longer calls {call}"
