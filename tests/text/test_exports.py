"""The exports hold a visitor's text as text: the presentation HTML (its sections, charts and
galleries) and the training script (its docstring and CLASSES)."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cnnviz.data.registry import load_dataset
from cnnviz.report import build_report
from cnnviz.report.sections import Presentation, SectionKind
from cnnviz.text.escape import for_plotly
from cnnviz.train.config import TrainConfig
from cnnviz.train.engine import build_seeded, fit
from cnnviz.train.script import training_script
from cnnviz.train.store import RunWriter, open_run

CLASSES = tuple(
    f'c{i} [CLICK](https://evil.example) <img src="https://evil.example/{i}.png"> """; import os'
    for i in range(10)
)
DESIGN = 'net <a href="https://evil.example">x</a> """; import os; os.system("echo 1") # \\N{oops}'
WHO = "Eve <img src='https://evil.example/w.png'> <script>alert(1)</script>"
SPEC = {
    "name": DESIGN,
    "input": [3, 16, 16],
    "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundle = load_dataset("shapes", size=16, channels=3, n_train=200, n_test=80)
    bundle = replace(bundle, classes=CLASSES)
    writer = RunWriter(SPEC, root=tmp_path_factory.mktemp("runs"))
    for _ in fit(
        build_seeded(SPEC, 1), bundle, TrainConfig(epochs=1, batch_size=50, seed=1), writer=writer
    ):
        pass
    return writer.path


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.live: list[str] = []  # tags that load or link the visitor's host
        self.tags: list[str] = []
        self.text = ""
        self.json: list[str] = []  # the Plotly figures' data
        self.explainer: list[str] = []  # the explainer's data: its script writes textContent
        self._in_json = False
        self._in_explainer = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        if any(
            k in ("href", "src", "xlink:href", "srcset") and "evil" in (v or "") for k, v in attrs
        ):
            self.live.append(f"<{tag} {attrs}>")
        is_json = tag == "script" and ("type", "application/json") in attrs
        self._in_explainer = is_json and ("id", "cnnviz-explainer-data") in attrs
        self._in_json = is_json and not self._in_explainer

    def handle_endtag(self, tag: str) -> None:
        self._in_json = self._in_explainer = False

    def handle_data(self, data: str) -> None:
        if self._in_json:
            self.json.append(data)
        elif self._in_explainer:
            self.explainer.append(data)
        else:
            self.text += data


def _strings(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def test_presentation_html_shows_visitor_text_as_text(hostile_run: Path) -> None:
    run = open_run(hostile_run)
    pres = Presentation.default(run.id, DESIGN).with_section(
        SectionKind.OVERVIEW, who=WHO, text=WHO
    )
    html = build_report(run, pres)
    page = _Page()
    page.feed(html)
    page.close()
    assert page.live == [] and "<script>alert(1)" not in html
    assert WHO in page.text and DESIGN in page.text  # the texts read as typed
    figures = [s for block in page.json for s in _strings(json.loads(block))]
    assert for_plotly(CLASSES[0]) in figures  # the class names reached the charts, escaped
    live = [s for s in figures if re.search(r"<(a|img|b|span)\b[^<]*(evil|CLICK)", s)]
    assert live == []
    for block in page.explainer:  # the explainer's script shows them as text (textContent)
        assert json.loads(block)["classes"] == list(CLASSES)


def test_training_script_keeps_visitor_text_in_its_strings(hostile_run: Path) -> None:
    run = open_run(hostile_run)

    class Unlabelled:  # a run whose config has no label: the design's name heads the script
        def __getattr__(self, key: str):
            return getattr(run, key)

        config = {k: v for k, v in run.config.items() if k != "label"}

    for subject in (run, Unlabelled()):
        tree = ast.parse(training_script(subject))  # the names cannot end a string early
        assigned = {
            t.id: n.value
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        assert ast.literal_eval(assigned["CLASSES"]) == list(CLASSES)
    doc = ast.get_docstring(tree) or ""
    assert doc.startswith(" ".join(DESIGN.split()))
