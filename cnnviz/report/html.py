"""A presentation as one self-contained HTML file: a report, slides and a print layout in one.

``render_html(presentation, content, label=...) -> str``. Works with no network at all:

- Plotly's JavaScript is inlined once, from the installed plotly package
  (``plotly.offline.get_plotlyjs``), never fetched from a CDN; each figure is a JSON
  block drawn by ``Plotly.newPlot`` (interactive, with a 2x PNG download named
  ``<label>_<figure>.png``). Pictures (``go.Image`` traces, mistake galleries) are
  embedded as PNG data URIs.
- Everything a student typed is escaped (``cnnviz.text.escape.for_html``; JSON blocks escape ``<``), so
  no script runs from a name or a note; no path of the server's disk is written.
- Slide mode (the Slides button, or ``S``; ``cnnviz.report.slides``): each section cut into
  slides that fit the screen, arrow keys and Page Up/Down, ``F`` full screen, ``N`` the
  presenter's notes view, Esc back, large fonts for a projector.
- Print (``Ctrl+P`` → PDF): each section starts a new page, charts at the page's width.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cnnviz.plots.pictures import as_png, png_data_uri
from cnnviz.report.content import Content, Embed, Facts, Figure, Images, Note, Table
from cnnviz.report.sections import WHO_PLACEHOLDER, Presentation, Section, SectionKind
from cnnviz.report.slides import CSS as SLIDES_CSS
from cnnviz.report.slides import JS
from cnnviz.text.escape import for_html

PNG_SCALE = 2
PRINT_WIDTH_PX = 680  # A4 minus 15 mm margins at 96 px per inch


def _compact(fig: Any) -> dict:
    """The figure as a plain dict, its pictures (``go.Image`` traces) as PNG data URIs."""
    return as_png(fig, optimize=True).to_plotly_json()


def _json_block(obj: Any) -> str:
    """JSON safe inside a ``<script type="application/json">``: no ``<`` can close the tag."""
    from plotly.utils import PlotlyJSONEncoder

    text = json.dumps(obj, cls=PlotlyJSONEncoder, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _text(text: str, prompt: str, placeholders: bool) -> str:
    if not text.strip():
        return f'<p class="placeholder">{for_html(prompt)}</p>' if placeholders else ""
    paras = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br>".join(for_html(line) for line in p.split("\n")) + "</p>" for p in paras
    )


@dataclass(frozen=True)
class Rendered:
    """A run's blocks already written as HTML (the slow part, done once per run): the
    students' texts are added around them by ``render_html`` in no time."""

    headline: str
    bodies: dict[SectionKind, str]
    scripts: str  # the figures' JSON blocks


def render_blocks(content: Content, *, label: str) -> Rendered:
    """Every section's blocks as HTML, figures as JSON blocks whose PNGs are named ``<label>_<name>``."""
    w = _Writer(label)
    bodies = {k: "".join(w.block(b) for b in blocks) for k, blocks in content.blocks.items()}
    return Rendered(content.headline, bodies, "".join(w.figures))


