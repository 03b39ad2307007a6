"""The class map's facts: depth, parameters and mult-adds as torch counts them, finished runs
only, read once per change on disk; and its figure for a class of 200 runs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch
from torch import nn

from cnnviz.compare import class_map
from cnnviz.compare.class_map import ClassRun, augmentation, class_runs, net_facts
from cnnviz.design.build import build_model
from cnnviz.design.presets import PRESETS
from cnnviz.plots.class_map import LABELS, class_map_figure
from cnnviz.train.store import list_runs
from tests.compare.runs_for_tests import train_run, with_batchnorm
from tests.helpers import TINY_SPEC

CONCAT = {
    "input": [3, 16, 16],
    "layers": [
        {"type": "conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1},
        {
            "type": "concat",
            "branches": [
                [{"type": "conv2d", "out_channels": 4, "kernel_size": 1}],
                [
                    {"type": "conv2d", "out_channels": 5, "kernel_size": 3, "padding": 1},
                    {"type": "batchnorm2d"},
                    {"type": "relu"},
                    {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1},
                ],
            ],
        },
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 20},
        {"type": "relu"},
        {"type": "linear", "out_features": 10},
    ],
}


def _torch_facts(spec: dict) -> tuple[int, int, int, bool]:
    """(depth, params, mult-adds of one image, has BatchNorm) counted on the built torch model:
    depth = Conv2d and Linear modules outside residual shortcuts; mult-adds from a forward
    pass's real output sizes (every Conv2d and Linear, shortcuts included)."""
    model = build_model(spec).eval()
    depth = sum(
        isinstance(m, nn.Conv2d | nn.Linear) and ".shortcut" not in f".{name}"
        for name, m in model.named_modules()
    )
    macs = []

    def hook(m: nn.Module, x: tuple, y: torch.Tensor) -> None:
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels // m.groups
            macs.append(y.numel() * k)
        else:
            macs.append(y.numel() * m.in_features)

    hooks = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    try:
        with torch.no_grad():
            model(torch.zeros(1, *spec["input"]))
    finally:
        for h in hooks:
            h.remove()
    params = sum(p.numel() for p in model.parameters())
    bn = any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    return depth, params, sum(macs), bn


@pytest.mark.parametrize(
    "spec",
    [
        PRESETS["resnet-8"].new_spec(),
        PRESETS["resnet-20"].new_spec(),
        PRESETS["mnist-basic"].new_spec(),
        PRESETS["lecture-7-23"].new_spec(),
        CONCAT,
        TINY_SPEC,
    ],
    ids=["resnet-8", "resnet-20", "mnist-basic", "lecture", "concat", "tiny"],
)
def test_depth_params_and_mult_adds_are_torchs(spec: dict) -> None:
    facts = net_facts(spec)
    assert (facts.depth, facts.params, facts.mult_adds, facts.batchnorm) == _torch_facts(spec)


def test_blocks_count_their_inner_layers() -> None:
    assert net_facts(PRESETS["resnet-20"].new_spec()).depth == 20  # ResNet's own count
    assert net_facts(CONCAT).depth == 6  # 1 + both branches' 3 + 2 Linear
    plain = {"input": [3, 16, 16], "layers": [CONCAT["layers"][0], *CONCAT["layers"][2:]]}
    assert net_facts(plain).depth == 3


