"""Finding the minimum: one weight by calculus, two by gradient descent, a real network's loss.

One weight: ``L(w) = ½·k·(w − w*)² + L*``: ``dL/dw = k·(w − w*)`` is zero at ``w*``.
Two weights: ``L(w) = ½ (w − w*)ᵀ A (w − w*)`` with A symmetric positive definite;
gradient descent ``w ← w − η·∇L(w)`` with ``∇L = A (w − w*)`` follows the closed form
``w_t − w* = (I − ηA)ᵗ (w_0 − w*)``: it converges when ``η < 2 / λ_max(A)`` and crawls
when η is much smaller than ``1 / λ_max``; above ``2 / λ_max`` it diverges.
``descent_path`` runs the update with autograd (as an optimizer does), so the closed
form is a real check of it.

The real network: ``loss_along_line`` evaluates the loss at ``θ + α·d`` for a random
direction d normalized filter by filter (Li et al. 2018, "Visualizing the loss
landscape"), ``loss_slice`` on a 2-D grid of two such directions.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

MAX_STEPS = 200
DIVERGED = 1e4  # |w| beyond which a path is called diverged and stopped


@dataclass(frozen=True)
class Bowl:
    """The two-weight loss surface ``½ (w − w*)ᵀ A (w − w*)``."""

    a: tuple[tuple[float, float], tuple[float, float]] = ((3.0, 1.0), (1.0, 1.0))
    minimum: tuple[float, float] = (1.0, -0.5)

    @property
    def matrix(self) -> Tensor:
        return torch.tensor(self.a, dtype=torch.float64)

    @property
    def center(self) -> Tensor:
        return torch.tensor(self.minimum, dtype=torch.float64)

    def loss(self, w: Tensor) -> Tensor:
        """Loss at ``w`` (``[2]`` or ``[..., 2]``)."""
        d = w - self.center
        return 0.5 * ((d @ self.matrix) * d).sum(-1)

    def gradient(self, w: Tensor) -> Tensor:
        return (w - self.center) @ self.matrix

    @property
    def largest_step(self) -> float:
        """2 / λ_max: learning rates above it diverge."""
        return 2.0 / float(torch.linalg.eigvalsh(self.matrix).max())

    def grid(self, lo: float = -3.0, hi: float = 3.0, n: int = 61) -> tuple[Tensor, Tensor]:
        """(axis [n], loss [n, n]) with rows w₂ and columns w₁."""
        axis = torch.linspace(lo, hi, n, dtype=torch.float64)
        w2, w1 = torch.meshgrid(axis, axis, indexing="ij")
        return axis, self.loss(torch.stack([w1, w2], -1))


def descent_path(
    loss: Callable[[Tensor], Tensor], start: Tensor, lr: float, steps: int = 50
) -> tuple[Tensor, bool]:
    """Gradient descent from ``start`` with autograd; (points [k+1, D], diverged).

    Diverged: the weights ran off (past ``DIVERGED`` or not finite), or the loss ended
    higher than it started.
    """
    w = start.detach().clone().to(torch.float64).requires_grad_(True)
    points = [w.detach().clone()]
    for _ in range(min(steps, MAX_STEPS)):
        value = loss(w)
        (grad,) = torch.autograd.grad(value, w)
        with torch.no_grad():
            w -= lr * grad
        points.append(w.detach().clone())
        if not torch.isfinite(w).all() or float(w.detach().abs().max()) > DIVERGED:
            return torch.stack(points), True
    with torch.no_grad():  # still climbing after all the steps: diverging too
        grew = float(loss(points[-1])) > float(loss(points[0]))
    return torch.stack(points), grew


def closed_form_path(bowl: Bowl, start: Tensor, lr: float, steps: int) -> Tensor:
    """``w_t = w* + (I − ηA)ᵗ (w_0 − w*)`` for t = 0..steps."""
    m = torch.eye(2, dtype=torch.float64) - lr * bowl.matrix
    d = start.to(torch.float64) - bowl.center
    out, p = [], torch.eye(2, dtype=torch.float64)
    for _ in range(steps + 1):
        out.append(bowl.center + p @ d)
        p = m @ p
    return torch.stack(out)


@dataclass(frozen=True)
class Curve:
    """One weight: ``L(w) = ½·k·(w − w*)² + L*``."""

    k: float = 1.0
    minimum: float = 2.0
    floor: float = 0.5

    def loss(self, w: Tensor) -> Tensor:
        return 0.5 * self.k * (w - self.minimum) ** 2 + self.floor

    def derivative(self, w: Tensor | float) -> Tensor | float:
        return self.k * (w - self.minimum)


def filter_normalized_direction(model: nn.Module, generator: torch.Generator) -> list[Tensor]:
    """A random direction like the parameters, each filter (row) scaled to its weights' norm.

    Biases and BatchNorm parameters (1-D) get zero, as Li et al. do.
    """
    out = []
    for p in model.parameters():
        d = torch.randn(p.shape, generator=generator)
        if p.dim() <= 1:
            out.append(torch.zeros_like(p))
            continue
        flat_d, flat_p = d.reshape(p.shape[0], -1), p.detach().reshape(p.shape[0], -1)
        scale = flat_p.norm(dim=1, keepdim=True) / flat_d.norm(dim=1, keepdim=True).clamp(min=1e-12)
        out.append((flat_d * scale).reshape(p.shape))
    return out


def _loss_at(
    model: nn.Module,
    base: list[Tensor],
    moves: list[tuple[float, list[Tensor]]],
    x: Tensor,
    y: Tensor,
) -> float:
    """Loss with the weights set to ``base + Σ α·d`` (``moves`` = [(α, d), ...])."""
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(base[i] + sum(alpha * d[i] for alpha, d in moves))
        return float(F.cross_entropy(model(x), y))


def loss_along_line(
    model: nn.Module, x: Tensor, y: Tensor, alphas: list[float], seed: int = 0
) -> list[float]:
    """Cross-entropy at ``θ + α·d`` for each α (on a copy of the model, in eval mode)."""
    m = copy.deepcopy(model).eval()
    base = [p.detach().clone() for p in m.parameters()]
    d = filter_normalized_direction(m, torch.Generator().manual_seed(seed))
    return [_loss_at(m, base, [(a, d)], x, y) for a in alphas]


def loss_slice(
    model: nn.Module, x: Tensor, y: Tensor, alphas: list[float], seed: int = 0
) -> list[list[float]]:
    """Cross-entropy at ``θ + α·d₁ + β·d₂`` on the grid alphas × alphas (rows β)."""
    m = copy.deepcopy(model).eval()
    base = [p.detach().clone() for p in m.parameters()]
    g = torch.Generator().manual_seed(seed)
    d1, d2 = filter_normalized_direction(m, g), filter_normalized_direction(m, g)
    return [[_loss_at(m, base, [(a, d1), (b, d2)], x, y) for a in alphas] for b in alphas]


def chance_loss(classes: int) -> float:
    """The loss of a network that guesses: ln(number of classes)."""
    return math.log(max(classes, 1))


__all__ = [
    "Bowl",
    "Curve",
    "closed_form_path",
    "descent_path",
    "filter_normalized_direction",
    "loss_along_line",
    "loss_slice",
    "chance_loss",
]
