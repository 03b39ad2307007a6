"""Grad-CAM and saliency: input-sized maps in 0..1 that depend on the class; nothing left behind."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz.design.build import build_model
from cnnviz.design.presets import PRESETS
from cnnviz.inspect.capture import CaptureError
from cnnviz.inspect.gradcam import Method, gradcam, last_conv_index, saliency


def left_right_model() -> tuple[nn.Sequential, torch.Tensor]:
    """Class 0 = total of channel 0, class 1 = total of channel 1; the image has channel 0
    bright on the left half and channel 1 bright on the right half."""
    conv = nn.Conv2d(2, 2, 1)
    lin = nn.Linear(2 * 8 * 8, 2)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(2).view(2, 2, 1, 1))
        conv.bias.zero_()
        lin.weight.zero_()
        lin.bias.zero_()
        lin.weight[0, :64] = 1.0
        lin.weight[1, 64:] = 1.0
    x = torch.zeros(1, 2, 8, 8)
    x[0, 0, :, :4] = 1.0
    x[0, 1, :, 4:] = 1.0
    return nn.Sequential(conv, nn.ReLU(), nn.Flatten(), lin), x


def test_gradcam_follows_the_chosen_class() -> None:
    model, x = left_right_model()
    a0 = gradcam(model, x, target=0)
    a1 = gradcam(model, x, target=1)
    assert a0.method is Method.GRADCAM and a0.layer_index == 0 and a0.layer_name == "0 Conv2d"
    assert a0.heatmap[:, :4].mean() > 0.9 and a0.heatmap[:, 4:].max() < 0.1
    assert a1.heatmap[:, 4:].mean() > 0.9 and a1.heatmap[:, :4].max() < 0.1
    assert a0.score == pytest.approx(32.0) and a1.score == pytest.approx(32.0)
    assert gradcam(model, x).target in (0, 1)  # default: the predicted class


def test_gradcam_note_uses_class_names_and_layers_numbered_from_1() -> None:
    model, x = left_right_model()
    att = gradcam(model, x, target=1, classes=["left", "right"])
    assert (
        att.note
        == "bright = regions whose feature maps at layer 1 (Conv2d) raise the score of “right”"
    )
    assert "class 1" in gradcam(model, x, target=1).note  # no names given: the index
    flat = nn.Sequential(nn.Flatten(), nn.Linear(128, 2))
    assert "“left”" in gradcam(flat, x, target=0, classes=["left", "right"]).note  # saliency


def test_gradcam_size_range_and_nothing_left_behind() -> None:
    torch.manual_seed(0)
    model = build_model(PRESETS["mnist-basic"].new_spec())
    model.train()
    model[4].weight.requires_grad_(False)  # a frozen layer must stay frozen, the others trainable
    flags = [p.requires_grad for p in model.parameters()]
    x = torch.randn(1, 1, 28, 28)
    att = gradcam(model, x, target=3)
    assert att.heatmap.shape == (28, 28) and att.heatmap.dtype == np.float32
    assert att.heatmap.min() >= 0 and att.heatmap.max() <= 1
    assert att.layer_index == last_conv_index(model) == 4
    assert att.target == 3
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(p.grad is None for p in model.parameters())
    assert all(m.training for m in model.modules())
    assert all(not m._forward_hooks and not m._backward_hooks for m in model.modules())
    pooled = gradcam(model, x, target=3, layer=7)  # a 7×7 pooling output, resized up
    assert pooled.heatmap.shape == (28, 28) and pooled.layer_name == "7 MaxPool2d"


def test_saliency_when_there_is_no_conv_layer() -> None:
    lin = nn.Linear(16, 2)
    with torch.no_grad():
        lin.weight.zero_()
        lin.weight[0, :8] = 1.0  # class 0 looks at the top two rows
        lin.weight[1, 8:] = 1.0  # class 1 at the bottom two
    model = nn.Sequential(nn.Flatten(), lin)
    x = torch.rand(1, 1, 4, 4)
    a0 = gradcam(model, x, target=0)
    assert a0.method is Method.SALIENCY and a0.layer_index is None
    assert "no Conv2d" in a0.note
    assert a0.heatmap.shape == (4, 4)
    assert a0.heatmap[:2].min() == 1.0 and a0.heatmap[2:].max() == 0.0
    a1 = saliency(model, x, target=1)
    assert a1.heatmap[2:].min() == 1.0 and a1.heatmap[:2].max() == 0.0


def test_bad_class_and_bad_layer_are_clear_messages() -> None:
    model, x = left_right_model()
    with pytest.raises(CaptureError, match="classes 0..1"):
        gradcam(model, x, target=5)
    with pytest.raises(CaptureError, match="feature maps"):
        gradcam(model, x, target=0, layer=2)  # Flatten: a vector
    with pytest.raises(CaptureError, match="no layer 9"):
        gradcam(model, x, layer=9)
    assert all(not m._forward_hooks for m in model.modules())


def test_no_positive_evidence_gives_an_empty_map_with_a_note() -> None:
    model, x = left_right_model()
    with torch.no_grad():
        model[3].weight[0] *= -1  # class 0 now falls with channel 0
    att = gradcam(model, x, target=0)
    assert att.heatmap.max() == 0.0
    assert "no part" in att.note
