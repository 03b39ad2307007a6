"""What an AppTest page rendered, read element by element, and the live markup in it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from google.protobuf.json_format import MessageToDict

# a link or image aimed at the visitor's host, or raw HTML from a name: any of these in a
# Markdown body (not backslash-escaped) renders as a live link, image or tag
_LIVE_MARKDOWN = re.compile(
    r"(?<!\\)\]\([^)]*evil|(?<!\\)<(?:a|img|b)\b[^<]*(?:evil|CLICK)", re.IGNORECASE
)
# remark-gfm makes autolinks of the text left once the backslash escapes are read
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_AUTOLINK = re.compile(r"https?://evil|www\.evil|[-.\w+]@evil", re.IGNORECASE)
# Plotly renders <a>, <b>, <img>-free HTML: a tag from the visitor's text is live there
_LIVE_PLOTLY = re.compile(r"<(?:a|b|i|span|img)\b[^<]*(?:evil|CLICK)", re.IGNORECASE)
# where a page shows text without Markdown: what a text box holds, a select box's options,
# a table's cells
_PLAIN = {
    "text_input": {"value", "default", "rawValue"},
    "text_area": {"value", "default", "rawValue"},
    "selectbox": {"options", "value", "rawValue", "rawValues"},
    "multiselect": {"options", "value", "rawValues", "default"},
}


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _strings(obj: Any, skip: set[str], path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k not in skip:
                yield from _strings(v, skip, f"{path}.{k}")
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v, skip, path)


def _plotly_strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _plotly_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _plotly_strings(v)


def rendered(at: Any) -> list[tuple[str, str, str]]:
    """(element type, field, text) for every string an AppTest run sent to the browser."""
    out = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "DESCRIPTOR"):
            continue
        kind = getattr(node, "type", type(node).__name__)
        if kind == "table":  # st.table reads its cells as Markdown
            frame = node.value
            cells = [*map(str, frame.columns), *(str(v) for v in frame.to_numpy().ravel())]
            out += [(kind, "cell", c) for c in cells]
            continue
        if kind in ("arrow_data_frame", "dataframe", "code", "json", "text"):
            continue  # shown literally: st.dataframe's cells, code blocks, JSON, st.text
        data = MessageToDict(proto, preserving_proto_field_name=False)
        if kind == "plotly_chart":
            spec = json.loads(data.get("spec") or "{}")
            out += [(kind, "figure", s) for s in _plotly_strings(spec)]
            continue
        for field, text in _strings(data, _PLAIN.get(kind, set())):
            out.append((kind, field, text))
    return out


def live_markup(at: Any) -> list[tuple[str, str, str]]:
    """The rendered strings in which a visitor's text would act as a link, image or tag."""
    bad = []
    for kind, field, text in rendered(at):
        if kind == "plotly_chart":
            live = _LIVE_PLOTLY.search(text)
        else:
            live = _LIVE_MARKDOWN.search(text) or _AUTOLINK.search(_UNESCAPE.sub(r"\1", text))
        if live:
            bad.append((kind, field, text))
    return bad


def all_text(at: Any) -> str:
    return "\n".join(text for _, _, text in rendered(at))
