"""Visitor texts that would turn into links, images or markup if shown unescaped."""

from __future__ import annotations

EVIL = "evil.example"
HOSTILE = (
    "![x](https://evil.example/p.png)",
    "[CLICK](https://evil.example)",
    "<img src=x>",
    ":red[x]",
    "$x$",
    '<a href="https://evil.example">x</a>',
    "https://evil.example",
    "www.evil.example",
    "mail@evil.example",
    "my set ![x](https:evil.example?pixel) [CLICK](https:evil.example)",
    "<https://evil.example/auto>",
    "**bold** _it_ `code` # head | a | b |",
)
# one name carrying every trick at once, for the slots that take one name
NAME = "Eve ![x](https://evil.example/p.png) [CLICK](https://evil.example) <b>www.evil.example</b>"
