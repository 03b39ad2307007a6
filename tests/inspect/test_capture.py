"""Activation capture: summarize's shapes, no hooks left behind, modes restored; predict."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnviz.design.build import build_model
from cnnviz.design.presets import PRESETS
from cnnviz.design.shapes import summarize
from cnnviz.inspect.capture import CaptureError, capture, predict, split_softmax

CONV_PRESETS = ["lecture-7-23", "lenet5", "tiny-vgg", "mnist-basic", "mlp-2-3-3-1"]


def _no_hooks(model: nn.Module) -> bool:
    return all(
        not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks
        for m in model.modules()
    )


@pytest.mark.parametrize("name", CONV_PRESETS)
def test_shapes_equal_summarize(name: str) -> None:
    spec = PRESETS[name].new_spec()
    model = build_model(spec)
    x = torch.randn(2, *spec["input"])
    caps = capture(model, x)
    rows = summarize(spec, batch=2)
    assert [c.index for c in caps] == list(range(len(rows)))
    assert [list(c.shape) for c in caps] == [r["output_shape"] for r in rows]
    assert all(c.name == f"{c.index} {type(model[c.index]).__name__}" for c in caps)
    assert _no_hooks(model)


def test_outputs_match_plain_forward_pass() -> None:
    torch.manual_seed(0)
    model = build_model(PRESETS["mnist-basic"].new_spec())
    x = torch.randn(3, 1, 28, 28)
    caps = capture(model, x)
    model.eval()
    with torch.no_grad():
        h = x
        for cap, layer in zip(caps, model, strict=True):
            h = layer(h)
            torch.testing.assert_close(cap.output, h)
    assert caps[3].is_map and not caps[-1].is_map
    assert not caps[0].output.requires_grad


def test_outputs_are_copies_even_with_in_place_relu() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True))
    with torch.no_grad():
        model[0].bias.fill_(-0.5)
    caps = capture(model, torch.rand(1, 1, 5, 5))
    assert caps[0].output.min() < 0  # the conv output, before ReLU changed it in place
    assert caps[1].output.min() >= 0


def test_chosen_layers_only() -> None:
    model = build_model(PRESETS["lenet5"].new_spec())
    caps = capture(model, torch.randn(1, 1, 28, 28), layers=[0, 3])
    assert [c.index for c in caps] == [0, 3]
    with pytest.raises(CaptureError, match="no layer 99"):
        capture(model, torch.randn(1, 1, 28, 28), layers=[99])


def test_modes_restored_per_submodule() -> None:
    model = build_model(PRESETS["mnist-basic"].new_spec())
    model.train()
    model[1].eval()  # a mix: one BatchNorm2d frozen
    before = [m.training for m in model.modules()]
    bn = model[1]
    stats = bn.running_mean.clone()
    capture(model, torch.randn(4, 1, 28, 28) * 5 + 3)
    assert [m.training for m in model.modules()] == before
    torch.testing.assert_close(bn.running_mean, stats)  # eval: running statistics untouched
    model.eval()
    capture(model, torch.randn(1, 1, 28, 28))
    assert not any(m.training for m in model.modules())


class Boom(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("boom")


def test_hooks_removed_and_mode_restored_after_failure() -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), Boom(), nn.Flatten())
    model.train()
    with pytest.raises(CaptureError, match="2 Boom"):
        capture(model, torch.randn(1, 1, 8, 8))
    assert _no_hooks(model)
    assert all(m.training for m in model.modules())


def test_wrong_channels_is_a_clear_message() -> None:
    model = build_model(PRESETS["mnist-basic"].new_spec())
    with pytest.raises(CaptureError, match="0 Conv2d.*channels"):
        capture(model, torch.randn(1, 3, 28, 28))
    assert _no_hooks(model)
    with pytest.raises(CaptureError, match="normalize"):
        capture(model, torch.zeros(1, 1, 28, 28, dtype=torch.uint8))
    with pytest.raises(CaptureError, match="batch"):
        capture(model, torch.zeros(28))


def test_byte_cap() -> None:
    model = nn.Sequential(nn.Conv2d(1, 64, 3, padding=1))
    with pytest.raises(CaptureError, match="smaller batch"):
        capture(model, torch.randn(8, 1, 64, 64), max_bytes=1000)
    assert _no_hooks(model)


def test_predict_logits_probs_and_temperature() -> None:
    torch.manual_seed(1)
    model = build_model(PRESETS["lenet5"].new_spec())
    x = torch.randn(2, 1, 28, 28)
    pred = predict(model, x)
    model.eval()
    with torch.no_grad():
        ref = model(x)
    torch.testing.assert_close(pred.logits, ref)
    torch.testing.assert_close(pred.probs, torch.softmax(ref, 1))
    torch.testing.assert_close(pred.probs.sum(1), torch.ones(2))
    hot = predict(model, x, temperature=10.0).probs
    cold = predict(model, x, temperature=0.1).probs
    assert (hot.max(1).values < pred.probs.max(1).values).all()
    assert (cold.max(1).values > pred.probs.max(1).values).all()
    with pytest.raises(ValueError, match="temperature"):
        predict(model, x, temperature=0)


def test_trailing_softmax_gives_logits_from_the_layer_before() -> None:
    body = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    model = nn.Sequential(*body, nn.Softmax(dim=1))
    head, had = split_softmax(model)
    assert had and len(head) == 2
    x = torch.randn(2, 1, 2, 2)
    pred = predict(model, x)
    with torch.no_grad():
        torch.testing.assert_close(pred.logits, body(x))


def test_predict_refuses_feature_maps_as_output() -> None:
    with pytest.raises(CaptureError, match="Flatten and Linear"):
        predict(nn.Sequential(nn.Conv2d(1, 2, 3)), torch.randn(1, 1, 5, 5))


def test_inner_layers_of_blocks_are_captured_by_path_with_the_engines_shapes() -> None:
    from cnnviz.design.build import build_model
    from cnnviz.design.presets import PRESETS
    from cnnviz.design.shapes import summarize
    from cnnviz.inspect.capture import capture, layer_paths
    from cnnviz.inspect.gradcam import gradcam

    spec = {
        "input": [3, 12, 12],
        "layers": [
            {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
            {
                "type": "concat",
                "branches": [
                    [{"type": "conv2d", "out_channels": 2, "kernel_size": 1}],
                    [
                        {
                            "type": "residual",
                            "layers": [
                                {
                                    "type": "conv2d",
                                    "out_channels": 4,
                                    "kernel_size": 3,
                                    "padding": 1,
                                }
                            ],
                        },
                        {"type": "relu"},
                    ],
                ],
            },
            {"type": "flatten"},
            {"type": "linear", "out_features": 3},
        ],
    }
    rows = summarize(spec, 2)
    model = build_model(spec)
    assert layer_paths(model) == [r["path"] for r in rows]  # the order outputs are made
    caps = capture(model, torch.randn(2, 3, 12, 12), [r["path"] for r in rows])
    assert [c.path for c in caps] == [r["path"] for r in rows]
    assert [list(c.shape) for c in caps] == [r["output_shape"] for r in rows]
    assert caps[2].name == "1.1.0.0 Conv2d" and caps[2].index == 1
    att = gradcam(model, torch.randn(1, 3, 12, 12), 0, layer="1.1.0.0")
    assert att.layer_name == "1.1.0.0 Conv2d" and "layer 2.2.1.1 (Conv2d)" in att.note
    assert att.heatmap.shape == (12, 12)
    resnet = build_model(PRESETS["resnet-8"].spec)
    default = gradcam(resnet, torch.randn(1, 3, 32, 32), 0)
    assert default.layer_index == 7  # the last residual block, not the first Conv2d
