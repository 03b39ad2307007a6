"""Gradient-descent paths against the closed form on a quadratic, and the loss along a line."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnviz.learn.descent import (
    Bowl,
    Curve,
    closed_form_path,
    descent_path,
    filter_normalized_direction,
    loss_along_line,
)


@pytest.mark.parametrize("lr", [0.01, 0.2, 0.5])
def test_path_matches_the_closed_form(lr: float) -> None:
    bowl = Bowl()
    start = torch.tensor([-2.5, 2.0])
    path, diverged = descent_path(bowl.loss, start, lr, 40)
    assert not diverged
    assert torch.allclose(path, closed_form_path(bowl, start, lr, 40), atol=1e-9)


def test_learning_rate_regimes() -> None:
    bowl = Bowl()
    start = torch.tensor([2.0, 2.0])
    big = bowl.largest_step  # 2 / λ_max
    assert big == pytest.approx(2 / float(torch.linalg.eigvalsh(bowl.matrix).max()))
    good, _ = descent_path(bowl.loss, start, 0.9 * 2 / 3.414213562, 100)
    assert float(bowl.loss(good[-1])) < 1e-6
    slow, _ = descent_path(bowl.loss, start, 0.005, 30)
    assert float(bowl.loss(slow[-1])) > 1.0  # crawls: far from the minimum after 30 steps
    _, diverged = descent_path(bowl.loss, start, 1.05 * big, 100)
    assert diverged


def test_one_weight_minimum_where_the_derivative_is_zero() -> None:
    c = Curve()
    w = torch.tensor(4.0, requires_grad=True)
    c.loss(w).backward()
    assert float(w.grad) == pytest.approx(c.derivative(4.0))
    assert c.derivative(c.minimum) == 0


def test_loss_along_a_line_is_the_loss_at_zero_and_leaves_the_model_alone() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 4))
    before = [p.detach().clone() for p in model.parameters()]
    x, y = torch.randn(8, 1, 6, 6), torch.randint(0, 4, (8,))
    losses = loss_along_line(model, x, y, [-0.5, 0.0, 0.5])
    with torch.no_grad():
        assert losses[1] == pytest.approx(
            float(nn.functional.cross_entropy(model.eval()(x), y)), rel=1e-5
        )
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    d = filter_normalized_direction(model, torch.Generator().manual_seed(0))
    w = model[0].weight
    assert torch.allclose(d[0].reshape(3, -1).norm(dim=1), w.reshape(3, -1).norm(dim=1), rtol=1e-5)
    assert torch.equal(d[1], torch.zeros(3))  # biases stay put
