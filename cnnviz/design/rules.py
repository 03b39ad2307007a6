"""The shape rules, one function per ``spec.Rule``: pure arithmetic, no torch.

Each rule takes the normalized layer, its batch-first input shape and the
receptive-field state, and returns a :class:`Step` (output shape, params,
formulas, notes) or raises :class:`LayerProblem` with what went wrong and the
fix, in the course's words. The arithmetic is PyTorch's own (ATen's
``conv_output_size`` / ``pooling_output_shape``); the property test in
tests/test_shapes_torch.py checks it against real forward passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from cnnviz.design.layer_kinds import MAX_LAYER_PARAMS, LayerKind, Rule
from cnnviz.design.spec import as_pair
from cnnviz.design.words import (
    LayerProblem,
    arg,
    axis_formulas,
    bad_groups,
    hw,
    n,
    too_big,
    uncovered_note,
)

__all__ = ["RULES", "Step"]


@dataclass
class Step:
    output_shape: list[int]
    params: int = 0
    params_formula: str = ""
    weight_shape: list[int] | None = None
    bias_shape: list[int] | None = None
    matmul: str | None = None
    mult_adds: int = 0
    formula: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rf: int | None = None  # receptive field (H) after this layer
    jump: int | None = None  # product of the strides so far (H)


def _needs_4d(kind: LayerKind, shape: list[int], index: int) -> None:
    if len(shape) == 4:
        return
    where = (
        "the input is flat [N] features"
        if index == 0
        else f"the output above is already flat {shape}"
    )
    fix = (
        "use a [C, H, W] input"
        if index == 0
        else f"move {kind.torch_name} above the Flatten (or remove the Flatten above it)"
    )
    raise LayerProblem(
        f"{kind.torch_name} needs a 4-D [B, C, H, W] input (images), but {where}", fix
    )


def _window(
    size: int, k: int, s: int, p: int, d: int, ceil_mode: bool
) -> tuple[int, str, int, str]:
    """(output size, the formula's right-hand side, input rows never covered at the end,
    the rounding as "14.5 → 14" or "")."""
    span = d * (k - 1) + 1
    num = size + 2 * p - span
    out = (num + (s - 1 if ceil_mode else 0)) // s + 1
    dropped_last = False
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
        dropped_last = True
    bracket = ("⌈", "⌉") if ceil_mode else ("⌊", "⌋")  # the LaTeX formula's floor (or ceil)
    text = f"{bracket[0]}({size} + 2·{p} − {d}·({k}−1) − 1) / {s}{bracket[1]} + 1"
    exact = 1 + num / s
    if num % s == 0:
        text += f" = {out}"
    else:
        text += f" = {bracket[0]}{n(num / s)}{bracket[1]} + 1 = {out + dropped_last}"
        text += " (ceil_mode rounds up)" if ceil_mode else ""
        if dropped_last:
            text += (
                f" − 1 = {out}: window {out + 1} would start in the right padding, "
                "so PyTorch drops it"
            )
    uncovered = max(0, p + size - ((out - 1) * s + span)) if out >= 1 else 0
    rounding = "" if num % s == 0 else f"{n(exact)} → {out}"
    return out, text, uncovered, rounding


def sliding(kind: LayerKind, layer: dict, shape: list[int], index: int, rf: tuple) -> Step:
    """Conv2d, MaxPool2d, AvgPool2d: a window of K (dilated by D) moving by S over padded input."""
    _needs_4d(kind, shape, index)
    b, c, H, W = shape
    is_conv = kind.rule is Rule.CONV
    k = as_pair(layer["kernel_size"])
    stride = layer.get("stride")
    s = as_pair(stride if stride is not None else layer["kernel_size"])
    d = as_pair(layer.get("dilation", 1))
    ceil_mode = bool(layer.get("ceil_mode", False))
    pad = layer["padding"]
    notes: list[str] = []
    if pad == "same":
        if s != (1, 1):
            raise LayerProblem(
                f'padding="same" needs stride 1 in PyTorch, but stride is {hw(s)}',
                f"set stride=1, or use padding={arg(((k[0] - 1) // 2 * d[0], (k[1] - 1) // 2 * d[1]))} "
                "with the stride",
            )
        p = ((d[0] * (k[0] - 1)) // 2, (d[1] * (k[1] - 1)) // 2)
    else:
        p = (0, 0) if pad == "valid" else as_pair(pad)
    if not is_conv and (p[0] > k[0] // 2 or p[1] > k[1] // 2):
        raise LayerProblem(
            f"padding {arg(p)} is more than half the kernel {hw(k)}: "
            f"PyTorch allows at most padding {arg((k[0] // 2, k[1] // 2))} for this kernel",
            f"use padding={arg((min(p[0], k[0] // 2), min(p[1], k[1] // 2)))} "
            f"or a kernel of at least {2 * max(p) + 1}",
        )
    span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
    if is_conv and pad != "same" and (H + 2 * p[0] < span[0] or W + 2 * p[1] < span[1]):
        raise too_big(kind, k, d, p, span, (H, W), (rf[1] or 1) > 1, is_conv, s)
    groups = int(layer.get("groups", 1))
    if is_conv:
        out_c = int(layer["out_channels"])
        if c % groups or out_c % groups:
            raise bad_groups(groups, c, out_c)
    else:
        out_c = c
    if pad == "same":
        oh, ow = H, W
        t = (span[0] - 1, span[1] - 1)  # D·(K−1) zeros per axis, the odd one after
        formula = [
            f'padding="same": PyTorch adds D·(K−1) = {hw(t)} zeros per axis '
            f"({hw((t[0] // 2, t[1] // 2))} before, {hw((t[0] - t[0] // 2, t[1] - t[1] // 2))} after), "
            f"so the output keeps the input's {H}×{W}"
        ]
        uh = uw = 0
        rounding = ""
    else:
        h = _window(H, k[0], s[0], p[0], d[0], ceil_mode)
        w = _window(W, k[1], s[1], p[1], d[1], ceil_mode)
        (oh, _, uh, rh), (ow, _, uw, rw) = h, w
        rounding = rh if rh == rw or not rw else (f"{rh}; {rw}" if rh else rw)
        formula = axis_formulas("H", h, w)
        if oh < 1 or ow < 1:  # pools only (torch checks the output size); conv was caught above
            raise too_big(kind, k, d, p, span, (H, W), (rf[1] or 1) > 1, is_conv, s)
    verb = "seen by any filter" if is_conv else "pooled"
    note = uncovered_note(uh, uw, verb, rounding)
    if note:
        notes.append(note)
    if s[0] > span[0] or s[1] > span[1]:
        notes.append(
            f"stride {hw(s)} is larger than the window {hw(span)}: some rows/columns between "
            "windows are skipped"
        )
    step = Step([b, out_c, oh, ow], formula=formula, notes=notes)
    rf_in, jump_in = rf
    if rf_in is not None:
        step.rf = rf_in + (span[0] - 1) * jump_in
        step.jump = jump_in * s[0]
    if is_conv:
        _conv_params(step, layer, c, out_c, groups, k, b, oh, ow)
    return step


def _conv_params(step: Step, layer: dict, c: int, out_c: int, groups: int, k, b, oh, ow) -> None:
    cg = c // groups
    weights = out_c * cg * k[0] * k[1]
    bias = out_c if layer.get("bias", True) else 0
    step.params = weights + bias
    step.params_formula = f"{out_c}·{cg}·{k[0]}·{k[1]}" + (f" + {out_c}" if bias else "")
    step.params_formula += f" = {n(step.params)}"
    step.weight_shape = [out_c, cg, k[0], k[1]]
    step.bias_shape = [out_c] if bias else None
    step.mult_adds = b * out_c * oh * ow * cg * k[0] * k[1]
    if groups > 1:
        step.formula.append(f"groups={groups}: each filter sees {c}/{groups} = {cg} channels")
    _check_param_cap(step.params, "use fewer out_channels or a smaller kernel")


def _check_param_cap(params: int, fix: str) -> None:
    if params > MAX_LAYER_PARAMS:
        raise LayerProblem(
            f"this layer would have {n(params)} parameters ({params * 4 / 1e9:.1f} GB), more "
            f"than the {n(MAX_LAYER_PARAMS)} cnnviz allows per layer",
            fix,
        )


def adaptive_pool(kind: LayerKind, layer: dict, shape: list[int], index: int, rf: tuple) -> Step:
    _needs_4d(kind, shape, index)
    b, c, H, W = shape
    oh, ow = as_pair(layer["output_size"])
    step = Step([b, c, oh, ow], formula=[f"H_out × W_out = {oh}×{ow}, fixed, whatever the input"])
    win_h = _adaptive_window(H, oh)
    if oh > H or ow > W:
        step.notes.append(f"output {oh}×{ow} is larger than the {H}×{W} input: values are repeated")
    else:
        step.formula.append(f"each output averages a window of up to {win_h} of the {H} rows")
    rf_in, jump_in = rf
    if rf_in is not None:
        step.rf = rf_in + (win_h - 1) * jump_in
        step.jump = jump_in * max(1, H // oh)
    return step


def _adaptive_window(size: int, out: int) -> int:
    """The widest window ATen's adaptive pooling uses: [floor(i·n/o), ceil((i+1)·n/o))."""
    return max(-(-(i + 1) * size // out) - (i * size // out) for i in range(out))


def channel_norm(kind: LayerKind, layer: dict, shape: list[int], index: int, rf: tuple) -> Step:
    _needs_4d(kind, shape, index)
    c = shape[1]
    step = Step(list(shape), params=2 * c, params_formula=f"2·{c} = {n(2 * c)}")
    step.weight_shape, step.bias_shape = [c], [c]
    step.formula = ["shape unchanged: one learned scale γ and shift β per channel"]
    if shape[2] * shape[3] == 1:
        step.notes.append("1×1 maps: in training, BatchNorm2d needs a mini-batch larger than 1")
    step.rf, step.jump = rf
    return step


def elementwise(kind: LayerKind, layer: dict, shape: list[int], index: int, rf: tuple) -> Step:
    words = (
        kind.computes(layer) if kind.computes else f"{kind.torch_name} for every value on its own"
    )
    step = Step(list(shape), formula=["shape unchanged", words])
    if kind.probabilities and len(shape) == 4:
        step.notes.append(
            "Softmax over the channels of a 4-D output: it usually comes after the last Linear"
        )
    step.rf, step.jump = rf
    return step


def flatten(kind: LayerKind, layer: dict, shape: list[int], index: int, rf: tuple) -> Step:
    if len(shape) == 2:
        return Step(list(shape), formula=["already flat: nothing changes"])
    feats = prod(shape[1:])
    dims = "·".join(str(x) for x in shape[1:])
    return Step([shape[0], feats], formula=[f"features = C·H·W = {dims} = {n(feats)}"])


def linear(kind: LayerKind, layer: dict, shape: list[int], index: int, rf: tuple) -> Step:
    if len(shape) != 2:
        raise LayerProblem(
            f"Linear after a {len(shape)}-D output {shape}: Linear needs flat features",
            "add a Flatten above this Linear",
        )
    b, fin = shape
    out = int(layer["out_features"])
    bias = out if layer.get("bias", True) else 0
    params = fin * out + bias
    _check_param_cap(params, "add pooling above (a smaller Flatten) or use fewer out_features")
    step = Step([b, out], params=params, weight_shape=[out, fin])
    step.params_formula = f"{fin}·{out}" + (f" + {out}" if bias else "") + f" = {n(params)}"
    step.bias_shape = [out] if bias else None
    step.matmul = f"({b}×{fin})·({fin}×{out}) → ({b}×{out})"
    step.mult_adds = b * fin * out
    step.formula = [f"in_features = {n(fin)} (from the layer above), out_features = {n(out)}"]
    return step


RULES = {
    Rule.CONV: sliding,
    Rule.POOL: sliding,
    Rule.ADAPTIVE_POOL: adaptive_pool,
    Rule.CHANNEL_NORM: channel_norm,
    Rule.ELEMENTWISE: elementwise,
    Rule.FLATTEN: flatten,
    Rule.LINEAR: linear,
}
