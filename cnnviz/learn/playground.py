"""Linear versus non-linear problems: a Linear stack trained live on toy 2-D points.

``playground_spec(spec)`` picks the network: the user's design when it is a stack of
Linear layers (with or without activations) on a flat ``[2]`` input, else the
``mlp-2-3-3-1`` preset. ``without_activations(spec)`` drops every activation (the
same Linear layers, nothing between them). ``ToyTrainer`` trains it full-batch (one
iteration = the whole set, so a step is cheap and the picture moves smoothly):

    t = ToyTrainer(spec, points, labels, lr=0.03, seed=0)
    t.train(50)                 # 50 iterations (forward pass, loss, backward pass, Adam step)
    t.accuracy(), t.loss        # on the training points
    t.regions(60)               # [60, 60] P(class 1) on a grid over [-LIMIT, LIMIT]²
    t.restarts                  # [Restart(...)]: weights that got stuck, begun again

A network this small (3 ReLU units a layer) often starts with units that are 0 for every
point ("dead" ReLUs): its boundary then has too few bends and training stalls at 67–75 %.
``train`` notices a stall (no gain in accuracy nor loss for ``STALL_STEPS`` iterations,
below ``LEARNED``) and, up to ``MAX_RESTARTS`` times, begins again from new random weights
(the next seed), recording why, so the page can say so.

One output: the loss is binary cross-entropy on the logit (``BCEWithLogitsLoss``), two
outputs: cross-entropy with Softmax, as on the Train page.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from cnnviz.data.toy import LIMIT
from cnnviz.design.build import build_model
from cnnviz.design.layer_kinds import LAYER_KINDS, Category
from cnnviz.design.presets import PRESETS

PRESET = "mlp-2-3-3-1"
MAX_STEPS = 3_000  # iterations one training may run in the page (each start of new weights)
LEARNED = 0.95  # accuracy at which the lesson calls the problem learned
STALL_STEPS = 300  # iterations without progress that count as stuck
MAX_RESTARTS = 8  # new random weights tried after a stall, at most
NEAR_CHANCE = 0.6  # two balanced classes: 50 % is chance; below this is "near chance"
_PASS = {"linear", "dropout"}  # kinds a playground stack may hold besides activations


def is_activation(kind: str) -> bool:
    k = LAYER_KINDS.get(kind)
    return k is not None and k.category is Category.ACTIVATION


def fits_playground(spec: dict) -> bool:
    """A flat [2] input and only Linear layers (activations and Dropout between them), ending in 1 or 2 outputs."""
    layers = spec.get("layers") or []
    if list(spec.get("input") or []) != [2] or not layers:
        return False
    if any(
        lay.get("type") not in _PASS and not is_activation(str(lay.get("type"))) for lay in layers
    ):
        return False
    lin = [lay for lay in layers if lay.get("type") == "linear"]
    return bool(lin) and int(lin[-1].get("out_features", 0)) in (1, 2)


def playground_spec(spec: dict) -> tuple[dict, bool]:
    """(the network to train, True when it is the user's own design)."""
    if fits_playground(spec):
        return copy.deepcopy(spec), True
    return PRESETS[PRESET].new_spec(), False


def without_activations(spec: dict) -> dict:
    """The same Linear layers with every activation taken out."""
    new = copy.deepcopy(spec)
    new["layers"] = [lay for lay in new["layers"] if not is_activation(str(lay.get("type")))]
    return new


def with_activation(spec: dict, kind: str = "relu") -> dict:
    """``kind`` after every Linear but the last (the ones already there are replaced)."""
    new = without_activations(spec)
    layers, out = new["layers"], []
    last = max(i for i, lay in enumerate(layers) if lay.get("type") == "linear")
    for i, lay in enumerate(layers):
        out.append(lay)
        if lay.get("type") == "linear" and i < last:
            out.append({"type": kind})
    new["layers"] = out
    return new


def grid(n: int = 60) -> Tensor:
    """``n·n`` points ``[n², 2]`` over ``[-LIMIT, LIMIT]²``, row by row (x₂ rows, x₁ columns)."""
    axis = torch.linspace(-LIMIT, LIMIT, n)
    x2, x1 = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([x1.reshape(-1), x2.reshape(-1)], 1)


@dataclass(frozen=True)
class Restart:
    """Weights that stalled and were replaced: where, how far they got, why."""

    step: int  # iterations the stalled weights had trained
    seed: int  # the stalled weights' seed
    new_seed: int
    accuracy: float
    dead_units: int  # ReLU units that were 0 for every point
    units: int  # ReLU units in all

    def words(self) -> str:
        why = (
            f"{self.dead_units} of its {self.units} ReLU units were 0 for every point (dead)"
            if self.dead_units
            else "its boundary stopped improving"
        )
        return (
            f"The random weights of seed {self.seed} got stuck at {100 * self.accuracy:.0f}% "
            f"after {self.step} iterations: {why}. Began again with seed {self.new_seed}."
        )


class ToyTrainer:
    """A Linear stack, its Adam optimizer and the points, trained a few iterations at a time."""

    def __init__(
        self,
        spec: dict,
        points: Tensor,
        labels: Tensor,
        *,
        lr: float = 0.03,
        seed: int = 0,
        restart_when_stuck: bool = True,
    ) -> None:
        self.spec = copy.deepcopy(spec)
        self.points, self.labels = points.float(), labels.long()
        self.lr = lr
        self.restart_when_stuck = restart_when_stuck
        self.restarts: list[Restart] = []
        self.history: list[tuple[int, float, float]] = []  # (iteration, loss, accuracy)
        self._begin(seed)

    def _begin(self, seed: int) -> None:
        """New random weights from ``seed`` and a fresh optimizer."""
        torch.manual_seed(seed)
        self.seed = seed
        self.model: nn.Module = build_model(self.spec)
        self.outputs = int(
            [m for m in self.model.modules() if isinstance(m, nn.Linear)][-1].out_features
        )
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        self.steps = 0
        self.loss = float("nan")
        self._best = (float("inf"), 0.0, 0)  # (loss, accuracy, at step) of this start

    def dead_units(self) -> tuple[int, int]:
        """(ReLU units that output 0 for every training point, ReLU units in all)."""
        dead = total = 0
        x = self.points
        with torch.no_grad():
            for m in self.model.children():
                x = m(x)
                if isinstance(m, nn.ReLU):
                    alive = (x > 0).any(0)
                    dead += int((~alive).sum())
                    total += alive.numel()
        return dead, total

    def _stalled(self) -> bool:
        """No new best loss (by 1 %) nor accuracy for STALL_STEPS iterations, short of LEARNED."""
        loss, acc, at = self._best
        now_acc = self.accuracy()
        if self.loss < loss * 0.99 or now_acc > acc + 0.005:
            self._best = (min(self.loss, loss), max(now_acc, acc), self.steps)
            return False
        return now_acc < LEARNED and self.steps - at >= STALL_STEPS

    def _loss(self, logits: Tensor) -> Tensor:
        if self.outputs == 1:
            return nn.functional.binary_cross_entropy_with_logits(logits[:, 0], self.labels.float())
        return nn.functional.cross_entropy(logits, self.labels)

    def probability(self, x: Tensor) -> Tensor:
        """P(class 1) for each point ``[N, 2]`` (no gradients, eval mode)."""
        was = self.model.training
        self.model.eval()
        with torch.no_grad():
            logits = self.model(x)
        self.model.train(was)
        if self.outputs == 1:
            return torch.sigmoid(logits[:, 0])
        return torch.softmax(logits, 1)[:, 1]

    def train(self, steps: int) -> float:
        """``steps`` iterations on the whole set (stops at MAX_STEPS); the last loss.

        Weights that stall are replaced by the next seed's (see ``restarts``)."""
        self.model.train()
        for _ in range(max(0, min(steps, MAX_STEPS - self.steps))):
            loss = self._loss(self.model(self.points))  # forward pass
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()  # backward pass
            self.optimizer.step()
            self.steps += 1
            self.loss = float(loss.detach())
            if self.steps % 50 == 0 and self._may_restart() and self._stalled():
                self._restart()
                self.model.train()
        self.history.append((self.steps, self.loss, self.accuracy()))
        return self.loss

    def _may_restart(self) -> bool:
        """Only a network with activations: a straight line stuck on XOR is the lesson."""
        bends = any(is_activation(str(lay.get("type"))) for lay in self.spec.get("layers", []))
        return bends and self.restart_when_stuck and len(self.restarts) < MAX_RESTARTS

    def _restart(self) -> None:
        dead, units = self.dead_units()
        old, acc, step = self.seed, self.accuracy(), self.steps
        self._begin(old + 1)
        self.restarts.append(Restart(step, old, self.seed, acc, dead, units))

    def verdict(self) -> str:
        """The accuracy in the course's words: near chance only near chance."""
        acc = self.accuracy()
        if acc >= LEARNED:
            return "learned."
        if acc < NEAR_CHANCE:
            return "near chance (50%): this boundary cannot separate these classes."
        return "part of the plane is right, the rest not yet."

    def accuracy(self, points: Tensor | None = None, labels: Tensor | None = None) -> float:
        p = self.points if points is None else points
        y = self.labels if labels is None else labels
        return float(((self.probability(p) > 0.5).long() == y).float().mean())

    def regions(self, n: int = 60) -> Tensor:
        """``[n, n]`` P(class 1) over the plane (rows: x₂ from -LIMIT up)."""
        return self.probability(grid(n)).reshape(n, n)

    @property
    def done(self) -> bool:
        return self.steps >= MAX_STEPS


__all__ = [
    "LEARNED",
    "MAX_RESTARTS",
    "MAX_STEPS",
    "NEAR_CHANCE",
    "PRESET",
    "Restart",
    "ToyTrainer",
    "fits_playground",
    "grid",
    "is_activation",
    "playground_spec",
    "with_activation",
    "without_activations",
]
