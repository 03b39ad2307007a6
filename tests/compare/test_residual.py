"""The residual experiment: the twins, the first layers' gradient sizes, the reading, the CLI."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cnnviz.compare.experiments import ArmResult, ExperimentError, make_arms, reading
from cnnviz.compare.residual import first_layer_gradients, twins
from cnnviz.compare.runner import ExperimentRun, RunResult
from cnnviz.design.build import build_model
from cnnviz.design.presets import PRESETS
from cnnviz.train.config import TrainConfig
from cnnviz.train.gradients import GRADIENTS_FILE, GradRecord, Histogram, append_records
from cnnviz.train.request import TrainRequest
from cnnviz.train.status import Status
from tests.helpers import TINY_SPEC, tiny_bundle

ROOT = Path(__file__).resolve().parents[2]
CFG = TrainConfig(epochs=2, batch_size=32, lr=0.01, device="cpu")
CONV = {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}
RELU = {"type": "relu"}
DEEP = {  # a stem, then four Conv2d units; the third halves H and W and doubles the channels
    "input": [1, 8, 8],
    "layers": [
        CONV, RELU, CONV, RELU, CONV, RELU,
        {**CONV, "out_channels": 8, "stride": 2}, {"type": "batchnorm2d"}, RELU, {**CONV, "out_channels": 8}, RELU,
        {"type": "adaptiveavgpool2d", "output_size": 1}, {"type": "flatten"},
        {"type": "linear", "out_features": 4},
    ],
}  # fmt: skip


def test_the_twin_of_plain_20_is_resnet_20_and_back():
    plain, skips = PRESETS["plain-20"].spec, PRESETS["resnet-20"].spec
    assert twins(plain) == (plain, skips)
    assert twins(skips) == (plain, skips)
    resnet8 = PRESETS["resnet-8"].spec
    assert twins(twins(resnet8)[0])[1] == resnet8  # with BatchNorm2d inside the blocks too


def test_pairs_from_the_end_keep_the_stem_outside_and_project_where_the_shape_changes():
    plain, skips = twins(DEEP)
    assert plain is DEEP
    types = [x["type"] for x in skips["layers"]]
    assert types[:2] == ["conv2d", "relu"]  # the stem
    blocks = [x for x in skips["layers"] if x["type"] == "residual"]
    assert [b["shortcut"] for b in blocks] == ["identity", "conv1x1"]
    assert [x["type"] for x in blocks[1]["layers"]] == ["conv2d", "batchnorm2d", "relu", "conv2d"]
    # torch as the reference: same weights but the projection, same output shape
    x = torch.randn(2, 1, 8, 8)
    m_plain, m_skips = build_model(plain), build_model(skips)
    assert m_plain(x).shape == m_skips(x).shape == (2, 4)
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    projection = 4 * 8 + 2 * 8  # 1×1 Conv2d without bias, then BatchNorm2d
    assert n(m_skips) - n(m_plain) == projection


def test_a_network_without_two_conv2d_in_a_row_cannot_be_the_experiment():
    with pytest.raises(ExperimentError, match="plain-20"):
        make_arms("residual", TINY_SPEC, CFG)
    arms = make_arms("residual", DEEP, CFG)
    assert [a.label for a in arms] == ["plain stack", "with skip connections"]
    assert {a.config for a in arms} == {CFG.validated()}


def _records(folder: Path, sizes: dict[str, list[float]], per_epoch: int = 1) -> None:
    """Write a gradients file: layer -> its mean |gradient| at epochs 0.5, 1, 2 ..."""
    folder.mkdir(parents=True, exist_ok=True)
    moments = [0.5] + [float(e) for e in range(1, len(next(iter(sizes.values()))))]
    hist = Histogram([-1.0, 0.0, 1.0], [3, 4])
    append_records(
        folder,
        [
            GradRecord(10 * (i + 1), epoch, layer, kind, 40, 1.0, 0.1, size, hist, hist)
            for i, epoch in enumerate(moments)
            for layer, (kind, size) in {
                k: (("Linear" if k == "9" else "Conv2d"), v[i]) for k, v in sizes.items()
            }.items()
        ],
    )


def test_first_layer_gradients_are_the_first_conv2d_at_epoch_1_and_at_the_end(tmp_path):
    # paths in the spec's order: "2.0" comes before "10"; the Linear is not a Conv2d
    a = {"0": [9, 1e-3, 2e-3], "2.0": [9, 3e-3, 4e-3], "10": [9, 9, 9], "9": [9, 9, 9]}
    b = {"0": [9, 5e-3, 6e-3], "2.0": [9, 7e-3, 8e-3], "10": [9, 9, 9], "9": [9, 9, 9]}
    _records(tmp_path / "a", a)
    _records(tmp_path / "b", b)
    (tmp_path / "none").mkdir()
    got = first_layer_gradients([tmp_path / "a", tmp_path / "b", tmp_path / "none"], n=2)
    # per run the mean over its first layers, over the runs their geometric mean
    assert got["first_runs"] == pytest.approx([2e-3, 6e-3])
    assert got["last_runs"] == pytest.approx([3e-3, 7e-3])
    assert got["first_epoch"] == 1.0 and got["last_epoch"] == 2.0 and got["runs"] == 2
    assert got["first"] == pytest.approx(statistics.geometric_mean([2e-3, 6e-3]))
    assert got["last"] == pytest.approx(statistics.geometric_mean([3e-3, 7e-3]))
    assert first_layer_gradients([tmp_path / "none"]) is None


def test_the_reading_names_the_difference_its_spread_and_each_arms_gradient_sizes(tmp_path):
    exp = ExperimentRun(
        "residual", TrainRequest(DEEP, tiny_bundle(), CFG, runs_root=tmp_path), lambda r: None
    )
    accs = {"plain stack": [0.25, 0.27], "with skip connections": [0.81, 0.85]}
    for arm, values in accs.items():
        for seed, acc in enumerate(values):
            folder = tmp_path / f"{arm}-{seed}"
            g = (2e-7, 2e-5)[seed] if arm == "plain stack" else 3e-3
            _records(folder, {"0": [g, g, g], "2": [g, g, g], "4": [g, g, g]})
            exp.results.append(RunResult(arm, seed, folder.name, str(folder), Status.FINISHED, acc))
    text, variant = reading("residual", exp.arm_results(), exp.config)
    assert variant is None
    assert "plain stack 26.0% ± 1.4 over 2 seeds" in text
    assert "with skip connections 83.0% ± 2.8 over 2 seeds" in text
    assert "As the course says" in text and "57.0 points higher, beyond the seeds' spread" in text
    # seeds a hundred times apart: their geometric mean, and the range
    seeds = "from 2.0e-07 to 2.0e-05 over the 2 seeds"
    assert f"plain stack 2.0e-06 (vanishing; {seeds}) after epoch 1" in text
    assert "with skip connections 3.0e-03 after epoch 1" in text
    assert "After epoch 1, with skips the first layers' gradients were about 2 thousand" in text

    for r in exp.results:  # no gradients file: said, not guessed
        os.remove(Path(r.run_dir) / GRADIENTS_FILE)
    text, _ = reading("residual", exp.arm_results(), exp.config)
    assert "gradient sizes were not recorded" in text and "e-0" not in text


def test_within_the_noise_the_reading_does_not_claim_it():
    res = [
        ArmResult("plain stack", (0.80, 0.90)),
        ArmResult("with skip connections", (0.83, 0.89)),
    ]
    text, _ = reading("residual", res, CFG)
    assert "within the seeds' spread" in text and "As the course says" not in text


def test_cnnviz_experiment_residual_in_a_subprocess(tmp_path):
    spec = tmp_path / "deep.json"
    spec.write_text(json.dumps({**DEEP, "input": [1, 16, 16], "layers": [
        *DEEP["layers"][:-1], {"type": "linear", "out_features": 10}]}))  # fmt: skip
    cmd = [sys.executable, "-m", "cnnviz", "experiment", "residual", str(spec), "--epochs", "1",
           "--dataset", "shapes", "--size", "16", "--channels", "1", "--limit-train", "96",
           "--limit-test", "32", "--batch-size", "32", "--repeats", "2",
           "--runs-dir", str(tmp_path / "runs"), "--json"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CNNVIZ_RUNS_DIR": str(tmp_path / "runs")}
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    last = json.loads(done.stdout.splitlines()[-1])
    assert last["event"] == "experiment_finished"
    labels = [r["label"] for r in last["runs"]]
    assert labels == ["plain stack"] * 2 + ["with skip connections"] * 2
    assert [r["seed"] for r in last["runs"]] == [0, 1, 0, 1]
    kinds = [
        [x["type"] for x in json.loads((Path(r["run_dir"]) / "spec.json").read_text())["layers"]]
        for r in last["runs"]
    ]
    assert "residual" not in kinds[0] and kinds[2].count("residual") == 2
    assert "plain stack" in last["reading"] and "over 2 seeds" in last["reading"]
    recorded = all((Path(r["run_dir"]) / GRADIENTS_FILE).is_file() for r in last["runs"])
    if recorded:  # the training records gradients: the reading gives their sizes
        assert "Gradient size (mean |gradient|) of the first 3 Conv2d" in last["reading"]
    else:
        assert "gradient sizes were not recorded" in last["reading"]
