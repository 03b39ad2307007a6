"""The one rule for visitor text: Markdown, Plotly and HTML escapers keep it literal."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from cnnviz.text.escape import WORD_JOINER, for_html, for_markdown, for_plotly
from tests.text.hostile import HOSTILE

# CommonMark: a backslash before ASCII punctuation stands for that character itself
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _unescaped(out: str, pattern: str) -> list[str]:
    """Occurrences of ``pattern`` in ``out`` whose first character has no backslash before it."""
    hits = []
    for m in re.finditer(pattern, out):
        before = re.search(r"\\*$", out[: m.start()]).group(0)
        if len(before) % 2 == 0:
            hits.append(m.group(0))
    return hits


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_keeps_every_character_and_disarms_every_construct(text: str) -> None:
    out = for_markdown(text)
    assert _UNESCAPE.sub(r"\1", out).replace(WORD_JOINER, "") == text  # reads as typed
    for active in (r"\[", r"\]", r"<", r"\$", r"`", r"\*", r"\|", r"(?m)^ {0,3}#"):
        assert not _unescaped(out, active), (text, out, active)
    # an underscore can start or end emphasis unless letters or digits stand on both sides
    assert not _unescaped(out, r"(?<![^\W_])_|_(?![^\W_])"), (text, out)
    # remark-gfm finds autolinks in the text after the escapes are read: none may be left
    text_node = _UNESCAPE.sub(r"\1", out)
    assert not re.search(r"https?://|www\.|[-.\w+]@", text_node, re.IGNORECASE), text_node


def test_markdown_of_non_strings_and_plain_words() -> None:
    assert for_markdown("Ada Lovelace") == "Ada Lovelace"
    assert for_markdown(3) == "3"
    assert for_markdown("a\nb") == "a\nb"
    assert for_markdown("Conv2d(3, 6, kernel_size=3)") == "Conv2d(3, 6, kernel_size=3)"
    assert for_markdown("_it_ # x\n# y") == "\\_it\\_ # x\n\\# y"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


@pytest.mark.parametrize("text", HOSTILE)
def test_html_has_no_tag_and_reads_as_typed(text: str) -> None:
    p = _Tags()
    p.feed(f'<p title="{for_html(text)}">{for_html(text)}</p>')
    p.close()
    assert p.tags == ["p"] and p.text == text


# Plotly's text renderer (svg_text_utils.js) acts on these tags and on entities only
_PLOTLY_TAG = re.compile(r"<\s*/?\s*(a|b|i|em|sup|sub|span|br|s|u)\b", re.IGNORECASE)
_PLOTLY_ENTITY = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}


@pytest.mark.parametrize("text", [*HOSTILE, "a &lt;b&gt; c", "x<br>y", "<b>bold</b> & <i>i</i>"])
def test_plotly_has_no_tag_and_reads_as_typed(text: str) -> None:
    out = for_plotly(text)
    assert not _PLOTLY_TAG.search(out) and "<" not in out and ">" not in out
    assert re.sub("&(lt|gt|amp);", lambda m: _PLOTLY_ENTITY[m.group(0)], out) == text
