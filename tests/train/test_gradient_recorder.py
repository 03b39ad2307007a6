"""Recording gradients over time: the recorder against torch, the engine's moments, the file."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cnnviz.data.registry import load_dataset
from cnnviz.design.presets import PRESETS
from cnnviz.design.shapes import summarize
from cnnviz.train.config import TrainConfig
from cnnviz.train.engine import build_seeded, fit
from cnnviz.train.events import BatchEnded, GradientsRecorded
from cnnviz.train.gradient_recorder import GradientRecorder, moments, row_path
from cnnviz.train.gradients import (
    EXPLODING,
    GRADIENTS_FILE,
    VANISHING,
    gradient_word,
    read_records,
)
from cnnviz.train.status import Status
from cnnviz.train.store import RunWriter, open_run
from tests.helpers import TINY_SPEC, tiny_bundle


def _backward(spec: dict, seed: int = 0) -> torch.nn.Module:
    model = build_seeded(spec, seed)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(8, *spec["input"], generator=g)
    y = torch.randint(0, 10, (8,), generator=g)
    F.cross_entropy(model(x), y).backward()
    return model


def test_row_paths_follow_the_shape_engine():
    assert row_path("3") == ("3", "3")
    assert row_path("3.body.1") == ("3.1", "3.body.1")
    assert row_path("5.shortcut.0") == ("5", "5")
    assert row_path("4.branches.1.0") == ("4.1.0", "4.branches.1.0")
    assert row_path("2.body.0.branches.1.3") == ("2.0.1.3", "2.body.0.branches.1.3")
    assert row_path("") == ("0", "")
    assert row_path("features.0") == ("features.0", "features.0")  # not built from a spec


def test_resnet_records_match_torch_and_the_spec_rows():
    spec = PRESETS["resnet-8"].spec
    model = _backward(spec)
    records = GradientRecorder(model, 10).take(epoch=1, batch=1)
    # every row with weights, under its path, with its parameter count, in the rows' order
    rows = [r for r in summarize(spec, 8) if r["params"]]
    assert [r.layer for r in records] == [r["path"] for r in rows]
    assert [r.params for r in records] == [r["params"] for r in rows]
    assert "3.1" in {r.layer for r in records} and "5" in {r.layer for r in records}
    by_path = {r.layer: r for r in records}
    assert by_path["5"].kind == "Residual" and by_path["3.0"].kind == "Conv2d"
    assert by_path["3.1"].kind == "BatchNorm2d" and by_path["11"].kind == "Linear"
    for row in rows:
        rec = by_path[row["path"]]
        params = [p for n, p in model.named_parameters() if n.startswith(row["module"] + ".")]
        if row.get("block"):  # the block's own parameters: its projection shortcut
            params = [p for n, p in model.named_parameters() if ".shortcut." in n and
                      n.startswith(row["module"] + ".")]  # fmt: skip
        g = torch.cat([p.grad.reshape(-1) for p in params])
        w = torch.cat([p.detach().reshape(-1) for p in params])
        assert rec.params == g.numel()
        assert rec.grad_norm == pytest.approx(torch.linalg.vector_norm(g).item(), rel=1e-5)
        assert rec.weight_norm == pytest.approx(torch.linalg.vector_norm(w).item(), rel=1e-5)
        assert rec.grad_mean_abs == pytest.approx(g.abs().mean().item(), rel=1e-5)
        for hist, values in ((rec.grad_hist, g), (rec.weight_hist, w)):
            assert len(hist.counts) == 30 and len(hist.edges) == 31
            assert sum(hist.counts) == values.numel()
            lo, hi = values.min().item(), values.max().item()
            if lo == hi:  # one value (a fresh BatchNorm2d's weights): torch widens by 1
                lo, hi = lo - 1, hi + 1
            assert hist.edges[0] == pytest.approx(lo, rel=1e-5, abs=1e-12)
            assert hist.edges[-1] == pytest.approx(hi, rel=1e-5, abs=1e-12)
            ref = torch.histc(values, 30, lo, hi)
            assert hist.counts == [int(c) for c in ref.tolist()]


def test_the_moments_of_the_first_epoch():
    assert moments(80) == {1, 10, 20, 40, 80}
    assert moments(1) == {1}
    assert moments(3) == {1, 2, 3}
    rec = GradientRecorder(build_seeded(TINY_SPEC, 0), 80)
    due = [(e, b) for e in (1, 2) for b in range(1, 81) if rec.due(e, b)]
    assert due == [(1, 1), (1, 10), (1, 20), (1, 40), (1, 80), (2, 80)]


def test_the_engine_writes_the_file_at_the_moments(tmp_path):
    bundle = load_dataset("shapes", size=16, channels=1, n_train=192, n_test=32, seed=3)
    spec = {
        "input": [1, 16, 16],
        "layers": [
            {"type": "conv2d", "out_channels": 4, "kernel_size": 3},
            {"type": "relu"},
            {"type": "maxpool2d", "kernel_size": 2},
            {"type": "flatten"},
            {"type": "linear", "out_features": len(bundle.classes)},
        ],
    }
    cfg = TrainConfig(epochs=2, batch_size=16, lr=0.01, device="cpu", val_fraction=0.0)
    writer = RunWriter(spec, label="grads", root=tmp_path)
    events = list(fit(build_seeded(spec, 0), bundle, cfg, writer=writer))
    assert events[-1].status == Status.FINISHED
    ipe = events[0].iterations_per_epoch
    assert ipe == 12
    recorded = [e for e in events if isinstance(e, GradientsRecorded)]
    assert [e.iteration for e in recorded] == [1, 2, 3, 6, 12, 24]
    for e in recorded:  # right after that mini-batch's BatchEnded
        before = events[events.index(e) - 1]
        assert isinstance(before, BatchEnded) and before.iteration == e.iteration
    lines = read_records(writer.path)
    assert [(r.iteration, r.layer) for r in lines] == [
        (i, layer) for i in (1, 2, 3, 6, 12, 24) for layer in ("0", "4")
    ]
    assert [r.epoch for r in lines[::2]] == [
        pytest.approx(x, abs=1e-4) for x in (1 / 12, 2 / 12, 3 / 12, 0.5, 1.0, 2.0)
    ]
    assert {r.kind for r in lines} == {"Conv2d", "Linear"}
    assert all(sum(r.grad_hist.counts) == r.params for r in lines)
    assert open_run(writer.path).gradient_records() == lines
    # the event's JSON (the command line's --json) is the file's lines
    assert recorded[-1].to_dict()["records"][0]["layer"] == "0"


def test_recording_off_writes_no_file_and_trains_the_same(tmp_path):
    cfg = TrainConfig(epochs=1, batch_size=32, lr=0.05, device="cpu")
    on, off = build_seeded(TINY_SPEC, 1), build_seeded(TINY_SPEC, 1)
    writer = RunWriter(TINY_SPEC, root=tmp_path)
    ev_on = list(fit(on, tiny_bundle(), cfg, writer=writer))
    ev_off = list(fit(off, tiny_bundle(), cfg, record_gradients=False))
    assert not any(isinstance(e, GradientsRecorded) for e in ev_off)
    assert any(isinstance(e, GradientsRecorded) for e in ev_on)
    for a, b in zip(on.parameters(), off.parameters(), strict=True):
        assert torch.equal(a, b)  # recording reads, never changes, the training
    assert (writer.path / GRADIENTS_FILE).is_file()


def test_an_old_run_without_the_file_reads_as_no_records(tmp_path):
    cfg = TrainConfig(epochs=1, batch_size=64, device="cpu")
    writer = RunWriter(TINY_SPEC, root=tmp_path)
    list(fit(build_seeded(TINY_SPEC, 0), tiny_bundle(), cfg, writer=writer))
    (writer.path / GRADIENTS_FILE).unlink()
    assert open_run(writer.path).gradient_records() == []


DEEP_SIGMOID = {
    "input": [1, 8, 8],
    "layers": [
        {"type": "flatten"},
        *[
            layer
            for _ in range(12)
            for layer in ({"type": "linear", "out_features": 32}, {"type": "sigmoid"})
        ],
        {"type": "linear", "out_features": 4},
    ],
}


def test_a_deep_plain_stack_flags_its_first_layers_as_vanishing():
    cfg = TrainConfig(epochs=1, batch_size=64, lr=0.01, device="cpu")
    events = list(fit(build_seeded(DEEP_SIGMOID, 0), tiny_bundle(), cfg))
    first = next(e for e in events if isinstance(e, GradientsRecorded))
    sizes = [r.grad_mean_abs for r in first.records]
    assert [r.layer for r in first.records][0] == "1" and len(sizes) == 13
    assert gradient_word(sizes[0]) == "vanishing" and sizes[0] < VANISHING
    assert gradient_word(sizes[-1]) is None and sizes[-1] > 100 * VANISHING
    assert sizes[0] < sizes[6] < sizes[-1]  # smaller and smaller towards the input


def test_gradient_words():
    assert gradient_word(VANISHING / 2) == "vanishing"
    assert gradient_word(EXPLODING * 2) == "exploding"
    assert gradient_word(float("nan")) == "exploding"
    assert gradient_word(0.01) is None
