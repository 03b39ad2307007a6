"""Recording each layer's weights and gradients during training (the gradients file's lines).

``GradientRecorder(model)`` groups the model's parameters by the layer that holds them,
named by the shape engine's row paths (``"3"``, or ``"3.1"`` inside a block: a
residual block's ``3.body.1`` is row ``3.1``, a concat block's ``4.branches.1.0`` is
row ``4.1.0``, and a projection shortcut's parameters belong to the block's own row
``"5"``, as its parameter count does in the shape table).

When it is recorded (``moments``): after the first mini-batch, after about an eighth,
a quarter and a half of the first epoch (where things change fastest), and after the
last mini-batch of every epoch. The engine calls ``take`` after the backward pass and
before the optimizer's step, so the gradients are the ones that step will use.

Cheap by construction: everything is computed on the device with torch (norms, mean
|gradient|, ``torch.histc`` with the data's own range), packed into one tensor and
read back with a single ``.tolist()`` per moment; nothing is done on other iterations.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from cnnviz.train.gradients import HIST_BINS, GradRecord, Histogram

_STATS = 7  # weight norm, grad norm, mean |grad|, weight min, max, grad min, max
_BLOCK_STEPS = ("body", "branches")  # module names of a block's layer lists: no row of their own


def row_path(module_name: str) -> tuple[str, str]:
    """(the shape engine's row path, the module name that row stands for) of a module.

    ``"3.body.1"`` → ``("3.1", "3.body.1")``; ``"5.shortcut.0"`` → ``("5", "5")``;
    ``""`` (a model that is one layer) → ``("0", "")``. A model not built from a spec
    (``features.0``) keeps its own module names.
    """
    if module_name and not module_name.split(".")[0].isdigit():
        return module_name, module_name
    path: list[str] = []
    taken: list[str] = []
    for step in module_name.split(".") if module_name else []:
        if step in _BLOCK_STEPS:
            taken.append(step)
            continue
        if not step.isdigit():  # a shortcut, or a layer made of parts: the row holding it
            break
        path.append(step)
        taken.append(step)
    while taken and taken[-1] in _BLOCK_STEPS:
        taken.pop()
    return (".".join(path) or "0"), ".".join(taken)


def layer_groups(model: nn.Module) -> list[tuple[str, str, list[nn.Parameter]]]:
    """(row path, kind, parameters) for every layer with weights to learn, in the model's order."""
    groups: dict[str, tuple[str, list[nn.Parameter]]] = {}
    for name, module in model.named_modules():
        own = [p for p in module.parameters(recurse=False) if p.requires_grad]
        if not own:
            continue
        path, owner = row_path(name)
        if path not in groups:
            groups[path] = (type(model.get_submodule(owner)).__name__, [])
        groups[path][1].extend(own)
    return [(path, kind, params) for path, (kind, params) in groups.items()]


def moments(iterations_per_epoch: int) -> frozenset[int]:
    """The mini-batches (1-based) of the first epoch after which gradients are recorded:
    the first, about 1/8, 1/4 and 1/2 of the epoch, and the last (every later epoch: its last)."""
    ipe = max(int(iterations_per_epoch), 1)
    return frozenset({1, ipe} | {max(1, round(ipe * f)) for f in (1 / 8, 1 / 4, 1 / 2)})


class GradientRecorder:
    """Takes each layer's sizes and histograms at the moments ``due`` says."""

    def __init__(self, model: nn.Module, iterations_per_epoch: int) -> None:
        self.groups = layer_groups(model)
        self.ipe = max(int(iterations_per_epoch), 1)
        self.first = moments(self.ipe)

    def due(self, epoch: int, batch: int) -> bool:
        return batch == self.ipe or (epoch == 1 and batch in self.first)

    @torch.no_grad()
    def take(self, epoch: int, batch: int) -> list[GradRecord]:
        """Every layer's record now (call it after backward, before the optimizer's step)."""
        if not self.groups:
            return []
        parts = []
        for _, _, params in self.groups:
            w = torch.cat([p.detach().reshape(-1) for p in params]).float()
            g = torch.cat(
                [
                    (p.grad if p.grad is not None else torch.zeros_like(p)).detach().reshape(-1)
                    for p in params
                ]
            ).float()
            # a histogram needs finite numbers: a NaN or inf gradient is counted at 0 (its
            # norm says what it was)
            w_h, g_h = torch.nan_to_num(w, 0.0, 0.0, 0.0), torch.nan_to_num(g, 0.0, 0.0, 0.0)
            parts.append(
                torch.stack(
                    [
                        torch.linalg.vector_norm(w),
                        torch.linalg.vector_norm(g),
                        g.abs().mean(),
                        w_h.min(),
                        w_h.max(),
                        g_h.min(),
                        g_h.max(),
                    ]
                )
            )
            parts.append(torch.histc(w_h, bins=HIST_BINS, min=0, max=0))  # the data's own range
            parts.append(torch.histc(g_h, bins=HIST_BINS, min=0, max=0))
        values = torch.cat(parts).tolist()  # the one read back from the device
        iteration = (epoch - 1) * self.ipe + batch
        done = round(epoch - 1 + batch / self.ipe, 4)
        out = []
        step = _STATS + 2 * HIST_BINS
        for k, (path, kind, params) in enumerate(self.groups):
            v = values[k * step : (k + 1) * step]
            wc, gc = v[_STATS : _STATS + HIST_BINS], v[_STATS + HIST_BINS :]
            out.append(
                GradRecord(
                    iteration=iteration,
                    epoch=done,
                    layer=path,
                    kind=kind,
                    params=sum(p.numel() for p in params),
                    weight_norm=v[0],
                    grad_norm=v[1],
                    grad_mean_abs=v[2],
                    weight_hist=Histogram(_edges(v[3], v[4]), [int(c) for c in wc]),
                    grad_hist=Histogram(_edges(v[5], v[6]), [int(c) for c in gc]),
                )
            )
        return out


def _edges(lo: float, hi: float) -> list[float]:
    """``torch.histc``'s bin edges for data from ``lo`` to ``hi`` (one value: ±1 around it)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 0.0
    if lo == hi:
        lo, hi = lo - 1.0, hi + 1.0
    width = (hi - lo) / HIST_BINS
    return [float(f"{lo + i * width:.7g}") for i in range(HIST_BINS)] + [float(f"{hi:.7g}")]


__all__ = ["GradientRecorder", "layer_groups", "moments", "row_path"]
