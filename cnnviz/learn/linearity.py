"""Linear or not? The two tests of linearity run on a real layer, and what follows from them.

A function f is *linear* when f(a + b) = f(a) + f(b) (additivity) and f(c·a) = c·f(a)
(homogeneity) for every a, b and number c. It is *affine* when f(x) = L(x) + t with L
linear: then f(a + b) = f(a) + f(b) − f(0) instead (a Conv2d or Linear with a bias,
BatchNorm2d in eval mode). ``check_linearity(module, a, b, c)`` runs both tests and
compares with torch's own outputs; ``Verdict`` says which it is. ReLU and MaxPool2d fail
additivity; both keep homogeneity for c > 0 (max(c·a) = c·max(a)), so the page shows
the sum counterexample (``maxpool_counterexample``).

``collapse_linears(layers)``: Linear layers with nothing between them are one Linear
layer, W = W_k ⋯ W_1 and b = W_k(⋯(W_2 b_1 + b_2)⋯) + b_k.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import torch
from torch import Tensor, nn


class Verdict(StrEnum):
    LINEAR = "linear"
    AFFINE = "affine"  # linear plus a constant (the bias)
    NOT_LINEAR = "not linear"


@dataclass(frozen=True)
class LinearityCheck:
    c: float
    f_sum: Tensor  # f(a + b)
    sum_f: Tensor  # f(a) + f(b)
    f_scaled: Tensor  # f(c·a)
    scaled_f: Tensor  # c·f(a)
    f_zero: Tensor  # f(0): the constant an affine map adds
    additive: bool
    homogeneous: bool
    affine: bool  # f(a + b) + f(0) == f(a) + f(b) and f(c·a) − f(0) == c·(f(a) − f(0))
    sum_gap: float  # max |f(a + b) − (f(a) + f(b))|
    scale_gap: float  # max |f(c·a) − c·f(a)|

    @property
    def verdict(self) -> Verdict:
        if self.additive and self.homogeneous:
            return Verdict.LINEAR
        if self.affine:
            return Verdict.AFFINE
        return Verdict.NOT_LINEAR


def _close(u: Tensor, v: Tensor) -> bool:
    scale = max(1.0, float(u.abs().max()), float(v.abs().max())) if u.numel() else 1.0
    return bool(torch.allclose(u, v, rtol=0, atol=1e-4 * scale))


def check_linearity(module: nn.Module, a: Tensor, b: Tensor, c: float) -> LinearityCheck:
    """Both tests on ``module`` (put in eval mode for the check, restored after)."""
    was = module.training
    module.eval()
    try:
        with torch.no_grad():
            fa, fb = module(a), module(b)
            f_sum, f_scaled = module(a + b), module(c * a)
            f_zero = module(torch.zeros_like(a))
    finally:
        module.train(was)
    sum_f, scaled_f = fa + fb, c * fa
    affine = _close(f_sum + f_zero, sum_f) and _close(f_scaled - f_zero, c * (fa - f_zero))
    return LinearityCheck(
        float(c), f_sum, sum_f, f_scaled, scaled_f, f_zero,
        _close(f_sum, sum_f), _close(f_scaled, scaled_f), affine,
        float((f_sum - sum_f).abs().max()), float((f_scaled - scaled_f).abs().max()),
    )  # fmt: skip


def maxpool_counterexample() -> tuple[Tensor, Tensor, float, float]:
    """Two 2×2 windows a and b with max(a + b) = 1 but max(a) + max(b) = 2 (MaxPool2d(2))."""
    a = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    b = torch.tensor([[[[0.0, 0.0], [0.0, 1.0]]]])
    pool = nn.MaxPool2d(2)
    return a, b, float(pool(a + b)), float(pool(a) + pool(b))


def collapse_linears(layers: list[nn.Linear]) -> nn.Linear:
    """One Linear layer equal to ``layers`` applied in turn (no activation between them)."""
    w = layers[0].weight.detach().clone()
    b = layers[0].bias.detach().clone() if layers[0].bias is not None else torch.zeros(w.shape[0])
    for lay in layers[1:]:
        w = lay.weight.detach() @ w
        b = lay.weight.detach() @ b + (lay.bias.detach() if lay.bias is not None else 0)
    one = nn.Linear(w.shape[1], w.shape[0])
    with torch.no_grad():
        one.weight.copy_(w)
        one.bias.copy_(b)
    return one


def linear_runs(model: nn.Sequential) -> list[list[int]]:
    """Indices of the Linear layers in each run of ≥ 2 with only Dropout between them."""
    runs: list[list[int]] = [[]]
    for i, m in enumerate(model):
        if isinstance(m, nn.Linear):
            runs[-1].append(i)
        elif not isinstance(m, nn.Dropout) and runs[-1]:
            runs.append([])
    return [r for r in runs if len(r) >= 2]


def demo_stack(seed: int = 0) -> nn.Sequential:
    """Linear(3, 4) → Linear(4, 2): two Linear layers with no activation between them."""
    g = torch.Generator().manual_seed(seed)
    stack = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    with torch.no_grad():
        for p in stack.parameters():
            p.copy_(torch.randn(p.shape, generator=g).mul(0.8).round(decimals=1))
    return stack


__all__ = [
    "LinearityCheck",
    "Verdict",
    "check_linearity",
    "collapse_linears",
    "demo_stack",
    "linear_runs",
    "maxpool_counterexample",
]
