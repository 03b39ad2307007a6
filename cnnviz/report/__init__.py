"""A run becomes a class presentation: sections -> one self-contained HTML (report, slides, print).

``build_report(run)`` is the whole path: the run's content (``content.run_content``), the
sections (``sections.Presentation``, editable on the Present page) and the HTML
(``html.render_html``). No streamlit here.
"""

from __future__ import annotations

from typing import Any

from cnnviz.report.sections import Presentation, Section, SectionKind


def run_label(run_id: str) -> str:
    """A run folder's label without its timestamp and short id ('20261201-101500-lecture-7-23-a1b2c3' -> 'lecture-7-23')."""
    import re

    m = re.match(r"^\d{8}-\d{6}-(?P<label>.+)-[0-9a-f]{6}$", run_id or "")
    return m.group("label") if m else run_id


def default_presentation(run: Any) -> Presentation:
    """The six sections with empty texts, titled after the run's network and dataset."""
    from cnnviz.data.registry import DATASETS

    name = str(run.dataset.get("name") or "")
    info = DATASETS.get(name)
    label = str(run.spec.get("name") or run.config.get("label") or run_label(run.id))
    return Presentation.default(run.id, f"{label} on {info.title if info else name or 'my images'}")


def build_report(
    run: Any,
    presentation: Presentation | None = None,
    *,
    placeholders: bool = True,
    content: Any = None,
) -> str:
    """The presentation of ``run`` (a ``cnnviz.train.store.Run``) as one HTML file's text.

    ``content``: the run's ``Content`` or its ``Rendered`` blocks, when already at hand."""
    from cnnviz.report.content import run_content
    from cnnviz.report.html import render_html

    pres = presentation or default_presentation(run)
    content = content if content is not None else run_content(run)
    return render_html(
        pres,
        content,
        label=file_label(run.id),
        subtitle=f"cnnviz run {run.id}",
        placeholders=placeholders,
    )


def file_label(run_id: str) -> str:
    """What the run's files are named after: 'lecture-7-23' (its label, file-name safe)."""
    import re

    return re.sub(r"[^a-z0-9]+", "-", run_label(run_id).lower()).strip("-")[:60] or "report"


def presentation_file_name(run_id: str, title: str = "") -> str:
    """The exported presentation's file name: after its title when it has one ('Digits that
    see' -> 'digits-that-see.html'), else after the run ('lecture-7-23_presentation.html')."""
    import re
    import unicodedata

    plain = unicodedata.normalize("NFKD", str(title or "")).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60].strip("-")
    return f"{slug}.html" if slug else f"{file_label(run_id)}_presentation.html"


__all__ = [
    "Presentation",
    "presentation_file_name",
    "Section",
    "SectionKind",
    "build_report",
    "default_presentation",
    "file_label",
    "run_label",
]
