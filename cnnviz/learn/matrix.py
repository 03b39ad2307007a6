"""A Linear layer is a matrix product: the whiteboard demo with numbers, and the user's layers.

``whiteboard(seed)``: an input X of 2 images × 3 numbers, ``nn.Linear(3, 4)`` with weights
rounded to one decimal (so they can be read aloud), and the hidden layer
``H = X Wᵀ + b`` (2 × 4), each entry written out as its sum of products.
``linear_facts(spec)``: for each Linear layer of a design, the shapes of W and b and the
parameter count, from the shape engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class Whiteboard:
    x: Tensor  # (2, 3): a mini-batch of 2 inputs with 3 numbers each
    layer: nn.Linear  # Linear(3, 4)
    hidden: Tensor  # (2, 4) = layer(x)

    @property
    def weight(self) -> Tensor:  # (4, 3): one row per output neuron
        return self.layer.weight.detach()

    @property
    def bias(self) -> Tensor:  # (4,)
        return self.layer.bias.detach()

    def entry(self, n: int, j: int) -> str:
        """``h[n, j] = x[n,0]·W[j,0] + … + b[j] = value`` with the numbers."""
        terms = " + ".join(
            f"{_num(self.x[n, k])}·{_num(self.weight[j, k])}" for k in range(self.x.shape[1])
        )
        total = float(self.x[n] @ self.weight[j] + self.bias[j])
        return f"h[{n},{j}] = {terms} + {_num(self.bias[j])} = {total:.2f}"


def _num(v: Tensor | float) -> str:
    """``0.3`` or ``(−0.5)``: negative factors in brackets, as on a whiteboard."""
    f = float(v)
    return f"({f:g})".replace("-", "−") if f < 0 else f"{f:g}"


def whiteboard(seed: int = 0) -> Whiteboard:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(-3, 4, (2, 3), generator=g).float()
    layer = nn.Linear(3, 4)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(4, 3, generator=g).mul(0.7).round(decimals=1))
        layer.bias.copy_(torch.randn(4, generator=g).mul(0.5).round(decimals=1))
        hidden = layer(x)
    return Whiteboard(x, layer, hidden)


def linear_facts(spec: dict) -> list[dict]:
    """One dict per Linear layer: index, name, weight_shape, bias_shape, params, formula, matmul."""
    from cnnviz.design.shapes import summarize

    out = []
    for r in summarize(spec, batch=2):
        if r.get("type") == "linear" and r.get("status") == "ok":
            out.append(
                {
                    "layer": r["index"] + 1,
                    "name": r["name"],
                    "W": r["weight_shape"],
                    "b": r["bias_shape"],
                    "params": r["params"],
                    "formula": r["params_formula"],
                    "matmul": r.get("matmul") or "",
                }
            )
    return out


__all__ = ["Whiteboard", "linear_facts", "whiteboard"]
