"""What the class queue holds and says: entries, their states, refusals, and wait estimates (pure).

``Entry`` is one submission: a training or a whole experiment (its ``work``,
a ``TrainRequest`` or an ``ExperimentRun``, is held until it starts; an
experiment's stays while its arms run, one after the other). ``estimate_start`` turns the running jobs' time
left into "starts in about 2 min"; ``ordinal`` gives "3rd in line".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EntryState(StrEnum):
    WAITING = "waiting"
    STARTED = "started"
    CANCELLED = "cancelled"
    REFUSED = "refused"  # could not be started when its turn came (the reason is in note)
    LOST = "lost"  # the server restarted before its turn


class QueueRefused(ValueError):
    """A submission refused: over a limit, the queue is full, or the student already has a job.

    ``problems``: each reason in words, naming the fix.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class JobSize:
    """What the limits look at, worked out by the page from the design and the data."""

    params: int = 0
    mult_adds: int = 0
    train_images: int = 0


@dataclass
class Entry:
    id: str
    owner: str
    owner_name: str
    label: str
    dataset: str
    params: int
    epochs: int
    created: float
    seq: float
    state: EntryState = EntryState.WAITING
    note: str = ""
    run_id: str | None = None
    started: float | None = None
    work: Any = field(default=None, repr=False)  # TrainRequest, or ExperimentRun (experiments)
    trainings: int = 1  # how many networks it trains (an experiment's arms × seeds)

    @property
    def config(self) -> Any:
        """The training's settings (an experiment's starting point), while it is held."""
        return getattr(self.work, "config", None)


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 3 -> '3rd', 11 -> '11th', 22 -> '22nd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def estimate_start(
    running_left: list[float | None], slots: int, ahead: int, typical_s: float | None
) -> float | None:
    """Seconds until the job with ``ahead`` jobs before it starts (None: no basis yet).

    ``running_left``: each running job's time left (None while it is estimating);
    ``slots``: jobs at once; ``typical_s``: how long a job here usually takes.
    Each job ahead takes the slot that frees first and holds it for ``typical_s``.
    """
    slots = max(int(slots), 1)
    free = [0.0] * max(slots - len(running_left), 0)
    for left in running_left:
        if left is None:
            if typical_s is None:
                return None
            left = typical_s / 2
        free.append(max(float(left), 0.0))
    free.sort()
    free = free[:slots] if len(free) > slots else free
    if ahead and typical_s is None:
        return None
    for _ in range(ahead):
        free[0] += typical_s or 0.0
        free.sort()
    return free[0]


__all__ = ["Entry", "EntryState", "JobSize", "QueueRefused", "estimate_start", "ordinal"]
