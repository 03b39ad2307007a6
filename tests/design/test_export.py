"""PyTorch code that runs and agrees with the shape engine; JSON files; compact share links."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import zlib

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.design.build import build_model
from cnnviz.design.export import (
    MAX_JSON_BYTES,
    decode_spec,
    encode_spec,
    spec_from_json,
    spec_to_json,
    to_pytorch_code,
)
from cnnviz.design.presets import PRESETS
from cnnviz.design.shapes import summarize
from cnnviz.design.spec import SpecError

ODD = {
    "name": "odd one",
    "input": [2, 11, 9],
    "layers": [
        {
            "type": "conv2d",
            "out_channels": 4,
            "kernel_size": [3, 2],
            "padding": "same",
            "dilation": 2,
        },
        {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
        {"type": "conv2d", "out_channels": 6, "kernel_size": 1, "groups": 2, "bias": False},
        {"type": "avgpool2d", "kernel_size": [2, 1]},
        {"type": "gelu"},
        {"type": "flatten"},
        {"type": "linear", "out_features": 3},
        {"type": "softmax"},
    ],
}


def run_code(code: str) -> tuple[dict, str]:
    namespace: dict = {"__name__": "__main__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "model.py", "exec"), namespace)
    return namespace, out.getvalue()


@pytest.mark.parametrize("name", [*PRESETS, "odd"])
def test_code_runs_and_gives_the_engines_shape(name: str) -> None:
    spec = ODD if name == "odd" else PRESETS[name].spec
    code = to_pytorch_code(spec, batch=3)
    namespace, printed = run_code(code)
    rows = summarize(spec, 3)
    want = rows[-1]["output_shape"] if rows else [3, *spec["input"]]
    assert printed.splitlines()[0] == str(tuple(want))
    net = namespace["Net"]()
    model = build_model(spec)
    assert net.state_dict().keys() == model.state_dict().keys()  # weights load into either
    assert sum(p.numel() for p in net.parameters()) == sum(r["params"] for r in rows)
    for row in rows:  # one shape comment per layer
        comment = "# (B, " + ", ".join(str(x) for x in row["output_shape"][1:]) + ")"
        assert comment in code


def test_code_loads_the_apps_weights() -> None:
    spec = PRESETS["mnist-basic"].spec
    namespace, _ = run_code(to_pytorch_code(spec))
    model, net = build_model(spec).eval(), namespace["Net"]().eval()
    net.load_state_dict(model.state_dict())
    x = torch.randn(2, 1, 28, 28)
    assert torch.equal(net(x), model(x))


def test_code_for_an_invalid_design_names_the_layer() -> None:
    with pytest.raises(SpecError, match="Layer 1"):
        to_pytorch_code(
            {
                "input": [3, 2, 2],
                "layers": [{"type": "conv2d", "out_channels": 1, "kernel_size": 5}],
            }
        )


@pytest.mark.parametrize("name", list(PRESETS))
def test_json_round_trip(name: str) -> None:
    spec = PRESETS[name].spec
    text = spec_to_json(spec)
    assert spec_from_json(text) == spec_from_json(text.encode())
    back = spec_from_json(text)
    assert back["input"] == spec["input"]
    assert summarize(back) == summarize(spec)
    rows = summarize(spec)
    if not any(r["block"] for r in rows):
        assert len(text.splitlines()) == len(spec["layers"]) + (5 if spec["layers"] else 4)
    else:  # one line per layer, those inside blocks included (a block opens its own line)
        leaves = [line for line in text.splitlines()[1:] if line.strip().startswith("{") and
                  not line.strip().startswith(('{"type": "residual"', '{"type": "concat"'))]  # fmt: skip
        assert len(leaves) == sum(not r["block"] for r in rows)


def test_json_leaves_defaults_out_and_keeps_the_name() -> None:
    text = spec_to_json(ODD)
    data = json.loads(text)
    assert data["name"] == "odd one"
    assert data["layers"][4] == {"type": "gelu"}
    assert "stride" not in data["layers"][0] and data["layers"][0]["padding"] == "same"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"input": [3, 8, 8], "layers": [}', r"not valid JSON: .* at line 1, column 33"),
        (
            '{\n  "input": [3, 8, 8],\n  "layers": [\n    {"type": "relu"},\n  ]\n}',
            "line 5, column 3",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not text"),
        ("[1, 2]", "a spec is an object"),
        (
            '{"input": [3, 8, 8], "layers": [{"type": "conv3d"}]}',
            "layer 1: unknown layer type 'conv3d'",
        ),
        (
            '{"input": [3, 8, 8], "layers": [{"type": "relu"}, {"type": "linear"}]}',
            "layer 2: Linear needs out_features",
        ),
        ('{"input": [3, 8], "layers": []}', "input must be"),
        pytest.param("[" * 100_000, "nested too deeply|not valid JSON", id="deep"),
        pytest.param(" " * (MAX_JSON_BYTES + 1), "KB", id="big-text"),
        pytest.param(b" " * (MAX_JSON_BYTES + 1), "KB", id="big-bytes"),
        ("", "not valid JSON"),
    ],
)
def test_bad_files_get_clear_messages(text, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        spec_from_json(text)


@pytest.mark.parametrize("name", list(PRESETS))
def test_link_round_trip(name: str) -> None:
    s = encode_spec(PRESETS[name].spec)
    assert s.isascii() and "=" not in s and "+" not in s and "/" not in s
    assert summarize(decode_spec(s)) == summarize(PRESETS[name].spec)


def test_twenty_layer_link_is_short() -> None:
    layers = []
    for c in (8, 16, 32, 64, 64):
        layers += [{"type": "conv2d", "out_channels": c, "kernel_size": 3, "padding": 1},
                   {"type": "batchnorm2d"}, {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2}]  # fmt: skip
    spec = {"input": [3, 64, 64], "layers": layers}
    assert len(layers) == 20 and len(encode_spec(spec)) < 200


def test_link_keeps_a_design_that_is_being_fixed() -> None:
    spec = {
        "input": [3, 8, 8],
        "layers": [{"type": "conv2d", "out_channels": 0, "kernel_size": 30}],
    }
    assert decode_spec(encode_spec(spec))["layers"] == spec["layers"]


def test_a_malformed_design_still_gets_a_link_that_explains_itself() -> None:
    s = encode_spec({"input": [3, 0, 8], "layers": [{"type": "relu"}]})
    with pytest.raises(SpecError, match="input must be"):
        decode_spec(s)
    with pytest.raises(SpecError, match="input must be"):
        spec_from_json(spec_to_json({"input": [3, 0, 8], "layers": []}))


def _pack(data: bytes) -> str:
    return base64.urlsafe_b64encode(zlib.compress(data, 9)).decode().rstrip("=")


@pytest.mark.parametrize(
    ("s", "match"),
    [
        ("", "no design"),
        ("not base64 at all!!", "damaged"),
        ("eNqrVg", "cut short|damaged"),
        (_pack(b"hello"), "not valid JSON"),
        # a decompression bomb: 10 MB packed into 13 KB of link
        pytest.param(_pack(b" " * 10_000_000), "unpacks to more than", id="bomb"),
        (_pack(b'{"input": [3, 8, 8], "layers": [{"type": "conv3d"}]}'), "unknown layer type"),
        (_pack(b'{"input": [3, 8, 8], "layers": [5]}'), "must be an object"),
        pytest.param("A" * 20_000, "longer than", id="too-long"),
    ],
)
def test_bad_links_raise_spec_error(s: str, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        decode_spec(s)


@settings(max_examples=100, deadline=None)
@given(s=st.text(max_size=60) | st.binary(max_size=200).map(lambda b: _pack(b)))
def test_any_link_decodes_or_raises_spec_error(s: str) -> None:
    try:
        spec = decode_spec(s)
    except SpecError as e:
        assert str(e)
    else:
        assert isinstance(spec["layers"], list) and spec["input"]


def test_code_survives_odd_names_and_float_sizes() -> None:
    spec = {"name": 'my """net"""\n\\', "input": [1.0, 6, 6], "layers": [{"type": "relu"}]}
    _, printed = run_code(to_pytorch_code(spec, batch=1))
    assert printed.splitlines()[0] == "(1, 1, 6, 6)"
