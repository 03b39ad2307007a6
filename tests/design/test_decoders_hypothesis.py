"""No JSON value makes the spec reader or the ``?net=`` link decoder raise anything but SpecError.

Also what a page does with what they return: the shape engine (``summarize``)
answers rows, or SpecError, never OverflowError or RecursionError.
"""

from __future__ import annotations

import base64
import zlib

import pytest
from hypothesis import HealthCheck, given, settings

from cnnviz.design.export import decode_spec, spec_from_json
from cnnviz.design.shapes import summarize
from cnnviz.design.spec import SpecError
from tests.json_values import json_texts

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _link(text: str) -> str:
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode().rstrip("=")


def _read_and_use(read, value) -> None:
    try:
        spec = read(value)
    except SpecError:
        return
    assert isinstance(spec, dict)
    try:
        rows = summarize(spec, 64)
    except SpecError:
        return
    assert all(isinstance(r["params"], int) for r in rows)


@FUZZ
@given(json_texts)
def test_spec_files_raise_only_spec_error(text: str) -> None:
    _read_and_use(spec_from_json, text)
    _read_and_use(spec_from_json, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(json_texts)
def test_links_raise_only_spec_error(text: str) -> None:
    _read_and_use(decode_spec, _link(text))


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"input":[1,1e999,28],"layers":[]}', "1e999"),
        (
            '{"input":[1,28,28],"layers":[{"type":"conv2d","kernel_size":'
            + "[" * 700
            + "3"
            + "]" * 700
            + "}]}",
            "nested",
        ),  # fmt: skip
        ('{"input":[NaN,28,28],"layers":[]}', "NaN"),
    ],
)
def test_the_found_links_are_messages(text: str, words: str) -> None:
    for read, value in ((decode_spec, _link(text)), (spec_from_json, text)):
        with pytest.raises(SpecError, match=words):
            read(value)
