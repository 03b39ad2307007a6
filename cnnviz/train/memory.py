"""How much memory a training needs, checked before Start; and every out-of-memory error, recognised.

``estimate(spec, batch_size, optimizer) -> MemoryEstimate`` from the shape engine's
activation sizes, in float32 bytes:

- forward pass: every layer's output for the mini-batch is kept for the backward
  pass (autograd saves them), plus the mini-batch itself;
- backward pass: the gradient of the largest activation and of its input exist
  at once, about twice the largest layer's output;
- parameters, their gradients and the optimizer's state (Adam/AdamW: two
  moments per weight; SGD with momentum: one).

``budget_bytes()`` is ``$CNNVIZ_TRAIN_MEMORY_MB`` (default 2048 MB: a class
server runs two trainings next to everyone's pages). ``memory_problem`` says,
in the course's words, why a design is over it and what to change: a smaller
mini-batch (the largest that fits is computed), fewer channels, or a MaxPool2d
earlier. ``is_out_of_memory(e)`` knows every form the error takes (``MemoryError``,
``torch.OutOfMemoryError``, the CPU allocator's "can't allocate memory", CUDA,
cuBLAS and MPS messages, ``ENOMEM``).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from cnnviz.design.spec import SpecError
from cnnviz.settings.env import number
from cnnviz.train.config import ConfigError

DEFAULT_BUDGET_MB = 2048
BYTES_PER_VALUE = 4  # float32
_OPTIMIZER_STATES = {"adam": 2, "adamw": 2, "sgd": 1}
_OOM_WORDS = (
    "out of memory",
    "can't allocate memory",
    "cannot allocate memory",
    "defaultcpuallocator",
    "cublas_status_alloc_failed",
    "failed to allocate",
    "std::bad_alloc",
)


class OverBudget(ConfigError):
    """The training would need more memory than the server allows (the message has the fix)."""


@dataclass(frozen=True)
class MemoryEstimate:
    batch_size: int
    activations: int  # bytes kept by the forward pass for the backward pass
    backward: int  # bytes of activation gradients alive at once
    weights: int  # parameters + gradients + optimizer state
    heaviest_layer: int | None  # index into summarize's rows of the largest output (0-based)
    heaviest_bytes: int

    @property
    def total(self) -> int:
        return self.activations + self.backward + self.weights


def budget_bytes() -> int:
    mb = number("CNNVIZ_TRAIN_MEMORY_MB", DEFAULT_BUDGET_MB, low=1, high=2**30, bad="clamp")
    return int(mb * 2**20)


def estimate(spec: dict, batch_size: int, optimizer: str = "adam") -> MemoryEstimate:
    """Training memory of ``spec`` at ``batch_size`` (SpecError if the spec is malformed)."""
    from cnnviz.design.shapes import summarize

    rows = summarize(spec, batch=int(batch_size))
    dims = [int(v) for v in spec.get("input") or []]
    batch_in = int(batch_size) * BYTES_PER_VALUE
    for d in dims:
        batch_in *= d
    acts = [int(r.get("activation_bytes") or 0) for r in rows]
    params = sum(int(r.get("params") or 0) for r in rows)
    heaviest = max(range(len(acts)), key=acts.__getitem__) if acts else None
    top = acts[heaviest] if heaviest is not None else 0
    states = _OPTIMIZER_STATES.get(str(optimizer).lower(), 2)
    return MemoryEstimate(
        batch_size=int(batch_size),
        activations=batch_in + sum(acts),
        backward=2 * max(top, batch_in),
        weights=params * BYTES_PER_VALUE * (2 + states),
        heaviest_layer=heaviest,
        heaviest_bytes=top,
    )


def largest_batch_that_fits(spec: dict, optimizer: str, budget: int, upto: int) -> int:
    """The largest mini-batch size <= upto whose estimate is within budget (0 if none)."""
    lo, hi = 0, int(upto)
    while lo < hi:  # estimates grow with the batch: bisect
        mid = (lo + hi + 1) // 2
        if estimate(spec, mid, optimizer).total <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _mb(x: int) -> str:
    return f"{x / 2**30:.1f} GB" if x >= 2**30 else f"{x / 2**20:,.0f} MB"


def memory_problem(
    spec: dict, batch_size: int, optimizer: str = "adam", budget: int | None = None
) -> str | None:
    """Why this training would need more memory than the server allows, with the fix; None if it fits."""
    budget = budget_bytes() if budget is None else budget
    try:
        est = estimate(spec, batch_size, optimizer)
    except SpecError:
        return None  # the fit check reports a malformed design
    if est.total <= budget:
        return None
    fixes = []
    fits = largest_batch_that_fits(spec, optimizer, budget, batch_size - 1) if batch_size > 1 else 0
    if fits:
        fixes.append(f"a mini-batch of {fits} or fewer (now {batch_size})")
    if est.heaviest_layer is not None:
        from cnnviz.design.shapes import summarize

        row = summarize(spec, batch=1)[est.heaviest_layer]
        name = row.get("name") or "the largest layer"
        label = row.get("label") or str(est.heaviest_layer + 1)
        fixes.append(
            f"fewer channels in layer {label} ({name}, {_mb(est.heaviest_bytes)} "
            "of outputs per mini-batch)"
        )
    fixes.append("a MaxPool2d (or a stride of 2) earlier, so later layers work on smaller maps")
    return (
        f"Training this network needs about {_mb(est.total)} of memory at mini-batch {batch_size} "
        f"(forward pass {_mb(est.activations)}, backward pass {_mb(est.backward)}, weights, "
        f"gradients and optimizer state {_mb(est.weights)}), more than the {_mb(budget)} this "
        f"server allows one training. Try {'; or '.join(fixes)}."
    )


def is_out_of_memory(e: BaseException) -> bool:
    """Whether ``e`` is an out-of-memory error, in any of the forms torch and Python raise."""
    if isinstance(e, MemoryError):
        return True
    try:
        import torch

        if isinstance(e, torch.OutOfMemoryError):
            return True
    except (ImportError, AttributeError):
        pass
    if isinstance(e, OSError) and e.errno == errno.ENOMEM:
        return True
    text = str(e).lower()
    return any(w in text for w in _OOM_WORDS)


__all__ = [
    "DEFAULT_BUDGET_MB",
    "MemoryEstimate",
    "OverBudget",
    "budget_bytes",
    "estimate",
    "is_out_of_memory",
    "largest_batch_that_fits",
    "memory_problem",
]
