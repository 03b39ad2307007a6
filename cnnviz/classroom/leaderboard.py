"""The class leaderboard: finished runs, test accuracy against network size (pure).

``board(runs, owners, params_of, dataset=None, best_per_student=True)`` turns the
run store's ``RunInfo`` list and the classroom's run owners into ``Score``
rows: only finished runs with a test accuracy, of people in the class, on one
dataset if asked, and (by default) each student's best run only (highest test
accuracy, the smaller network on a tie).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cnnviz.train.status import Status


@dataclass(frozen=True)
class Score:
    run_id: str
    student: str
    dataset: str
    test_accuracy: float  # 0..1
    params: int
    title: str = ""


def board(
    runs: Iterable[Any],
    owners: dict[str, dict[str, Any]],
    params_of: Callable[[Any], int],
    *,
    dataset: str | None = None,
    best_per_student: bool = True,
) -> list[Score]:
    """Scores, best first (see the module docstring)."""
    scores = []
    for r in runs:
        owner = owners.get(r.id)
        if owner is None or r.status != Status.FINISHED or r.test_accuracy is None or r.problem:
            continue
        if dataset and r.dataset != dataset:
            continue
        scores.append(
            Score(
                r.id,
                str(owner.get("owner_name") or "?"),
                str(r.dataset or ""),
                float(r.test_accuracy),
                int(params_of(r)),
                str(owner.get("title") or ""),
            )
        )
    scores.sort(key=lambda s: (-s.test_accuracy, s.params, s.run_id))
    if best_per_student:
        seen: set[str] = set()
        scores = [s for s in scores if not (s.student in seen or seen.add(s.student))]
    return scores


__all__ = ["Score", "board"]
