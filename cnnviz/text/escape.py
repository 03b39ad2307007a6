"""Showing what a visitor typed (or a file held) as text, never as markup.

A name, a title or a folder name goes to three kinds of renderer, and each acts on
different characters:

- Streamlit renders the body of ``st.markdown``, ``st.caption``, ``st.error`` ... and
  the labels of widgets, tabs, expanders and metrics as Markdown: ``![x](https://…)``
  loads a remote image, ``[CLICK](https://…)``, ``https://…``, ``www.…`` and
  ``a@b.c`` become links, ``:red[…]`` and ``$…$`` are Streamlit's directives and maths.
  ``for_markdown`` backslash-escapes every character that makes Markdown act. Autolinks
  are made after the escapes are read (remark-gfm finds ``https://``, ``www.`` and
  ``a@b`` in the text itself), so there an invisible word joiner (U+2060) goes between
  ``https:`` and ``//``, ``www`` and ``.``, and before ``@``: the text reads the same.
- Plotly renders a subset of HTML in titles, tick labels, annotations, hover text and
  legend names (``<a href>``, ``<b>``, ``<br>``, ``<span style>``), kept as links in its
  SVG and PNG exports. ``for_plotly`` writes ``<``, ``>`` and ``&`` as entities, which
  Plotly shows as the characters.
- The exported presentation is HTML: ``for_html`` escapes it, quotes included (values
  also go into attributes).
"""

from __future__ import annotations

import html
import re

# what makes Markdown act: links and images ([ ]), directives (:red[…]), code, emphasis,
# tables, maths, HTML-like <…> and quotes, a heading's # at a line's start. An underscore
# between two letters or digits never starts or ends emphasis (``kernel_size`` stays as it
# reads).
_MARKDOWN = re.compile(
    r"([\\`*\[\]<>|~$])|(?<![^\W_])_|_(?![^\W_])|(?<=^)(#)|(?<=^ )(#)|(?<=^  )(#)"
    r"|(?<=^   )(#)",
    re.MULTILINE,
)
# where GitHub Markdown's autolinks start: "scheme:" before "//", "www" before ".", "@"
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"  # invisible, no line break: "https:⁠//" is no longer a URL
_PLOTLY = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def for_markdown(value: object) -> str:
    """``value`` as literal text inside Markdown (newlines kept)."""
    escaped = _MARKDOWN.sub(lambda m: "\\" + m.group(0), str(value))
    return _AUTOLINK.sub(WORD_JOINER, escaped)


def for_markdown_code(value: object) -> str:
    """``value`` as a Markdown code span, backticks included: nothing inside one acts.

    The fence is one backtick longer than the longest run of backticks in ``value``, and
    newlines become spaces (a code span is one line here).
    """
    text = " ".join(str(value).splitlines())
    runs = re.findall(r"`+", text)
    fence = "`" * (max(map(len, runs), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def for_plotly(value: object) -> str:
    """``value`` as literal text in a Plotly title, tick label, annotation, hover or legend."""
    return "".join(_PLOTLY.get(ch, ch) for ch in str(value))


def for_python_docstring(value: object) -> str:
    """``value`` on one line inside a triple-quoted string of an exported Python script:
    backslashes and double quotes escaped, so it can neither end the string early nor
    hold a broken escape."""
    one_line = " ".join(str(value).split())
    return one_line.replace("\\", "\\\\").replace('"', '\\"')


def for_html(value: object) -> str:
    """``value`` as literal text in HTML, in an element's body or a quoted attribute."""
    return html.escape(str(value), quote=True)


__all__ = ["for_html", "for_markdown", "for_markdown_code", "for_plotly", "for_python_docstring"]
