"""Linearity verdicts per layer kind against torch's outputs, the max-pool counterexample, and
a stack of Linear layers equal to one."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnviz.learn.linearity import (
    Verdict,
    check_linearity,
    collapse_linears,
    demo_stack,
    linear_runs,
    maxpool_counterexample,
)


def _bn() -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.2, -0.1, 0.5]))
        bn.running_var.copy_(torch.tensor([2.0, 0.5, 1.5]))
        bn.weight.copy_(torch.tensor([1.5, -0.7, 0.9]))
        bn.bias.copy_(torch.tensor([0.3, 0.0, -0.4]))
    return bn


CASES = [
    (lambda: nn.Conv2d(3, 4, 3, bias=False), 2.5, Verdict.LINEAR),
    (lambda: nn.Conv2d(3, 4, 3, bias=False), -1.5, Verdict.LINEAR),
    (lambda: nn.Conv2d(3, 4, 3), 2.0, Verdict.AFFINE),
    (lambda: nn.ReLU(), 2.0, Verdict.NOT_LINEAR),
    (lambda: nn.ReLU(), -1.0, Verdict.NOT_LINEAR),
    (lambda: nn.MaxPool2d(2), 3.0, Verdict.NOT_LINEAR),
    (_bn, 2.0, Verdict.AFFINE),
    (lambda: nn.Flatten(), -2.0, Verdict.LINEAR),
    (lambda: nn.AvgPool2d(2), 0.5, Verdict.LINEAR),
]


@pytest.mark.parametrize(("make", "c", "verdict"), CASES)
def test_verdict_per_layer_kind(make, c: float, verdict: Verdict) -> None:
    torch.manual_seed(0)
    m = make()
    a, b = torch.randn(2, 3, 6, 6), torch.randn(2, 3, 6, 6)
    r = check_linearity(m, a, b, c)
    m.eval()
    with torch.no_grad():  # the numbers shown are torch's own outputs
        assert torch.allclose(r.f_sum, m(a + b)) and torch.allclose(r.sum_f, m(a) + m(b))
        assert torch.allclose(r.scaled_f, c * m(a))
    assert r.verdict is verdict


def test_relu_and_maxpool_keep_positive_scaling_but_not_sums() -> None:
    a, b = torch.randn(1, 2, 4, 4), torch.randn(1, 2, 4, 4)
    for m in (nn.ReLU(), nn.MaxPool2d(2)):
        r = check_linearity(m, a, b, 3.0)
        assert r.homogeneous and not r.additive and r.sum_gap > 0.01
        assert not check_linearity(m, a, b, -1.0).homogeneous


def test_max_pool_counterexample_with_torch() -> None:
    a, b, f_sum, sum_f = maxpool_counterexample()
    pool = nn.MaxPool2d(2)
    assert f_sum == float(pool(a + b)) == 1.0
    assert sum_f == float(pool(a) + pool(b)) == 2.0


def test_batchnorm_in_train_mode_is_checked_in_eval_mode_and_restored() -> None:
    bn = _bn().train()
    check_linearity(bn, torch.randn(4, 3, 2, 2), torch.randn(4, 3, 2, 2), 2.0)
    assert bn.training


def test_stack_of_linears_is_one_linear() -> None:
    torch.manual_seed(3)
    stack = nn.Sequential(nn.Linear(5, 7), nn.Linear(7, 4), nn.Dropout(0.5), nn.Linear(4, 2)).eval()
    one = collapse_linears([stack[0], stack[1], stack[3]])
    x = torch.randn(10, 5)
    assert (one.in_features, one.out_features) == (5, 2)
    assert torch.allclose(one(x), stack(x), atol=1e-5)
    demo = demo_stack()
    assert torch.allclose(collapse_linears([demo[0], demo[1]])(x[:, :3]), demo(x[:, :3]), atol=1e-5)
    with_relu = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 4))
    assert linear_runs(with_relu) == []  # an activation between them: not one layer
    assert linear_runs(stack) == [[0, 1, 3]]