def test_augmentation_in_words() -> None:
    assert augmentation({}) == "none"
    assert augmentation({"augment_flip": True}) == "flip"
    assert augmentation({"augment_flip": True, "augment_crop": 4}) == "flip + crop 4"
    assert augmentation({"augment_flip": "yes", "augment_crop": True}) == "none"  # not values


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three finished runs (one with BatchNorm and flips, on SGD) and one that failed."""
    root = tmp_path_factory.mktemp("class-map") / "runs"
    train_run(root=root, label="plain", lr=0.01)
    train_run(with_batchnorm(), root=root, label="bn", optimizer="sgd", augment_flip=True, epochs=1)
    train_run(root=root, label="third", augment_crop=2)
    bad = train_run(root=root, label="broken")
    status = json.loads((bad / "status.json").read_text())
    (bad / "status.json").write_text(json.dumps({**status, "status": "failed"}))
    return root


def test_finished_runs_with_their_settings_and_owners(runs: Path) -> None:
    class_map.clear_cache()
    infos = list_runs(runs)
    assert len(infos) == 4
    owners = {i.id: {"owner": "p1", "owner_name": "Ada", "shared": 1} for i in infos[:2]}
    rows = class_runs(infos, owners)
    assert len(rows) == 3 and all(isinstance(r, ClassRun) for r in rows)
    assert [r.test_accuracy for r in rows] == sorted((r.test_accuracy for r in rows), reverse=True)
    bn = next(r for r in rows if "bn" in r.run_id)
    assert (bn.optimizer, bn.batchnorm, bn.augmentation, bn.epochs) == ("sgd", True, "flip", 1)
    plain = next(r for r in rows if "plain" in r.run_id)
    assert (plain.lr, plain.batchnorm, plain.augmentation, plain.epochs) == (0.01, False, "none", 2)
    assert next(r for r in rows if "third" in r.run_id).augmentation == "crop 2"
    assert (plain.depth, plain.params) == _torch_facts(TINY_SPEC)[:2]
    named = {r.run_id: r.student for r in rows}
    for info in infos:
        if info.id in named:
            expect = "Ada" if info.id in owners else class_map.NO_OWNER
            assert named[info.id] == expect


def test_facts_are_read_once_until_a_file_changes(runs: Path) -> None:
    class_map.clear_cache()
    infos = list_runs(runs)
    class_runs(infos, {})
    read = class_map.stats["read"]
    assert read >= 3
    class_runs(infos, {})
    assert class_map.stats["read"] == read  # nothing re-read
    one = next(i for i in infos if "third" in i.id)
    spec = json.loads((one.path / "spec.json").read_text())
    bigger = copy.deepcopy(spec)
    bigger["layers"][0]["out_channels"] = 8
    (one.path / "spec.json").write_text(json.dumps(bigger))
    try:
        rows = class_runs(infos, {})
        assert class_map.stats["read"] == read + 1  # just the changed run
        changed = next(r for r in rows if r.run_id == one.id)
        assert changed.params == _torch_facts(bigger)[1]
    finally:
        (one.path / "spec.json").write_text(json.dumps(spec))


def _row(k: int) -> ClassRun:
    return ClassRun(
        run_id=f"run-{k}",
        dataset=("shapes", "shapes", "mnist")[k % 3],
        test_accuracy=(k % 97) / 100,
        depth=2 + k % 19,
        params=1000 * (1 + k * 37 % 900),
        mult_adds=50_000 * (1 + k % 400),
        lr=(1e-4, 1e-3, 1e-2, 0.1)[k % 4],
        optimizer=("sgd", "adam", "adamw")[k % 3],
        batchnorm=k % 2 == 0,
        augmentation=("none", "flip", "crop 4", "flip + crop 4")[k % 4],
        epochs=1 + k % 10,
        student=f"Student {k % 30}",
    )


def test_the_figure_for_a_class_of_two_hundred_runs() -> None:
    rows = [_row(k) for k in range(200)]
    assert class_map.datasets(rows) == ["shapes", "mnist"]
    fig = class_map_figure(rows, font_size=18).to_dict()
    (trace,) = fig["data"]
    assert trace["type"] == "parcoords"
    dims = trace["dimensions"]
    assert [d["label"] for d in dims] == list(LABELS.values())
    assert all(len(d["values"]) == 200 for d in dims)
    by = {d["label"]: d for d in dims}
    # categories: each run's value is the index of its word in the axis's ticks
    opt = by["optimizer"]
    assert [opt["ticktext"][int(v)] for v in opt["values"][:3]] == ["SGD", "Adam", "AdamW"]
    bn = by["BatchNorm"]
    assert [bn["ticktext"][int(v)] for v in bn["values"][:2]] == ["yes", "no"]
    # log axes: 10 ** value is the count, and the ticks are powers of ten in the range
    assert 10 ** by["parameters"]["values"][5] == pytest.approx(rows[5].params)
    assert by["learning rate"]["ticktext"] == ["0.0001", "0.001", "0.01", "0.1"]
    assert by["test acc. %"]["values"][50] == pytest.approx(50.0)
    for key in ("labelfont", "tickfont"):
        assert trace[key]["size"] == 18


def test_presenter_mode_raises_every_parcoords_font() -> None:
    from cnnviz.plots import presenter

    fig = presenter.figure(class_map_figure([_row(k) for k in range(10)], font_size=10))
    trace = fig["data"][0]
    for key in ("labelfont", "tickfont", "rangefont"):
        assert trace[key]["size"] >= presenter.MIN_PX, key
    assert min(presenter.font_sizes(fig)) >= presenter.MIN_PX


def test_an_empty_class_draws_an_empty_map() -> None:
    fig = class_map_figure([]).to_dict()
    assert all(d["values"] == [] for d in fig["data"][0]["dimensions"])
    assert class_map.best([]) is None and class_map.datasets([]) == []


def test_no_owner_no_name_on_the_axes() -> None:
    """Students' names never reach the chart (they are in the table, as text)."""
    rows = [
        ClassRun(**{**_row(1).__dict__, "student": "<b>Eve</b>"}),
        _row(2),
    ]
    assert "Eve" not in json.dumps(class_map_figure(rows).to_dict())
    assert class_runs is not None and rows[0].student == "<b>Eve</b>"  # kept for the table


def test_reading_the_map_needs_no_torch() -> None:
    """The facts come from spec.json through the shape engine: no weights, no torch."""
    import subprocess
    import sys

    code = (
        "import sys; from cnnviz.compare import class_map; from cnnviz.plots import class_map as p; "
        "from cnnviz.design.presets import PRESETS; "
        "class_map.net_facts(PRESETS['resnet-20'].new_spec()); p.class_map_figure([]); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr
