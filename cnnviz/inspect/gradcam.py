"""Where the network looks: Grad-CAM, or gradient saliency when there is no conv layer.

Grad-CAM (Selvaraju et al. 2017) for class c at a conv layer with output A
[K, h, w]: weight each channel by the mean of d(score_c)/dA over its h×w
positions, sum the weighted channels, keep the positive part (ReLU), then
resize to the input's H×W and scale to 0..1. Saliency: |d(score_c)/d(input)|,
the largest over the channels, scaled to 0..1.

The score is the class's logit (the output before any trailing Softmax). The
forward pass runs in eval mode; gradients are taken with ``torch.autograd.grad``
with respect to the activation (or input) only, so no parameter's ``.grad`` is
touched, the parameters' ``requires_grad`` is left as it was, hooks are removed
in ``finally`` and train/eval modes restored.

API::

    att = gradcam(model, x)                   # x: float [1, C, H, W]; class = the prediction
    att = gradcam(model, x, target=3, layer=4)
    att.heatmap                               # numpy float32 [H, W] in 0..1
    att.method, att.layer_name, att.target, att.note
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.inspect.capture import (
    CaptureError,
    _check_input,
    _children,
    _device_of,
    _inner,
    evaluation_mode,
    layer_module,
    layer_name,
    split_softmax,
)


class Method(StrEnum):
    GRADCAM = "Grad-CAM"
    SALIENCY = "gradient saliency"


@dataclass(frozen=True)
class Attribution:
    heatmap: np.ndarray  # float32 [H, W] (the input's size), 0..1
    method: Method
    target: int  # the class explained
    score: float  # that class's logit
    layer_index: int | None  # the layer Grad-CAM used (None for saliency)
    layer_name: str  # e.g. "4 Conv2d", or "input"
    note: str  # what the map shows, or why it is empty


def last_conv_index(model: nn.Module) -> int | None:
    """The index of the last Conv2d child (or block holding one: a ResNet's last residual
    block), or None when the network has none."""
    found = None
    for i, m in _children(model):
        if isinstance(m, nn.Conv2d) or (
            _inner(m) is not None and any(isinstance(k, nn.Conv2d) for k in m.modules())
        ):
            found = i
    return found


def _scale01(a: torch.Tensor) -> torch.Tensor:
    lo, hi = a.min(), a.max()
    return (a - lo) / (hi - lo) if hi > lo else torch.zeros_like(a)


def _pick_target(logits: torch.Tensor, target: int | None) -> int:
    k = logits.shape[1]
    if target is None:
        return int(logits[0].argmax())
    if not 0 <= int(target) < k:
        raise CaptureError(f"class {target} does not exist: the network has classes 0..{k - 1}")
    return int(target)


def shown_layer(index: int | str, module: nn.Module) -> str:
    """How the app names a layer to people: numbered from 1, as on the Design page ("5.3")."""
    label = ".".join(str(int(p) + 1) for p in str(index).split("."))
    return f"layer {label} ({type(module).__name__})"


def _class_words(t: int, classes: Sequence[str] | None) -> str:
    return f"“{classes[t]}”" if classes and 0 <= t < len(classes) else f"class {t}"


def gradcam(
    model: nn.Module,
    x: torch.Tensor,
    target: int | None = None,
    *,
    layer: int | str | None = None,
    classes: Sequence[str] | None = None,
) -> Attribution:
    """Grad-CAM of class ``target`` (default: the predicted class) for one image.

    ``layer``: the child index to use, or a spec path such as ``"4.2"`` for a layer inside
    a block (default: the last Conv2d, or the last block, at the top level). Without any Conv2d
    (and no ``layer``) falls back to ``saliency``. ``x`` is [1, C, H, W] float (a batch
    of more images uses the first). ``classes``: class names, used in the note; the note
    numbers layers from 1 ("layer 7 (Conv2d)") like the rest of the app.
    """
    _check_input(x)
    x = x[:1]
    if layer is None:
        layer = last_conv_index(model)
        if layer is None:
            return saliency(
                model, x, target, note="the network has no Conv2d layer, so ", classes=classes
            )
    children = _children(model)
    if isinstance(layer, int) and not 0 <= layer < len(children):
        raise CaptureError(f"no layer {layer}: the network has layers 0..{len(children) - 1}")
    module = layer_module(model, layer)
    body, _ = split_softmax(model)
    store: dict[str, torch.Tensor] = {}

    def hook(_m: nn.Module, _i: object, out: torch.Tensor) -> None:
        store["a"] = out

    handle = module.register_forward_hook(hook)
    try:
        with evaluation_mode(model), torch.enable_grad():
            # the input requires grad, so the graph exists even if every weight is frozen
            xi = x.detach().to(_device_of(model)).clone().requires_grad_(True)
            logits = body(xi)
            if logits.dim() != 2:
                raise CaptureError(
                    f"the network's output has shape {list(logits.shape)}, not class scores"
                )
            t = _pick_target(logits, target)
            a = store.get("a")
            if a is None or a.dim() != 4:
                shape = list(a.shape) if a is not None else "nothing"
                raise CaptureError(
                    f"Grad-CAM needs a layer with feature maps [B, C, H, W]; "
                    f"{shown_layer(layer, module)} gives {shape}: choose a conv, ReLU or pooling layer"
                )
            (grad,) = torch.autograd.grad(logits[0, t], a)
    finally:
        handle.remove()
    weights = grad[0].mean(dim=(1, 2))  # (K,)  the channels' importance
    cam = F.relu((weights[:, None, None] * a[0].detach()).sum(0))  # (h, w)
    h, w = x.shape[-2:]
    cam = F.interpolate(cam[None, None], size=(h, w), mode="bilinear", align_corners=False)[0, 0]
    empty = float(cam.max()) <= 0
    where, who = shown_layer(layer, module), _class_words(t, classes)
    note = (
        f"no part of the image raises the score of {who} at {where}"
        if empty
        else f"bright = regions whose feature maps at {where} raise the score of {who}"
    )
    heat = torch.zeros_like(cam) if empty else cam / cam.max()
    return Attribution(
        heat.cpu().numpy().astype(np.float32),
        Method.GRADCAM,
        t,
        float(logits[0, t].detach()),
        int(str(layer).split(".")[0]),
        layer_name(layer, module),
        note,
    )


def saliency(
    model: nn.Module,
    x: torch.Tensor,
    target: int | None = None,
    *,
    note: str = "",
    classes: Sequence[str] | None = None,
) -> Attribution:
    """|d score / d pixel| (largest over channels) for class ``target``, scaled to 0..1."""
    _check_input(x)
    body, _ = split_softmax(model)
    with evaluation_mode(model), torch.enable_grad():
        xi = x[:1].detach().to(_device_of(model)).clone().requires_grad_(True)
        logits = body(xi)
        if logits.dim() != 2:
            raise CaptureError(
                f"the network's output has shape {list(logits.shape)}, not class scores"
            )
        t = _pick_target(logits, target)
        (grad,) = torch.autograd.grad(logits[0, t], xi)
    g = grad[0].abs()
    g = g.amax(0) if g.dim() == 3 else g  # (H, W), or (F,) for a flat input
    msg = (
        f"{note}gradient saliency: bright = pixels whose change most moves the score of "
        f"{_class_words(t, classes)}"
    )
    return Attribution(
        _scale01(g).cpu().numpy().astype(np.float32),
        Method.SALIENCY,
        t,
        float(logits[0, t].detach()),
        None,
        "input",
        msg[0].upper() + msg[1:],
    )
