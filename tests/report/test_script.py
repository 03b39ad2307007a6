"""The training exported as train.py: it runs alone and under torchrun, and lands on the run's test accuracy."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cnnviz.cli.main import main
from cnnviz.train.script import training_script
from cnnviz.train.store import open_run

TOLERANCE = 0.08  # 400 test images: one standard error of the accuracy is about 0.025
COURSE_ORDER = [
    "class ImageDataset(Dataset)",
    "DataLoader(train_set",
    "model = Net()",
    "loss_fn = nn.CrossEntropyLoss()",
    "for epoch in range(1, EPOCHS + 1)",
    "logits = model(x)  # forward pass",
    "loss.backward()  # backward pass",
    "test_loss, test_acc = evaluate(",
]


def _accuracy(out: str) -> float:
    found = re.findall(r"^test accuracy: (\d\.\d{4})$", out, flags=re.M)
    assert found, out[-2000:]
    return float(found[-1])


def _clean_env(tmp: Path) -> dict[str, str]:
    # the script needs only torch: no PYTHONPATH to this checkout, run from elsewhere
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["OMP_NUM_THREADS"] = "1"
    env["HOME"] = os.fspath(tmp)
    return env


def test_script_has_the_course_pieces_in_order_and_the_run_settings(shapes_run: Path) -> None:
    run = open_run(shapes_run)
    text = training_script(run)
    ast.parse(text)
    at = [text.index(piece) for piece in COURSE_ORDER]
    assert at == sorted(at)
    cfg = run.train_config
    assert f"EPOCHS = {cfg['epochs']}" in text and f"SEED = {cfg['seed']}" in text
    assert f"LEARNING_RATE = {float(cfg['lr'])!r}" in text
    mean = [round(v, 6) for v in run.config["normalization"]["mean"]]
    assert f"MEAN = {mean}" in text
    assert "torch.optim.Adam(" in text and "import cnnviz" not in text
    assert os.fspath(shapes_run.parent) not in text  # no server path in a file to share


def test_script_reproduces_the_test_accuracy(shapes_run: Path, tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    assert main(["export", os.fspath(shapes_run), "--format", "script", "-o", str(script)]) == 0
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "epoch 3/3" in done.stdout
    expected = open_run(shapes_run).status["test_accuracy"]
    got = _accuracy(done.stdout)
    print(f"run: test accuracy {expected:.4f}; python train.py: {got:.4f}")
    assert abs(got - expected) <= TOLERANCE


def test_script_runs_data_parallel_under_torchrun(shapes_run: Path, tmp_path: Path) -> None:
    torchrun = shutil.which("torchrun")
    if torchrun is None:
        pytest.skip("torchrun is not on PATH")
    script = tmp_path / "train.py"
    script.write_text(training_script(open_run(shapes_run)))
    done = subprocess.run(
        [torchrun, "--standalone", "--nproc_per_node=2", str(script)],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "on each of 2 processes" in done.stdout  # it really split the work
    assert done.stdout.count("test accuracy:") == 1  # printed once, by process 0
    expected = open_run(shapes_run).status["test_accuracy"]
    got = _accuracy(done.stdout)
    print(f"run: test accuracy {expected:.4f}; torchrun x2: {got:.4f}")
    assert abs(got - expected) <= TOLERANCE


def test_export_script_needs_a_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "lecture-7-23", "--format", "script"]) == 2
    assert "exports a saved run" in capsys.readouterr().err


BLOCKS_SPEC = {
    "name": "tiny blocks",
    "input": [3, 16, 16],
    "layers": [
        {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
        {
            "type": "residual",
            "layers": [
                {"type": "conv2d", "out_channels": 12, "kernel_size": 3, "stride": 2, "padding": 1},
                {"type": "relu"},
            ],
            "shortcut": "conv1x1",
        },
        {
            "type": "concat",
            "branches": [
                [{"type": "conv2d", "out_channels": 4, "kernel_size": 1}],
                [{"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1}],
            ],
        },
        {"type": "adaptiveavgpool2d", "output_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}


def test_script_of_a_network_with_blocks_runs(tmp_path: Path) -> None:
    """Residual and Concat travel into train.py as classes with their forward; it trains."""
    from cnnviz.data.registry import load_dataset
    from cnnviz.train.config import TrainConfig
    from cnnviz.train.engine import build_seeded, fit
    from cnnviz.train.store import RunWriter

    config = TrainConfig(epochs=1, batch_size=32, lr=3e-3, seed=1, device="cpu")
    bundle = load_dataset("shapes", size=16, channels=3, n_train=200, n_test=60)
    writer = RunWriter(BLOCKS_SPEC, label="blocks", root=tmp_path / "runs")
    for _ in fit(build_seeded(BLOCKS_SPEC, config.seed), bundle, config, writer=writer):
        pass
    text = training_script(open_run(writer.path))
    assert "class Residual(nn.Module)" in text and "class Concat(nn.Module)" in text
    script = tmp_path / "train.py"
    script.write_text(text)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert 0 <= _accuracy(done.stdout) <= 1
