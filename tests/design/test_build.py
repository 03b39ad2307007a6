"""spec -> nn.Sequential: one module per layer, inferred sizes, errors naming the layer."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnviz.design.build import build_model, build_preset
from cnnviz.design.shapes import summarize, totals
from cnnviz.design.spec import SpecError

SPEC = {
    "input": [3, 16, 16],
    "layers": [
        {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": "same", "bias": False},
        {"type": "batchnorm2d"},
        {"type": "leakyrelu", "negative_slope": 0.2},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "conv2d", "out_channels": 4, "kernel_size": [3, 1], "groups": 4},
        {"type": "adaptiveavgpool2d", "output_size": [2, 3]},
        {"type": "flatten"},
        {"type": "dropout", "p": 0.1},
        {"type": "linear", "out_features": 5},
        {"type": "softmax"},
    ],
}


def test_one_module_per_layer_with_inferred_sizes() -> None:
    model = build_model(SPEC)
    assert isinstance(model, nn.Sequential) and len(model) == len(SPEC["layers"])
    assert model[0].in_channels == 3 and model[0].bias is None and model[0].padding == "same"
    assert model[1].num_features == 8
    assert model[2].negative_slope == 0.2
    assert model[4].in_channels == 8 and model[4].groups == 4 and model[4].kernel_size == (3, 1)
    assert model[8].in_features == 4 * 2 * 3
    assert model[9].dim == 1
    y = model.eval()(torch.randn(2, 3, 16, 16))
    assert list(y.shape) == summarize(SPEC, 2)[-1]["output_shape"]
    assert torch.allclose(y.sum(dim=1), torch.ones(2))


def test_params_per_row_sum_to_the_model() -> None:
    rows = summarize(SPEC)
    model = build_model(SPEC)
    assert sum(r["params"] for r in rows) == sum(p.numel() for p in model.parameters())
    for row, module in zip(rows, model, strict=True):
        assert row["params"] == sum(p.numel() for p in module.parameters())


def test_an_invalid_spec_raises_naming_the_layer_and_fix() -> None:
    spec = {
        "input": [1, 4, 4],
        "layers": [{"type": "relu"}, {"type": "conv2d", "out_channels": 2, "kernel_size": 7}],
    }
    with pytest.raises(SpecError) as e:
        build_model(spec)
    assert e.value.layer == 1
    assert str(e.value).startswith(
        "Layer 2 (Conv2d(1, 2, kernel_size=7)): kernel 7 is larger than the 4×4 input."
    )
    assert "Fix: use padding=2 (the smallest that fits" in str(e.value)
    with pytest.raises(SpecError, match="no preset 'nope'"):
        build_preset("nope")


def test_empty_stack_builds() -> None:
    model = build_model({"input": [3, 8, 8], "layers": []})
    assert len(model) == 0 and list(model(torch.zeros(1, 3, 8, 8)).shape) == [1, 3, 8, 8]


def test_a_design_too_big_to_build_is_refused_before_allocating() -> None:
    wide = {"type": "conv2d", "out_channels": 2048, "kernel_size": 4, "padding": "same"}
    spec = {"input": [2048, 8, 8], "layers": [wide] * 3}  # 3 × 67M parameters
    assert "more than the 200,000,000 cnnviz builds" in totals(summarize(spec))["warning"]
    with pytest.raises(SpecError, match="more than the 200,000,000 cnnviz builds"):
        build_model(spec)
