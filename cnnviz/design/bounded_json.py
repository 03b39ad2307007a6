"""JSON decoding with bounds, for everything a visitor or a damaged file can hand us.

``loads(text, *, what, max_chars, max_depth)`` is ``json.loads`` that never raises
anything but ``JsonLimitError`` (a ``ValueError``) with a message naming ``what``:

- longer than ``max_chars`` characters,
- nested deeper than ``max_depth`` arrays/objects (checked by a linear scan
  before parsing, so no decoder ever recurses 700 levels),
- a number that is not finite (``NaN``, ``Infinity``, ``1e999``) or whose
  digits run longer than ``MAX_NUMBER_CHARS`` (``10**5000`` as an integer),
- not JSON at all.

The spec reader (files and ``?net=`` links) and the run store read through it;
each wraps ``JsonLimitError`` into its own error (``SpecError``, ``RunError``).
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_NUMBER_CHARS = 40  # digits, sign, point and exponent of one number
DEFAULT_MAX_DEPTH = 32


class JsonLimitError(ValueError):
    """Text that is not JSON, or JSON beyond the bounds a reader accepts."""


def nesting_depth(text: str) -> int:
    """Deepest ``[``/``{`` nesting outside strings (a linear scan, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _number_error(what: str, text: str) -> JsonLimitError:
    shown = text if len(text) <= 20 else text[:17] + "…"
    return JsonLimitError(f"{what} holds the number {shown}, which is too large to be read")


def loads(
    text: str | bytes,
    *,
    what: str = "the file",
    max_chars: int = 1_000_000,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Any:
    """Bounded ``json.loads`` (see the module docstring)."""
    if isinstance(text, bytes | bytearray):
        if len(text) > max_chars:
            raise JsonLimitError(f"{what} is longer than {max_chars:,} bytes")
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JsonLimitError(f"{what} is not text (UTF-8)") from None
    if not isinstance(text, str):
        raise JsonLimitError(f"{what} is not text")
    if len(text) > max_chars:
        raise JsonLimitError(f"{what} is longer than {max_chars:,} characters")
    if nesting_depth(text) > max_depth:
        raise JsonLimitError(f"{what} is nested too deeply (more than {max_depth} levels)")

    def parse_float(s: str) -> float:
        if len(s) > MAX_NUMBER_CHARS:
            raise _number_error(what, s)
        v = float(s)
        if not math.isfinite(v):
            raise _number_error(what, s)
        return v

    def parse_int(s: str) -> int:
        if len(s) > MAX_NUMBER_CHARS:
            raise _number_error(what, s)
        return int(s)

    def parse_constant(s: str) -> Any:
        raise JsonLimitError(f"{what} holds {s}, which is not a number JSON allows")

    try:
        return json.loads(
            text, parse_float=parse_float, parse_int=parse_int, parse_constant=parse_constant
        )
    except JsonLimitError:
        raise
    except json.JSONDecodeError as e:
        raise JsonLimitError(
            f"{what} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"
        ) from None
    except (ValueError, RecursionError, TypeError) as e:
        raise JsonLimitError(f"{what} cannot be read as JSON ({e})") from None