class _Writer:
    def __init__(self, label: str) -> None:
        self.label = label
        self.figures: list[str] = []  # JSON blocks

    def chart(self, block: Figure) -> str:
        n = len(self.figures)
        spec = _compact(block.figure)
        layout = spec.get("layout", {})
        layout.pop("width", None)
        layout["autosize"] = True
        config = {
            "displaylogo": False,
            "responsive": True,
            "modeBarButtons": [["toImage"]],
            "toImageButtonOptions": {
                "format": "png",
                "scale": PNG_SCALE,
                "filename": f"{self.label}_{block.name}",
            },
        }
        self.figures.append(
            f'<script type="application/json" id="fig-{n}">'
            f"{_json_block({'data': spec.get('data', []), 'layout': layout, 'config': config})}"
            "</script>"
        )
        cap = f'<p class="caption">{for_html(block.caption)}</p>' if block.caption else ""
        return (
            f'<figure class="block"><h3>{for_html(block.title)}</h3>'
            f'<div class="chart" data-fig="fig-{n}"></div>{cap}</figure>'
        )

    def block(self, b: Any) -> str:
        if isinstance(b, Figure):
            return self.chart(b)
        if isinstance(b, Facts):
            rows = "".join(f"<dt>{for_html(k)}</dt><dd>{for_html(v)}</dd>" for k, v in b.rows)
            return f'<dl class="facts block">{rows}</dl>'
        if isinstance(b, Table):
            head = "".join(f"<th>{for_html(h)}</th>" for h in b.header)
            body = "".join(
                "<tr>" + "".join(f"<td>{for_html(c)}</td>" for c in r) + "</tr>" for r in b.rows
            )
            return (
                f'<div class="block"><h3>{for_html(b.title)}</h3><table><thead><tr>{head}'
                f"</tr></thead><tbody>{body}</tbody></table></div>"
            )
        if isinstance(b, Images):
            caps = list(b.captions) + [""] * (len(b.images) - len(b.captions))
            tiles = "".join(
                f'<figure><img alt="{for_html(c)}" src="{png_data_uri(im, optimize=True)}">'
                f"<figcaption>{for_html(c)}</figcaption></figure>"
                for im, c in zip(b.images, caps, strict=False)
            )
            return f'<div class="block"><h3>{for_html(b.title)}</h3><div class="gallery">{tiles}</div></div>'
        if isinstance(b, Note):
            return f'<p class="note block">{for_html(b.text)}</p>'
        if isinstance(b, Embed):
            return f'<div class="block embed"><h3>{for_html(b.title)}</h3>{b.html}</div>'
        raise TypeError(f"unknown block {type(b).__name__}")


def _section(s: Section, body: str, n: int, placeholders: bool) -> str:
    who = s.who.strip() or (WHO_PLACEHOLDER if placeholders else "")
    who_html = f'<p class="who">Presented by {for_html(who)}</p>' if who else ""
    notes = (
        f'<aside class="notes"><h4>Notes</h4>{_text(s.notes, "", False)}</aside>'
        if s.notes.strip()
        else ""
    )
    return (
        f'<section class="slide" id="section-{n}" data-kind="{s.kind.value}">'
        f"<header><h2>{for_html(s.title)}</h2>{who_html}</header>"
        f'<div class="text">{_text(s.text, s.prompt, placeholders)}</div>{body}{notes}'
        f"{_speaker(s.notes, s.text, s.prompt)}</section>"
    )


def _speaker(notes: str, text: str, prompt: str) -> str:
    """The section's speaker notes for the notes view: the presenter's notes, then the
    section's text (what the slide says); the section's prompt when both are empty."""
    said = _text(notes, "", False) + _text(text, "", False)
    if not said:
        said = f'<p class="placeholder">No notes yet. {for_html(prompt)}</p>'
    return f'<aside class="speaker">{said}</aside>'


def render_html(
    presentation: Presentation,
    content: Content | Rendered,
    *,
    label: str,
    subtitle: str = "",
    placeholders: bool = True,
) -> str:
    """The whole file. ``label`` names the PNG downloads; ``placeholders`` shows each section's
    prompt where its text is empty (the CLI's report) instead of leaving it blank.
    ``content`` may be already rendered (``render_blocks``), as the Present page keeps it."""
    from plotly.offline import get_plotlyjs

    done = content if isinstance(content, Rendered) else render_blocks(content, label=label)
    shown = presentation.shown()
    names = sorted({s.who.strip() for s in shown if s.who.strip()})
    title = presentation.title or label
    first = (
        '<section class="slide title-slide" id="section-0" data-kind="title">'
        f"<h1>{for_html(title)}</h1>"
        f'<p class="subtitle">{for_html(subtitle)}</p>'
        f'<p class="headline">{for_html(done.headline)}</p>'
        + (f'<p class="who">{for_html(", ".join(names))}</p>' if names else "")
        + '<ol class="agenda">'
        + "".join(
            f"<li>{for_html(s.title)}"
            + (f" <span>· {for_html(s.who)}</span>" if s.who.strip() else "")
            + "</li>"
            for s in shown
        )
        + "</ol>"
        + _speaker(f"{done.headline}\n\nToday: " + "; ".join(s.title for s in shown) + ".", "", "")
        + "</section>"
    )
    sections = "".join(
        _section(s, done.bodies.get(s.kind, ""), i, placeholders)
        for i, s in enumerate(shown, start=1)
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{for_html(title)}</title><style>{CSS}{SLIDES_CSS}{PRINT_CSS}</style>"
        f'<script id="plotly-js">{get_plotlyjs()}</script></head>'
        '<body><nav class="toolbar">'
        '<button type="button" id="to-slides" title="S: slides · arrows: next/previous · N: notes · F: full screen · Esc: back">'
        "Slides ▶</button>"
        '<button type="button" id="to-print" title="Print, or save as PDF">Print / PDF</button>'
        '<span id="counter"></span></nav>'
        f'<main>{first}{sections}</main><aside id="notes-panel" aria-live="polite"></aside>'
        f"{done.scripts}"
        f"<script>const PRINT_WIDTH = {PRINT_WIDTH_PX};{JS}</script></body></html>\n"
    )


