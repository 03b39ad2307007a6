"""python -m cnnviz train: JSON lines ending with the final line, clean errors, --fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnviz.cli.main import main

SPEC = {
    "input": [3, 16, 16],
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}
SMALL = ["--dataset", "shapes", "--limit-train", "120", "--limit-test", "40", "--batch-size", "32"]


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    p = tmp_path / "net.json"
    p.write_text(json.dumps(SPEC))
    return p


def test_json_lines_end_with_the_finished_line(spec_file: Path, tmp_path: Path, capsys):
    runs = tmp_path / "runs"
    code = main(
        ["train", str(spec_file), *SMALL, "--epochs", "2", "--runs-dir", str(runs), "--json"]
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert all("event" in d for d in lines)
    assert (
        lines[0]["event"] == "fit_started" and lines[0]["train_size"] == 108
    )  # round(10% of 120) = 12 held out: 1 of 12 per class, and 1 more in two classes
    assert [d["epoch"] for d in lines if d["event"] == "epoch_ended"] == [1, 2]
    last = lines[-1]
    assert last["event"] == "finished" and 0 <= last["test_accuracy"] <= 1
    run_dir = Path(last["run_dir"])
    assert run_dir.parent == runs and (run_dir / "weights.pt").is_file()
    assert run_dir.name.split("-")[2] == "net"  # named after the spec file


def test_human_output_has_a_line_per_epoch_and_the_run_folder(
    spec_file: Path, tmp_path: Path, capsys
):
    code = main(["train", str(spec_file), *SMALL, "--epochs", "2", "--runs-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "epoch 1/2" in out and "epoch 2/2" in out and "run saved in" in out
    assert "finished: test accuracy" in out


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--lr", "-1"], "lr must be above 0"),
        (["--batch-size", "0"], "batch_size"),
        (["--dataset", "imagenet"], "no dataset called 'imagenet'"),
    ],
)
def test_bad_numbers_and_names_exit_2_with_a_message(
    spec_file: Path, extra: list, words: str, capsys
):
    code = main(["train", str(spec_file), *SMALL, *extra])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err


def test_missing_spec_file_and_missing_mnist(tmp_path: Path, capsys):
    assert main(["train", str(tmp_path / "nope.json")]) == 2
    assert "no preset or file" in capsys.readouterr().err
    code = main(["train", "mnist-basic", "--data-dir", str(tmp_path / "empty"), "--json"])
    captured = capsys.readouterr()
    assert code == 2 and "MNIST" in captured.err
    assert json.loads(captured.out.splitlines()[-1])["event"] == "failed"


def test_a_network_that_does_not_fit_is_refused_then_fixed(spec_file: Path, tmp_path: Path, capsys):
    args = [
        "train",
        str(spec_file),
        *SMALL,
        "--size",
        "8",
        "--epochs",
        "1",
        "--runs-dir",
        str(tmp_path),
    ]
    assert main(args) == 1
    assert "--fix" in capsys.readouterr().err
    assert main([*args, "--fix", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["event"] == "finished"


def test_preset_defaults_fill_unset_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
):
    from cnnviz.cli import train as cli_train

    seen = {}

    def fake_train(spec, bundle, config, label, args, out):
        seen.update(config=config, label=label, dataset=bundle.name, shape=bundle.shape)
        return 0

    monkeypatch.setattr(cli_train, "_train", fake_train)
    assert (
        main(["train", "lecture-7-23", "--limit-train", "20", "--limit-test", "10", "--lr", "0.01"])
        == 0
    )
    from cnnviz.design.presets import PRESETS

    preset = PRESETS["lecture-7-23"]
    assert seen["config"].epochs == preset.train["epochs"] and seen["config"].lr == 0.01
    assert (
        seen["label"] == "lecture-7-23"
        and seen["dataset"] == "shapes"
        and seen["shape"] == (3, 64, 64)
    )


def test_ctrl_c_stops_once_then_aborts():
    from cnnviz.cli.train import _interrupt
    from cnnviz.train.control import Control

    control = Control()
    handler = _interrupt(control)
    handler(2, None)
    assert control.stop_requested and control.stop_reason == "Stopped with Ctrl-C."
    with pytest.raises(KeyboardInterrupt):
        handler(2, None)


def test_events_pass_through_the_worker_thread_in_order_and_errors_surface():
    from cnnviz.cli.train import _in_thread

    assert list(_in_thread(iter(range(2000)))) == list(range(2000))

    def broken():
        yield 1
        raise RuntimeError("disk gone")

    got = []
    with pytest.raises(RuntimeError, match="disk gone"):
        for item in _in_thread(broken()):
            got.append(item)
    assert got == [1]


def _cli(args: list[str], tmp: Path, code: str | None = None) -> list[dict]:
    """``python -m cnnviz train ...`` in a subprocess (``code``: run instead, before main)."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2])])
    cmd = [sys.executable, "-m", "cnnviz", "train", *args]
    if code is not None:
        cmd = [sys.executable, "-c", code, "train", *args]
    done = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_small_resnet_trains_on_shapes_from_the_command_line(tmp_path: Path) -> None:
    lines = _cli(
        ["resnet-8", "--epochs", "1", "--limit-train", "160", "--limit-test", "40"]
        + ["--batch-size", "32", "--runs-dir", str(tmp_path / "runs"), "--json"],
        tmp_path,
    )
    assert lines[0]["event"] == "fit_started"
    assert lines[-1]["event"] == "finished" and 0 <= lines[-1]["test_accuracy"] <= 1
    run = Path(lines[-1]["run_dir"])
    saved = json.loads((run / "spec.json").read_text())
    assert any(x.get("type") == "residual" for x in saved["layers"])
    from cnnviz.train.store import open_run

    assert sum(p.numel() for p in open_run(run).load_model().parameters()) > 0


