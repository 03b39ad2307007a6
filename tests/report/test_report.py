"""The HTML report of a trained run: six sections with their figures, safe texts, offline, small."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from cnnviz.cli.main import main
from cnnviz.report import build_report, default_presentation
from cnnviz.report.content import run_content
from cnnviz.report.sections import TITLES, Presentation, SectionKind
from cnnviz.train.store import open_run

LIMIT_BYTES = 10_000_000
# each section's figures, by the name its PNG download gets
FIGURES = {
    SectionKind.OVERVIEW: {"network-diagram"},
    SectionKind.DATA: {"sample-images", "class-counts", "mini-batch"},
    SectionKind.FEATURES: {"layer-2-feature-maps", "layer-5-feature-maps", "first-layer-filters"},
    SectionKind.LOSS: {"loss-per-iteration", "loss-and-accuracy-per-epoch"},
    SectionKind.RESULTS: {"confusion-matrix"},
}
EVIL = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def content(shapes_run: Path):
    return run_content(open_run(shapes_run))


def _sections(html: str) -> dict[str, str]:
    parts = re.split(r'(?=<section class="slide)', html.split("<main>")[1].split("</main>")[0])
    out = {}
    for p in parts:
        m = re.match(r'<section class="slide[^"]*" id="section-\d+" data-kind="(\w+)"', p)
        if m:
            out[m.group(1)] = p
    return out


def _figure_names(html: str, section: str) -> set[str]:
    names = set()
    for fid in re.findall(r'data-fig="(fig-\d+)"', section):
        block = re.search(rf'<script type="application/json" id="{fid}">(.*?)</script>', html, re.S)
        assert block, fid
        spec = json.loads(block.group(1))
        assert spec["data"], f"{fid} has no traces"
        assert spec["config"]["toImageButtonOptions"]["scale"] == 2
        names.add(spec["config"]["toImageButtonOptions"]["filename"].split("_", 1)[1])
    return names


def test_six_sections_each_with_its_figures(shapes_run: Path, content) -> None:
    run = open_run(shapes_run)
    html = build_report(run, content=content)
    sections = _sections(html)
    assert list(sections) == ["title", *(k.value for k in SectionKind)]
    for kind in SectionKind:
        assert f"<h2>{TITLES[kind]}</h2>" in sections[kind.value]
        names = _figure_names(html, sections[kind.value])
        assert FIGURES.get(kind, set()) <= names, (kind, names)
    results = sections["results"]
    assert any(n.startswith("gradcam-") for n in _figure_names(html, results))
    assert "The most confident mistakes" in results and results.count("data:image/png;base64,") >= 1
    acc = f"{100 * run.status['test_accuracy']:.1f}%"
    assert acc in sections["overview"] and acc in results
    assert "Accuracy per class" in results and "[B, C, H, W] = [32, 3, 16, 16]" in sections["data"]
    assert "Presented by (name)" in sections["applications"]  # placeholders to fill in


def test_hidden_and_reordered_sections(shapes_run: Path, content) -> None:
    run = open_run(shapes_run)
    pres = default_presentation(run).with_section(SectionKind.FEATURES, hidden=True)
    pres = pres.moved(SectionKind.APPLICATIONS, -5)
    html = build_report(run, pres, content=content)
    kinds = list(_sections(html))
    assert "features" not in kinds
    assert kinds[:3] == ["title", "applications", "overview"]
    assert Presentation.from_dict(json.loads(json.dumps(pres.to_dict()))) == pres


def test_student_texts_stay_text(shapes_run: Path, content) -> None:
    run = open_run(shapes_run)
    pres = default_presentation(run)
    pres = pres.with_section(SectionKind.OVERVIEW, who=EVIL, text=f"goal {EVIL}", notes=EVIL)
    pres = Presentation(pres.run_id, f"{EVIL} <img src=x onerror=alert(1)>", pres.sections)
    html = build_report(run, pres, content=content)
    assert EVIL not in html and "<img src=x" not in html
    assert "Presented by &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert html.count("<script") == html.count("</script>")


def test_offline_no_server_path_under_limit(shapes_run: Path, content) -> None:
    from plotly.offline import get_plotlyjs

    run = open_run(shapes_run)
    html = build_report(run, content=content)
    assert html.count(get_plotlyjs()) == 1  # inlined once, from the installed package
    rest = html.replace(get_plotlyjs(), "")
    assert not re.search(r"https?://", rest), re.search(r".{60}https?://.{60}", rest)
    # (plotly.js itself holds link texts such as its own site's, which it never fetches:
    # the browser test draws every chart with the network off)
    assert not re.search(r"""(src|href)\s*=\s*["']?//""", rest)
    for path in {
        os.fspath(shapes_run),
        os.fspath(shapes_run.parent),
        os.getcwd(),
        str(Path.home()),
    }:
        assert path not in html
    size = len(html.encode())
    print(f"report of the test run: {size / 1e6:.2f} MB (limit {LIMIT_BYTES / 1e6:.0f} MB)")
    assert size < LIMIT_BYTES


def test_cli_report_writes_the_file(shapes_run: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "talk.html"
    assert (
        main(["report", shapes_run.name, "-o", str(out), "--runs-dir", str(shapes_run.parent)]) == 0
    )
    assert "wrote" in capsys.readouterr().out
    html = out.read_text()
    assert set(_sections(html)) == {"title", *(k.value for k in SectionKind)}
    assert main(["report", "no-such-run", "--runs-dir", str(tmp_path)]) == 2


def test_the_exported_file_is_named_after_the_presentations_title():
    from cnnviz.report import presentation_file_name

    run_id = "20261201-101500-blank-ab12cd"
    assert presentation_file_name(run_id, "Digits that see!") == "digits-that-see.html"
    assert presentation_file_name(run_id, "Ünïcode ../../etc") == "unicode-etc.html"
    # no title (or nothing left of it): after the run, as before
    assert presentation_file_name(run_id, "") == "blank_presentation.html"
    assert presentation_file_name(run_id, "!!!") == "blank_presentation.html"


def test_each_slide_carries_speaker_notes_from_its_sections_words() -> None:
    """The notes view reads each section's speaker notes from the file: the presenter's notes,
    then the section's text, escaped; the prompt where both are empty; the agenda on the title."""
    from cnnviz.report.content import Content, Note
    from cnnviz.report.html import render_html
    from cnnviz.report.sections import Presentation, SectionKind

    pres = (
        Presentation.default("20261201-101500-talk-a1b2c3", "Talk")
        .with_section(SectionKind.OVERVIEW, text="Shapes <b>apart</b>", notes="Smile first.")
        .with_section(SectionKind.DATA, text="Ten classes.")
    )
    html = render_html(
        pres, Content("test accuracy 90.0%", {SectionKind.DATA: (Note("n"),)}), label="t"
    )
    speaker = re.findall(r'<aside class="speaker">(.*?)</aside>', html)
    assert len(speaker) == 7  # the title slide and six sections
    assert "Today: Overview; Dataset and DataLoader" in speaker[0]
    assert speaker[1] == "<p>Smile first.</p><p>Shapes &lt;b&gt;apart&lt;/b&gt;</p>"
    assert speaker[2] == "<p>Ten classes.</p>"
    assert "No notes yet." in speaker[3]
    assert 'id="notes-panel"' in html and "toggleNotes" in html