CSS = """
:root { --ink:#1f2430; --muted:#5b6270; --line:#d9dce3; --accent:#3157d5; }
* { box-sizing: border-box; }
body { margin:0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:#f5f6f8; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
.toolbar { position: sticky; top: 0; z-index: 10; display:flex; gap:.5rem; align-items:center; padding:.5rem 1.5rem; background:#fff; border-bottom:1px solid var(--line); }
.toolbar button { font: inherit; padding:.35rem .9rem; border:1px solid var(--line); border-radius:.4rem; background:#fff; cursor:pointer; }
.toolbar button:hover { border-color: var(--accent); color: var(--accent); }
#counter { margin-left:auto; color:var(--muted); }
section.slide { background:#fff; border:1px solid var(--line); border-radius:.6rem; padding:1.5rem 2rem; margin:1.5rem 0; }
section header { display:flex; flex-wrap:wrap; align-items:baseline; gap:.25rem 1.5rem; border-bottom:2px solid var(--accent); margin-bottom:1rem; }
h1 { font-size:2.2rem; margin:.5rem 0; } h2 { font-size:1.6rem; margin:.2rem 0; } h3 { font-size:1.05rem; margin:.2rem 0 .4rem; }
.who { color:var(--muted); margin:.2rem 0; } .subtitle, .headline { font-size:1.2rem; margin:.3rem 0; }
.headline { font-weight:600; color:var(--accent); }
.agenda li span { color:var(--muted); }
.placeholder { color:#9aa0ab; font-style:italic; }
.block { margin:1rem 0; break-inside: avoid; }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:.3rem 1.2rem; }
.facts dt { font-weight:600; } .facts dd { margin:0; }
table { border-collapse:collapse; font-size:.9rem; width:100%; }
th, td { text-align:left; padding:.25rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
.chart { width:100%; min-height:120px; }
.caption, .note { color:var(--muted); font-size:.9rem; }
.gallery { display:flex; flex-wrap:wrap; gap:.75rem; }
.gallery figure { margin:0; width:150px; } .gallery img { width:150px; image-rendering:pixelated; border:1px solid var(--line); }
.gallery figcaption { font-size:.8rem; color:var(--muted); }
.notes { margin-top:1.2rem; padding:.6rem 1rem; background:#fbf7e8; border-left:4px solid #e2c44d; }
.notes h4 { margin:0 0 .3rem; }
"""

PRINT_CSS = """
@page { size: A4; margin: 15mm; }
@media print {
  body, body.slides { background:#fff; font-size:12pt; height:auto; overflow:visible; }
  .toolbar { display:none; }
  main, body.slides main { max-width:none; padding:0; }
  section.slide, body.slides section.slide { display:block; border:0; margin:0; padding:0; height:auto; min-height:0; overflow:visible; break-before: page; page-break-before: always; }
  section.slide:first-of-type { break-before: auto; page-break-before: auto; }
  .chart { width:680px; }
  .notes, body.slides .notes { display:block; }
}
"""

__all__ = ["PRINT_WIDTH_PX", "Rendered", "render_blocks", "render_html"]
