"""Every preset is valid, builds, and matches the course's notes."""

from __future__ import annotations

import pytest
import torch

from cnnviz.data.registry import DATASETS, DEFAULT_DATASET
from cnnviz.design.build import build_model
from cnnviz.design.presets import DEFAULT_PRESET, PRESETS
from cnnviz.design.shapes import summarize, totals


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_is_valid_builds_and_params_add_up(name: str) -> None:
    preset = PRESETS[name]
    assert preset.name == name and preset.title and preset.description
    rows = summarize(preset.spec, batch=2)
    assert all(r["status"] == "ok" for r in rows), [r["error"] for r in rows]
    model = build_model(preset.spec)
    assert totals(rows)["params"] == sum(p.numel() for p in model.parameters())
    x = torch.randn(2, *preset.spec["input"])
    with torch.no_grad():
        y = model.eval()(x)
    assert list(y.shape) == (rows[-1]["output_shape"] if rows else list(x.shape))
    copy = preset.new_spec()
    copy["layers"].append({"type": "relu"})
    assert copy != preset.spec  # new_spec is a deep copy


def test_default_preset_fits_the_default_dataset() -> None:
    preset = PRESETS[DEFAULT_PRESET]
    info = DATASETS[preset.dataset or DEFAULT_DATASET]
    assert preset.dataset in ("", DEFAULT_DATASET)  # the app opens on Design with Shapes
    rows = summarize(preset.spec)
    assert all(r["status"] == "ok" for r in rows)
    c, h, w = preset.spec["input"]
    assert c == info.channels and h in info.sizes and h == w
    assert rows[-1]["output_shape"] == [1, len(info.classes)]  # one score per class


def test_lecture_7_23_as_in_the_notes() -> None:
    rows = summarize(PRESETS["lecture-7-23"].spec, batch=2)
    shapes = {r["index"]: r["output_shape"] for r in rows}
    assert shapes[3] == [2, 12, 29, 29] and shapes[5] == [2, 12, 14, 14]
    assert shapes[7] == [2, 24, 12, 12] and shapes[8] == [2, 24, 6, 6]
    assert shapes[9] == [2, 864] and shapes[10] == [2, 1024]
    assert rows[-1]["output_shape"] == [2, 10]


def test_tiny_vgg_is_cnn_explainers() -> None:
    spec = PRESETS["tiny-vgg"].spec
    convs = [x for x in spec["layers"] if x["type"] == "conv2d"]
    assert spec["input"] == [3, 64, 64]
    assert len(convs) == 4 and all(c["out_channels"] == 10 and c["kernel_size"] == 3 for c in convs)
    assert sum(x["type"] == "maxpool2d" for x in spec["layers"]) == 2
    assert summarize(spec)[-1]["output_shape"] == [1, 10]


def test_mlp_2_3_3_1_is_the_lecture_diagram() -> None:
    rows = summarize(PRESETS["mlp-2-3-3-1"].spec)
    linears = [r for r in rows if r["type"] == "linear"]
    assert [r["weight_shape"] for r in linears] == [[3, 2], [3, 3], [1, 3]]
    assert rows[-1]["output_shape"] == [1, 1]


def test_lenet5_and_mnist_basic_take_digits() -> None:
    for name in ("lenet5", "mnist-basic"):
        spec = PRESETS[name].spec
        assert spec["input"] == [1, 28, 28]
        assert summarize(spec)[-1]["output_shape"] == [1, 10]
    assert summarize(PRESETS["lenet5"].spec)[3]["output_shape"] == [1, 16, 10, 10]
    assert PRESETS["blank"].spec["layers"] == []


def test_resnet_8_is_a_small_resnet_for_32_pixel_images() -> None:
    spec = PRESETS["resnet-8"].spec
    rows = summarize(spec, batch=2)
    blocks = [r for r in rows if r["block"]]
    assert spec["input"] == [3, 32, 32] and [r["type"] for r in blocks] == ["residual"] * 3
    assert [b["shortcut"] for b in spec["layers"] if b["type"] == "residual"] == [
        "identity",
        "conv1x1",
        "conv1x1",
    ]
    assert [r["output_shape"] for r in blocks] == [[2, 16, 32, 32], [2, 32, 16, 16], [2, 64, 8, 8]]
    assert rows[-1]["output_shape"] == [2, 10]
    assert totals(rows)["params"] < 100_000  # trains on a CPU in minutes


def _unpacked(layers: list[dict]) -> list[dict]:
    out: list[dict] = []
    for x in layers:
        out += _unpacked(x["layers"]) if x["type"] == "residual" else [x]
    return out


def test_plain_20_and_resnet_20_differ_only_in_the_skips() -> None:
    plain, skips = PRESETS["plain-20"].spec, PRESETS["resnet-20"].spec
    assert not any(x["type"] == "residual" for x in plain["layers"])
    assert _unpacked(skips["layers"]) == plain["layers"]
    for spec in (plain, skips):
        rows = summarize(spec)
        assert sum(r["type"] == "conv2d" for r in rows) == 19
        assert sum(r["type"] == "linear" for r in rows) == 1
        assert rows[-1]["output_shape"] == [1, 10]
    # the skips add only the two 1×1 projections where channels double
    extra = totals(summarize(skips))["params"] - totals(summarize(plain))["params"]
    assert extra == (16 * 8 + 2 * 16) + (32 * 16 + 2 * 32)
