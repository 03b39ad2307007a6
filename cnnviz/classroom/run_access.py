"""Who may see a run: one rule, asked by every page that lists or opens runs (no streamlit).

Outside class mode everyone sees every run. On a class server a run is seen by

- its owner (the student whose training made it),
- everyone in the class, once its owner shares it to the Class gallery,
- the teacher, always;

and a run nobody owns (trained with ``python -m cnnviz train`` on the server) is the
teacher's only. "Seeing" a run is everything a page does with it: listing it in a
picker, its curves, its weights (Inspect, Learn), its presentation and ``train.py``.

``RunAccess(person, owners, class_on=...)`` binds the rule to one person and the
classroom's table of owners (``Classroom.owned_runs()``) for one page run;
``allows(run_id)``, ``visible(runs)`` and ``check(run_id)`` (``RunHidden``, a
``RunError`` with the sentence for the page) all ask ``may_see_run``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar

from cnnviz.classroom.people import Person
from cnnviz.train.store import RunError


class RunHidden(RunError):
    """The person may not see this run; the text says whose it is (never where it is)."""


def may_see_run(person: Person | None, owner: Mapping[str, Any] | None, *, class_on: bool) -> bool:
    """True when ``person`` may see a run whose classroom row is ``owner``.

    ``owner``: ``{owner, owner_name, shared}`` from the classroom's runs table, or None
    for a run nobody owns (trained outside the class).
    """
    if not class_on:
        return True
    if person is None:
        return False
    if person.is_teacher:
        return True
    if owner is None or not owner.get("owner"):
        return False
    return owner.get("owner") == person.id or bool(owner.get("shared"))


def refusal(person: Person | None, owner: Mapping[str, Any] | None) -> str:
    """Why ``person`` may not see the run, in one plain sentence (no id, no folder)."""
    if person is None:
        return "Join the class to open runs."
    if owner is None or not owner.get("owner"):
        return "This run was trained on the server outside the class: only the teacher can open it."
    name = str(owner.get("owner_name") or "another student")
    return (
        f"This run is {name}'s and not shared with the class. "
        f"{name} can share it to the Class gallery on the Runs page."
    )


class _HasId(Protocol):
    id: str


T = TypeVar("T", bound=_HasId)


class RunAccess:
    """The rule for one person, with the classroom's owners read once (one page run)."""

    def __init__(
        self,
        person: Person | None,
        owners: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        class_on: bool,
    ) -> None:
        self.person = person
        self.owners = dict(owners or {})
        self.class_on = class_on

    def owner(self, run_id: str) -> Mapping[str, Any] | None:
        return self.owners.get(run_id)

    def allows(self, run_id: str, owner: Mapping[str, Any] | None = None) -> bool:
        """``owner``: the row to judge by when the table has none yet (a job just started)."""
        row = self.owners.get(run_id) or owner
        return may_see_run(self.person, row, class_on=self.class_on)

    def why_not(self, run_id: str, owner: Mapping[str, Any] | None = None) -> str | None:
        if self.allows(run_id, owner):
            return None
        return refusal(self.person, self.owners.get(run_id) or owner)

    def check(self, run_id: str, owner: Mapping[str, Any] | None = None) -> None:
        """``RunHidden`` unless the person may see ``run_id``."""
        reason = self.why_not(run_id, owner)
        if reason is not None:
            raise RunHidden(reason)

    def visible(self, runs: Iterable[T]) -> list[T]:
        """The runs (anything with an ``.id``) this person may see, in their order."""
        return [r for r in runs if self.allows(r.id)]


__all__ = ["RunAccess", "RunHidden", "may_see_run", "refusal"]
