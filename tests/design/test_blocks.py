"""Blocks as a student meets them: messages naming both shapes and the fix, limits, files, links."""

from __future__ import annotations

import json

import pytest

from cnnviz.design.blocks import MAX_BLOCK_DEPTH, projection_stride
from cnnviz.design.export import decode_spec, encode_spec, spec_from_json, spec_to_json
from cnnviz.design.layer_kinds import MAX_LAYERS
from cnnviz.design.shapes import first_error, summarize
from cnnviz.design.spec import SpecError

CONV8 = {"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1}


def _spec(*layers: dict, input_: tuple = (3, 16, 16)) -> dict:
    return {"input": list(input_), "layers": list(layers)}


def test_identity_skip_over_other_channels_names_both_shapes_and_the_fixes() -> None:
    rows = summarize(_spec({"type": "residual", "layers": [CONV8]}), 2)
    block = rows[-1]
    assert block["path"] == "0" and block["status"] == "error"
    assert "[B, 8, 16, 16]" in block["error"] and "[B, 3, 16, 16]" in block["error"]
    assert block["fix"].startswith("set shortcut to conv1x1")
    assert "give layer 1.1 (Conv2d(3, 8, kernel_size=3, padding=1)) out_channels=3" in block["fix"]
    err = first_error(rows)
    assert err is not None and err.path == "0" and str(err).startswith("Layer 1 (Residual(")


def test_a_skip_over_a_halving_layer_says_which_layer_changed_the_size() -> None:
    halving = {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1}
    rows = summarize(_spec({"type": "residual", "layers": [{"type": "relu"}, halving]}))
    assert "keep 16×16 in layer 1.2" in rows[-1]["fix"]
    ok = summarize(_spec({"type": "residual", "layers": [halving], "shortcut": "conv1x1"}), 2)
    assert ok[-1]["status"] == "ok" and ok[-1]["output_shape"] == [2, 3, 8, 8]
    assert ok[-1]["params"] == 3 * 3 + 2 * 3 and "stride 2" in ok[-1]["formula"][0]


def test_no_stride_brings_the_size_there_and_the_message_says_so() -> None:
    assert projection_stride((9, 9), (4, 4)) is None and projection_stride((9, 9), (5, 5)) == (2, 2)
    pool = {"type": "maxpool2d", "kernel_size": 2}  # 9 -> 4
    rows = summarize(_spec({"type": "residual", "layers": [pool], "shortcut": "conv1x1"},
                           input_=(3, 9, 9)))  # fmt: skip
    assert (
        "no stride of a 1×1 Conv2d brings the input's 9×9 to the layers' 4×4" in rows[-1]["error"]
    )
    assert "layer 1.1 (MaxPool2d" in rows[-1]["fix"]


def test_concat_branches_of_other_sizes_name_the_branch_and_its_layer() -> None:
    pool = {"type": "maxpool2d", "kernel_size": 2}
    rows = summarize(_spec({"type": "concat", "branches": [[CONV8], [{"type": "relu"}, pool]]}))
    block = rows[-1]
    assert "branch 1 gives 16×16 maps but branch 2 gives 8×8" in block["error"]
    assert block["fix"].startswith("make branch 2 give 16×16 (change layer 1.2.2 (MaxPool2d")
    ok = summarize(_spec({"type": "concat", "branches": [[CONV8], []]}))
    assert ok[-1]["output_shape"] == [1, 11, 16, 16] and ok[-1]["formula"] == [
        "channels = 8 + 3 = 11"
    ]


def test_a_bad_block_is_its_rows_error_and_its_layers_still_listed() -> None:
    rows = summarize(_spec({"type": "residual", "layers": [CONV8], "shortcut": "projection"}))
    assert [r["path"] for r in rows] == ["0.0", "0"]
    assert rows[1]["status"] == "error" and "identity or conv1x1" in rows[1]["error"]
    rows = summarize(_spec({"type": "concat", "branches": []}))
    assert rows[0]["status"] == "error" and rows[0]["fix"] == "give it two branches or more"


def test_nesting_and_the_layer_cap_count_the_layers_inside_blocks() -> None:
    spec: dict = {"type": "relu"}
    for _ in range(MAX_BLOCK_DEPTH + 1):
        spec = {"type": "residual", "layers": [spec]}
    with pytest.raises(SpecError, match="nested more than"):
        summarize(_spec(spec))
    with pytest.raises(SpecError, match="nested"):
        decode_spec(encode_spec(_spec(spec)))
    many = {"type": "residual", "layers": [{"type": "relu"}] * MAX_LAYERS}
    with pytest.raises(SpecError, match="counting those inside blocks"):
        summarize(_spec(many))


def test_files_and_links_keep_blocks_and_check_their_layers() -> None:
    spec = _spec(
        {"type": "residual", "layers": [CONV8, {"type": "relu"}], "shortcut": "conv1x1"},
        {"type": "concat", "branches": [[{"type": "relu"}], []]},
    )
    text = spec_to_json(spec)
    assert '"shortcut": "conv1x1"' in text and json.loads(text)["layers"][1]["branches"][1] == []
    assert spec_from_json(text) == decode_spec(encode_spec(spec))
    bad = _spec(
        {"type": "residual", "layers": [{"type": "conv2d", "out_channels": 0, "kernel_size": 3}]}
    )
    with pytest.raises(SpecError, match="layer 1.1: out_channels must be at least 1"):
        spec_from_json(json.dumps(bad))