def _cifar_files(root: Path) -> str:
    """CIFAR-10's own file layout with a few random 3×32×32 images; code that trusts them."""
    import hashlib
    import pickle

    import numpy as np

    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True)
    rng = np.random.default_rng(1)
    train_list = []
    for i in range(1, 6):
        data = rng.integers(0, 256, (40, 3072), dtype=np.uint8)
        path = base / f"data_batch_{i}"
        path.write_bytes(pickle.dumps({"data": data, "labels": [k % 10 for k in range(40)]}))
        train_list.append([path.name, hashlib.md5(path.read_bytes()).hexdigest()])
    test = rng.integers(0, 256, (30, 3072), dtype=np.uint8)
    (base / "test_batch").write_bytes(
        pickle.dumps({"data": test, "labels": [k % 10 for k in range(30)]})
    )
    names = ["airplane", "automobile", "bird", "cat", "deer"]
    names += ["dog", "frog", "horse", "ship", "truck"]
    (base / "batches.meta").write_bytes(pickle.dumps({"label_names": names}))

    def md5(name: str) -> str:
        return hashlib.md5((base / name).read_bytes()).hexdigest()

    # torchvision checks each file's md5 against the real CIFAR-10: point it at these
    return (
        "import sys, runpy, torchvision.datasets as tvd\n"
        f"tvd.CIFAR10.train_list = {train_list!r}\n"
        f"tvd.CIFAR10.test_list = [['test_batch', {md5('test_batch')!r}]]\n"
        "tvd.CIFAR10.meta = {'filename': 'batches.meta', 'key': 'label_names', "
        f"'md5': {md5('batches.meta')!r}}}\n"
        "sys.argv[0] = 'cnnviz'\n"
        "runpy.run_module('cnnviz', run_name='__main__')\n"
    )


def test_the_small_resnet_trains_on_cifar10_shaped_data(tmp_path: Path) -> None:
    code = _cifar_files(tmp_path / "data")
    lines = _cli(
        ["resnet-8", "--dataset", "cifar10", "--data-dir", str(tmp_path / "data")]
        + ["--epochs", "1", "--batch-size", "32", "--runs-dir", str(tmp_path / "runs"), "--json"],
        tmp_path,
        code,
    )
    assert lines[0]["event"] == "fit_started" and lines[0]["train_size"] + 0 > 0
    assert lines[-1]["event"] == "finished"
