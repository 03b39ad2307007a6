"""Adding a layer kind touches one registry entry: every stage picks it up from there."""

from __future__ import annotations

import pytest
import torch

from cnnviz.design.build import build_model
from cnnviz.design.export import to_pytorch_code
from cnnviz.design.layer_kinds import LAYER_KINDS, Category, LayerKind, Rule
from cnnviz.design.shapes import summarize
from cnnviz.design.spec import describe
from cnnviz.train.fitcheck import check_fit

SILU = LayerKind(
    "silu",
    "SiLU",
    Category.ACTIVATION,
    Rule.ELEMENTWISE,
    explain="x times sigmoid(x): a smooth ReLU",
    computes=lambda _: "x·σ(x) for every value on its own",
)
SPEC = {
    "input": [1, 8, 8],
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3},
        {"type": "silu"},
        {"type": "flatten"},
        {"type": "linear", "out_features": 3},
    ],
}


@pytest.fixture
def silu_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(LAYER_KINDS, "silu", SILU)


def test_one_entry_reaches_shapes_words_builder_export_and_fit_check(silu_registered) -> None:
    rows = summarize(SPEC, batch=2)
    assert [r["status"] for r in rows] == ["ok"] * 4
    assert rows[1]["formula"] == ["shape unchanged", "x·σ(x) for every value on its own"]
    assert rows[1]["explain"] == SILU.explain and rows[1]["category"] == "Activation"
    assert describe({"type": "silu"}) == "SiLU()"
    model = build_model(SPEC)
    assert isinstance(model[1], torch.nn.SiLU)
    out = model(torch.randn(2, 1, 8, 8))  # (B, classes)
    assert list(out.shape) == rows[-1]["output_shape"]
    assert "nn.SiLU()," in to_pytorch_code(SPEC)
    assert check_fit(SPEC, ("tiny", [1, 8, 8], 3)) == []


def test_positional_params_come_from_the_registry() -> None:
    conv = {"type": "conv2d", "out_channels": 6, "kernel_size": 3}
    assert describe(conv, 3) == "Conv2d(3, 6, kernel_size=3)"
    assert describe({"type": "linear", "out_features": 10}, 84) == "Linear(84, 10)"
