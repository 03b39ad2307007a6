"""Names a class can tell apart: normalised, in one alphabet, not the teacher's or the server's.

A name is stored NFKC-normalised with its spaces collapsed ("Ａｄａ" is stored as
"Ada"). Two names are the same name when their *skeletons* are equal: NFKC,
case-folded, letters that look alike in another alphabet mapped to the Latin one
they look like (Cyrillic "А", Greek "Α" -> "a"), and "0"/"1"/"rn" read as
"o"/"l"/"m" (after Unicode's confusables, UTS #39, kept to the letters a class meets).
A name that mixes alphabets ("Аda", a Cyrillic А in a Latin name) is refused,
and so are the reserved names ("teacher", "admin", the server's, ...), whatever
their case or look-alike letters::

    clean_name("  Ada  Lovelace ")  # -> "Ada Lovelace"
    skeleton("ΑDA") == skeleton("ada") == skeleton("Аda")  # True
    check_name("Teacher")           # -> NameRefused
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 40
_NAME_OK = re.compile(r"^[\w][\w .'\-]*$", re.UNICODE)

# look-alikes from Cyrillic and Greek, mapped to the Latin letter they look like (lower case)
_CONFUSABLE = str.maketrans(
    {
        **dict.fromkeys("аα", "a"), "в": "b", "β": "b", **dict.fromkeys("сϲ", "c"),
        "ԁ": "d", **dict.fromkeys("еεё", "e"), "һ": "h", "η": "n", **dict.fromkeys("іιí", "i"),
        "ј": "j", **dict.fromkeys("кκ", "k"), "ӏ": "l", "м": "m", "н": "h",
        **dict.fromkeys("оοσ", "o"), **dict.fromkeys("рρ", "p"), "ԛ": "q", "г": "r",
        "ѕ": "s", "т": "t", "τ": "t", **dict.fromkeys("υ", "u"), "ν": "v", "ѵ": "v",
        "ԝ": "w", "ω": "w", **dict.fromkeys("хχ", "x"), **dict.fromkeys("уγ", "y"),
        "ζ": "z", "0": "o", "1": "l", "|": "l", "ι": "i",
    }
)  # fmt: skip

RESERVED = (
    "teacher", "the teacher", "admin", "administrator", "root", "server", "the server",
    "system", "cnnviz", "moderator", "staff", "host", "owner", "everyone", "anonymous",
    "nobody", "class", "the class",
)  # fmt: skip


# alphabets whose letters pass for one another ("А" / "A" / "Α"): a name uses one of them
# (CJK, kana and Hangul mix freely with each other and with Latin: nothing there looks alike)
LOOKALIKE_ALPHABETS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"})


class NameRefused(ValueError):
    """This text cannot be a name in the class; the message says why and what to type."""


def _letters_script(ch: str) -> str | None:
    """The alphabet of a letter ("LATIN", "CYRILLIC", "GREEK", ...); None for others."""
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else None


def scripts(text: str) -> set[str]:
    return {s for s in map(_letters_script, text) if s}


def skeleton(text: str) -> str:
    """What a name is compared as (equal skeletons: the same name to a reader)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = "".join(  # accents off: "Adà" reads as "Ada" across a classroom
        c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c)
    )
    folded = folded.translate(_CONFUSABLE).replace("rn", "m")
    folded = re.sub(r"[\s.'\-_]+", " ", folded).strip()
    return folded


_RESERVED = {skeleton(r) for r in RESERVED}


def clean_name(name: str) -> str:
    """The name as stored (NFKC, spaces collapsed); ``NameRefused`` when it cannot be a name."""
    text = " ".join(unicodedata.normalize("NFKC", str(name or "")).split())
    if not text:
        raise NameRefused("Type your name to join the class.")
    if len(text) > MAX_NAME:
        raise NameRefused(f"That name is {len(text)} characters long: use at most {MAX_NAME}.")
    if not _NAME_OK.match(text):
        raise NameRefused("Use letters, digits, spaces, dots, apostrophes or dashes in your name.")
    found = scripts(text) & LOOKALIKE_ALPHABETS
    if len(found) > 1:
        names = " and ".join(sorted(s.title() for s in found))
        raise NameRefused(
            f"That name mixes alphabets ({names} letters that can look alike): "
            "type it in one alphabet."
        )
    if skeleton(text) in _RESERVED:
        raise NameRefused(
            f"{text!r} is kept for the server or the teacher: type your own name instead."
        )
    return text


__all__ = ["MAX_NAME", "RESERVED", "NameRefused", "clean_name", "scripts", "skeleton"]
