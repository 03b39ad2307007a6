"""Showing what a visitor typed (or a file held) as text, never as Markdown.

Streamlit renders the body of ``st.error``, ``st.caption``, ``st.markdown`` ...
as Markdown: a ``?run=`` value, a folder path or a layer name from a crafted
link could otherwise become a live link or load a remote image
(``![x](https://…)``). ``plain(s)`` backslash-escapes every character Markdown
or Streamlit's own directives (``:red[…]``, ``:material/…:``) act on, so the
text reads exactly as it was typed.
"""

from __future__ import annotations

import re

# what makes Markdown act: links and images ([ ]), directives (:red[…]), code, emphasis,
# tables, maths, HTML-like <…>, and the autolinks GitHub Markdown makes of https:// and www.
_ACTIVE = re.compile(r"([\\`*_\[\]<>|~$#])|(:)(?=//)|(?<=www)(\.)", re.IGNORECASE)


def plain(value: object) -> str:
    """``value`` as literal text inside Markdown (newlines kept)."""
    return _ACTIVE.sub(lambda m: "\\" + m.group(0), str(value))


__all__ = ["plain"]
