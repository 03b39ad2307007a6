"""``cnnviz export RUN --format tensorboard / csv``: read back with TensorBoard's own reader."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnviz.train.gradients import GradRecord, Histogram, append_records, read_records
from tests.compare.runs_for_tests import train_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A real 2-epoch run, with a gradients file written here (as the training would)."""
    root = tmp_path_factory.mktemp("runs")
    folder = train_run(root=root, epochs=2, lr=0.01)
    rng = np.random.default_rng(0)
    records = []
    for it, epoch in ((2, 0.25), (7, 1.0), (14, 2.0)):
        for layer, kind in (("0", "Conv2d"), ("4", "Linear")):
            w, g = rng.normal(size=50), rng.normal(scale=1e-3, size=50)
            hw, hg = (np.histogram(v, bins=30) for v in (w, g))
            records.append(
                GradRecord(
                    it,
                    epoch,
                    layer,
                    kind,
                    50,
                    float(np.linalg.norm(w)),
                    float(np.linalg.norm(g)),
                    float(np.abs(g).mean()),
                    Histogram(hw[1].tolist(), hw[0].tolist()),
                    Histogram(hg[1].tolist(), hg[0].tolist()),
                )
            )
    append_records(folder, records)
    return folder


def _cli(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    head = [sys.executable, "-c", code] if code else [sys.executable, "-m", "cnnviz"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*head, "export", *args], env=env, capture_output=True, text=True, timeout=300
    )


def _csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_tensorboard_files_hold_the_runs_numbers_as_tensorboard_reads_them(run_dir, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    done = _cli(str(run_dir), "--format", "tensorboard", "-o", str(tmp_path / "tb"))
    assert done.returncode == 0, done.stderr
    assert "tensorboard --logdir" in done.stderr

    def read(split: str) -> EventAccumulator:
        acc = EventAccumulator(
            str(tmp_path / "tb" / run_dir.name / split),
            size_guidance={"scalars": 0, "histograms": 0},
        )
        return acc.Reload()

    def series(acc: EventAccumulator, tag: str) -> tuple[list[int], list[float]]:
        events = acc.Scalars(tag)
        return [e.step for e in events], [e.value for e in events]

    train, val, test = read("train"), read("val"), read("test")
    iters, epochs = _csv(run_dir / "metrics_iter.csv"), _csv(run_dir / "metrics_epoch.csv")
    assert len(iters) > 4 and len(epochs) == 2
    for tag, col in (("loss/iteration", "loss"), ("accuracy/iteration", "accuracy")):
        steps, values = series(train, tag)
        assert steps == [int(r["iteration"]) for r in iters]
        assert values == pytest.approx([float(r[col]) for r in iters], rel=1e-6)  # float32
    for acc, split in ((train, "train"), (val, "val")):
        for what in ("loss", "accuracy"):
            steps, values = series(acc, f"{what}/epoch")
            assert steps == [1, 2]
            assert values == pytest.approx([float(r[f"{split}_{what}"]) for r in epochs], rel=1e-6)
    assert series(train, "learning_rate")[1] == pytest.approx([float(r["lr"]) for r in epochs])
    status = json.loads((run_dir / "status.json").read_text())
    assert series(test, "accuracy/epoch") == ([2], [pytest.approx(status["test_accuracy"])])

    records = read_records(run_dir)
    for layer, kind in (("0", "Conv2d"), ("4", "Linear")):
        mine = [r for r in records if r.layer == layer]
        for what, attr in (("weights", "weight_hist"), ("gradients", "grad_hist")):
            got = train.Histograms(f"{what}/{layer} {kind}")
            assert [h.step for h in got] == [r.iteration for r in mine]
            for h, r in zip(got, mine, strict=True):
                want = getattr(r, attr)
                assert h.histogram_value.bucket == want.counts
                assert h.histogram_value.bucket_limit == pytest.approx(want.edges[1:])
                assert h.histogram_value.num == sum(want.counts)
                assert h.histogram_value.min == pytest.approx(want.edges[0])


def test_csv_files_are_the_runs_metrics_and_gradient_sizes(run_dir, tmp_path):
    out = tmp_path / "csv"
    done = _cli(str(run_dir), "--format", "csv", "-o", str(out))
    assert done.returncode == 0, done.stderr
    name = run_dir.name
    for mine, theirs in (("iterations", "metrics_iter"), ("epochs", "metrics_epoch")):
        got, want = _csv(out / f"{name}-{mine}.csv"), _csv(run_dir / f"{theirs}.csv")
        assert len(got) == len(want) and list(got[0]) == list(want[0])
        for g, w in zip(got, want, strict=True):
            assert [float(g[k]) for k in w] == pytest.approx([float(w[k]) for k in w])
    grads = _csv(out / f"{name}-gradients.csv")
    records = read_records(run_dir)
    assert [(int(g["iteration"]), g["layer"]) for g in grads] == [
        (r.iteration, r.layer) for r in records
    ]
    assert [float(g["grad_mean_abs"]) for g in grads] == [r.grad_mean_abs for r in records]
    assert "weight_hist" not in grads[0]


def test_without_tensorboard_it_says_how_to_install_it(run_dir, tmp_path):
    code = (
        "import sys, runpy\n"
        "sys.modules['tensorboard'] = None  # as if not installed\n"
        "sys.argv[0] = 'cnnviz'\n"
        "runpy.run_module('cnnviz', run_name='__main__')\n"
    )
    done = _cli(str(run_dir), "--format", "tensorboard", "-o", str(tmp_path / "tb"), code=code)
    assert done.returncode == 3, done.stderr
    assert "pip install tensorboard" in done.stderr and "Traceback" not in done.stderr


def test_a_folder_is_needed_and_a_run_must_exist(run_dir, tmp_path):
    done = _cli(str(run_dir), "--format", "csv")
    assert done.returncode == 2 and "-o DIR" in done.stderr
    done = _cli("no-such-run", "--format", "tensorboard", "-o", str(tmp_path / "tb"),
                "--runs-dir", str(tmp_path))  # fmt: skip
    assert done.returncode == 2 and "No run called no-such-run" in done.stderr
    assert "Traceback" not in done.stderr
