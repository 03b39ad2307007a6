"""A presentation's sections, as data: the course's six, each with a Who, notes and its own text.

``Presentation`` is frozen and JSON-able (``to_dict`` / ``from_dict``): the Present page keeps
one per run in the session and edits it with ``with_section`` / ``moved``; the HTML writer
reads it. Sections can be hidden (left out of the export) and reordered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any


class SectionKind(StrEnum):
    """The course's sections of a final-project presentation, in their usual order."""

    OVERVIEW = "overview"
    DATA = "data"
    FEATURES = "features"
    LOSS = "loss"
    RESULTS = "results"
    APPLICATIONS = "applications"


TITLES: dict[SectionKind, str] = {
    SectionKind.OVERVIEW: "Overview",
    SectionKind.DATA: "Dataset and DataLoader",
    SectionKind.FEATURES: "Feature Extraction",
    SectionKind.LOSS: "Loss and Optimization",
    SectionKind.RESULTS: "Accuracy/Results",
    SectionKind.APPLICATIONS: "World Applications",
}

# What each section's own text asks for: shown as the placeholder until a student writes it.
PROMPTS: dict[SectionKind, str] = {
    SectionKind.OVERVIEW: "The goal: what should the network recognise, and why is it interesting?",
    SectionKind.DATA: "What is in the data, how it was split, and why this normalization.",
    SectionKind.FEATURES: "What the convolutions pick out, layer by layer.",
    SectionKind.LOSS: "How training went: the loss, the optimizer and what the curves say.",
    SectionKind.RESULTS: "What the network gets right, what it confuses, and why.",
    SectionKind.APPLICATIONS: "Where a network like this is used in the world, and its limits.",
}
WHO_PLACEHOLDER = "(name)"


@dataclass(frozen=True)
class Section:
    kind: SectionKind
    title: str
    text: str = ""  # the student's words (plain text; escaped in the HTML)
    who: str = ""  # the presenter's name
    notes: str = ""  # speaker notes (shown under the section, smaller; hidden in slides)
    hidden: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.kind, SectionKind):
            object.__setattr__(self, "kind", SectionKind(str(self.kind)))

    @property
    def prompt(self) -> str:
        return PROMPTS[self.kind]


@dataclass(frozen=True)
class Presentation:
    run_id: str
    title: str
    sections: tuple[Section, ...]

    @classmethod
    def default(cls, run_id: str, title: str) -> Presentation:
        return cls(run_id, title, tuple(Section(k, TITLES[k]) for k in SectionKind))

    def shown(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if not s.hidden)

    def section(self, kind: SectionKind) -> Section:
        return next(s for s in self.sections if s.kind == kind)

    def with_section(self, kind: SectionKind, **changes: Any) -> Presentation:
        """A copy with one section's fields changed (text, who, notes, hidden, title)."""
        return replace(
            self,
            sections=tuple(replace(s, **changes) if s.kind == kind else s for s in self.sections),
        )

    def moved(self, kind: SectionKind, step: int) -> Presentation:
        """A copy with the section moved ``step`` places (-1: up, +1: down), clamped at the ends."""
        order = list(self.sections)
        i = next(n for n, s in enumerate(order) if s.kind == kind)
        j = max(0, min(len(order) - 1, i + step))
        order.insert(j, order.pop(i))
        return replace(self, sections=tuple(order))

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "title": self.title,
            "sections": [{**asdict(s), "kind": str(s.kind)} for s in self.sections],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Presentation:
        """Read back ``to_dict``; sections missing from ``d`` are added at the end (default texts)."""
        seen: list[Section] = []
        for raw in d.get("sections", []):
            try:
                kind = SectionKind(str(raw.get("kind")))
            except ValueError:
                continue
            if any(s.kind == kind for s in seen):
                continue
            seen.append(
                Section(
                    kind,
                    str(raw.get("title") or TITLES[kind]),
                    str(raw.get("text") or ""),
                    str(raw.get("who") or ""),
                    str(raw.get("notes") or ""),
                    bool(raw.get("hidden", False)),
                )
            )
        seen += [Section(k, TITLES[k]) for k in SectionKind if all(s.kind != k for s in seen)]
        return cls(str(d.get("run_id", "")), str(d.get("title", "")), tuple(seen))


__all__ = ["PROMPTS", "TITLES", "WHO_PLACEHOLDER", "Presentation", "Section", "SectionKind"]
