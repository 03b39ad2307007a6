"""The pages' source: a visitor's text reaches Streamlit's Markdown only through the escaper.

Every call that renders Markdown (bodies, captions, alerts, headings, toasts, widget and
container labels, image captions) is read from the AST of cnnviz/ui and views/. A value
interpolated into its text (an f-string's ``{…}``, a ``+``, or the argument itself) whose
expression names a visitor's text (a name, title, class, dataset, folder, label, note,
an error's text ...) must be wrapped in ``for_markdown`` / ``for_markdown_code``. The
AppTest walk (test_pages_visitor_text.py) checks what the pages render; this test
catches a new page line that forgets the gate before anyone fills its slot.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    [*ROOT.joinpath("cnnviz", "ui").rglob("*.py"), *ROOT.joinpath("views").glob("*.py")]
)

# calls whose text Streamlit renders as Markdown (first argument or these keywords)
MARKDOWN_CALLS = {
    "markdown", "caption", "info", "warning", "error", "success", "write", "title", "header",
    "subheader", "toast", "expander", "popover", "status", "metric", "button",
    "download_button", "form_submit_button", "checkbox", "toggle", "radio", "selectbox",
    "multiselect", "slider", "select_slider", "text_input", "text_area", "number_input",
    "file_uploader", "segmented_control", "pills", "page_link", "link_button", "image",
}  # fmt: skip
MARKDOWN_OPTIONS = {"radio", "segmented_control", "pills"}  # selectbox options are plain text
TEXT_KEYWORDS = {"body", "label", "caption", "help", "placeholder"}
# st.image's first argument is the picture; its caption is text
FIRST_IS_TEXT = MARKDOWN_CALLS - {"image"}
ESCAPERS = {"for_markdown", "for_markdown_code"}
# what a visitor types or names, as the code calls it
VISITOR = re.compile(
    r"\b(name|names|owner_name|student|title|titles|label|labels|class_name|classes|dataset|"
    r"folder|who|headline|note|notes|reason|error|err|exc|e|message|problem|why_not|"
    r"unpacked|wanted|run_id)\b"
)
# interpolations that name a visitor word but hold none of a visitor's text
SAFE = re.compile(
    r"^(len\(.*\)|.*\.(?:n|count|index|epochs|epoch|size|shape|status)|"
    r"(?:DATASETS|PRESETS|LAYER_KINDS|TOY_TITLES|MEANING)\[.*\]\.?\w*|e\.epochs|"
    r"ordinal\(.*\)|format_count\(.*\)|duration\(.*\))$"
)

# (file, interpolated expression): why it holds no visitor text, or where it was escaped
ALLOWED = {
    ("cnnviz/ui/classroom/teacher.py", "title"): "the limits form's own labels",
    ("cnnviz/ui/classroom/teacher.py", "Limits.ENV[name]"): "an environment variable's name",
    ("cnnviz/ui/design/editor.py", "label"): "the layer actions' own words",
    ("cnnviz/ui/design/inputs.py", "name"): "a dimension's name (C, H, W)",
    ("cnnviz/ui/design/params.py", "label"): "a layer kind's parameter (the registry)",
    ("cnnviz/ui/design/params.py", "p.name"): "a layer kind's parameter (the registry)",
    ("cnnviz/ui/inspect/image.py", "label"): "made above from for_markdown(class name)",
    ("cnnviz/ui/learn/lessons.py", "label"): "a lesson's title (the lessons' list)",
    ("cnnviz/ui/learn/loader.py", "item.label"): "a class index, an int",
    ("cnnviz/ui/learn/network.py", "label"): "the calling page's own words",
    (
        "cnnviz/ui/learn/network.py",
        "net.note",
    ): "Markdown made in this module, its run title escaped there",
    ("cnnviz/ui/learn/pool.py", "note"): "made above from for_markdown(note)",
    ("cnnviz/ui/train/data.py", "info.folder"): "a registered dataset's folder (the registry)",
    ("cnnviz/ui/train/data.py", "message"): "load_choice escapes the messages it makes",
    ("cnnviz/ui/runs/experiments.py", "note"): "made above from TITLES and for_markdown(problems)",
    ("views/learn.py", "lesson.title"): "a lesson's title (the lessons' list)",
    ("views/train.py", "title"): "the page's own section titles",
}


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else None


def _text_args(node: ast.Call, name: str) -> list[ast.expr]:
    args = [node.args[0]] if node.args and name in FIRST_IS_TEXT else []
    args += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
    if name in MARKDOWN_OPTIONS:  # what format_func writes is each option's Markdown label
        args += [
            k.value.body
            for k in node.keywords
            if k.arg == "format_func" and isinstance(k.value, ast.Lambda)
        ]
    return args


def _escaped(expr: ast.expr) -> bool:
    return (
        isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ESCAPERS
    )


def _values(expr: ast.expr) -> list[ast.expr]:
    """The parts of a text argument that are not literal: {…} of f-strings, + operands, the
    argument itself; an escaper's call is one escaped part (not looked into)."""
    if _escaped(expr) or isinstance(expr, ast.Constant):
        return []
    if isinstance(expr, ast.JoinedStr):
        out = []
        for v in expr.values:
            if isinstance(v, ast.FormattedValue) and v.format_spec is None:
                out += _values(v.value)
        return out
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _values(expr.left) + _values(expr.right)
    if isinstance(expr, ast.IfExp):
        return _values(expr.body) + _values(expr.orelse)
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "join"
    ):
        return _values(expr.args[0]) if expr.args else []
    if isinstance(expr, ast.GeneratorExp | ast.ListComp):
        return _values(expr.elt)
    return [expr]


def unescaped() -> list[str]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            if name not in MARKDOWN_CALLS:
                continue
            for arg in _text_args(node, name):
                for v in _values(arg):
                    src = ast.unparse(v)
                    rel = path.relative_to(ROOT).as_posix()
                    if _escaped(v) or SAFE.match(src) or not VISITOR.search(src):
                        continue
                    if (rel, src) in ALLOWED:
                        continue
                    found.append(f"{rel}:{v.lineno}: {name}(… {{{src}}} …)")
    return found


def test_visitor_text_reaches_markdown_only_through_the_escaper() -> None:
    found = unescaped()
    assert not found, "wrap these in for_markdown (cnnviz.text.escape):\n" + "\n".join(found)


def test_the_gate_test_can_see_a_forgotten_escape(tmp_path: Path, monkeypatch) -> None:
    page = tmp_path / "page.py"
    page.write_text(
        "import streamlit as st\n"
        "st.caption(f'By {owner.name}')\n"
        "st.error(str(e))\n"
        "st.markdown('**' + run.title + '**')\n"
        "st.caption(f'By {for_markdown(owner.name)} · {len(classes)} classes')\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "SOURCES", [page])
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "ROOT", tmp_path)
    assert [f.split(": ", 1)[1] for f in unescaped()] == [
        "caption(… {owner.name} …)",
        "error(… {str(e)} …)",
        "markdown(… {run.title} …)",
    ]
