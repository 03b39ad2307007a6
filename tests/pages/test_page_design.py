"""The Design page through Streamlit's AppTest (app.py's router; Design is the default page)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.design.export import encode_spec
from cnnviz.design.presets import PRESETS
from cnnviz.design.shapes import summarize
from cnnviz.text.escape import for_markdown
from cnnviz.ui import state
from cnnviz.ui.design.save_open import parse_upload
from tests.helpers import APP

TIMEOUT = 60


def _app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    _clean(at)
    return at


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _widget(items, label: str):
    found = [w for w in items if w.label == label]
    assert found, f"no widget labelled {label!r}: {[w.label for w in items]}"
    return found[0]


def _lines(at: AppTest) -> list[str]:
    radio = _widget(at.radio, "Layers (click one to edit it)")
    return [str(o) for o in radio.options]


def _load(at: AppTest, preset: str) -> None:
    _widget(at.selectbox, "Start from a preset").set_value(preset).run()
    _clean(at)


def _select_layer(at: AppTest, i: int | str) -> None:
    """Select the layer at index ``i`` (or at path ``i``, e.g. "4.2" inside a block)."""
    _widget(at.radio, "Layers (click one to edit it)").set_value(str(i)).run()
    _clean(at)


def _click(at: AppTest, label: str) -> None:
    _widget(at.button, label).click().run()
    _clean(at)


@pytest.fixture(scope="module")
def at() -> AppTest:
    """One app for the read-only checks (each preset is loaded in turn)."""
    return _app()


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_loads_with_its_shapes(at: AppTest, name: str) -> None:
    _load(at, name)
    spec = PRESETS[name].spec
    assert at.session_state[state.SPEC] == spec
    rows = summarize(spec, 2)
    if not rows:
        assert any("No layers yet" in i.value for i in at.info)
        return
    lines = _lines(at)
    assert len(lines) == len(rows)
    listed = sorted(rows, key=lambda r: [int(p) for p in r["path"].split(".")])  # blocks first
    for line, row in zip(lines, listed, strict=True):
        assert line.lstrip("\u2003▾▸ ").startswith(f"{row['label']}. {row['name']} → ")
        assert line.endswith("✓")  # every preset is valid
    assert not at.error


def test_lecture_example_shapes_match_the_notes(at: AppTest) -> None:
    _load(at, "lecture-7-23")
    lines = _lines(at)
    assert "→ 12×29×29" in lines[3] and "→ 12×14×14" in lines[5]
    assert "→ 24×6×6" in lines[8] and lines[9].startswith("10. Flatten() → 864")
    assert lines[10].startswith("11. Linear(864, 1024) → 1024")
    # the floor-division note of MaxPool2d(2) on 29×29 is in the table
    table = at.dataframe[0].value
    assert "never pooled" in " ".join(table["Message"].tolist())
    assert table["Layer"].iloc[-1].startswith("Total")
    assert (
        table["Params"].iloc[-1]
        == f"{sum(r['params'] for r in summarize(PRESETS['lecture-7-23'].spec, 2)):,}"
    )


def test_add_insert_duplicate_move_and_delete_layers() -> None:
    at = _app()
    _load(at, "blank")
    _widget(at.selectbox, "New layer").set_value("conv2d").run()
    _click(at, "+ Add layer")
    assert [x["type"] for x in at.session_state[state.SPEC]["layers"]] == ["conv2d"]
    _widget(at.selectbox, "New layer").set_value("maxpool2d").run()
    _click(at, "+ Add below")
    _widget(at.selectbox, "New layer").set_value("relu").run()
    _click(at, "+ Insert above")  # above the new maxpool, which is selected
    assert [x["type"] for x in at.session_state[state.SPEC]["layers"]] == [
        "conv2d",
        "relu",
        "maxpool2d",
    ]
    _lines_now = _lines(at)
    assert _lines_now[2].startswith("3. MaxPool2d(kernel_size=2) → 8×31×31")
    _click(at, "Duplicate")
    _click(at, "↑ Up")
    _click(at, "Delete")
    assert [x["type"] for x in at.session_state[state.SPEC]["layers"]] == [
        "conv2d",
        "relu",
        "maxpool2d",
    ]
    _select_layer(at, 0)
    _click(at, "Delete")
    assert [x["type"] for x in at.session_state[state.SPEC]["layers"]] == ["relu", "maxpool2d"]
    # the URL follows the design, so a copied link reopens it
    assert at.query_params["net"] in (
        encode_spec(at.session_state[state.SPEC]),
        [encode_spec(at.session_state[state.SPEC])],
    )


def test_kernel_larger_than_input_shows_the_message_and_the_fix() -> None:
    at = _app()
    _load(at, "lecture-7-23")
    _select_layer(at, 6)  # Conv2d(12, 24, 3) on 14×14
    _widget(at.number_input, "kernel_size").set_value(40).run()
    _clean(at)
    errors = " ".join(e.value for e in at.error)
    assert "kernel 40 is larger than the 14×14 input" in errors and "Fix:" in errors
    lines = _lines(at)
    assert lines[6].endswith("error ✗")
    assert all("not computed" in line for line in lines[7:])
    table = at.dataframe[0].value
    assert "kernel 40 is larger" in table["Message"].iloc[6]
    assert any("once every layer is valid" in i.value for i in at.info)  # code tab
    # back to 3: all valid again, in the same rerun
    _widget(at.number_input, "kernel_size").set_value(3).run()
    _clean(at)
    assert all(line.endswith("✓") for line in _lines(at))


def test_pool_stride_may_be_empty_and_pairs_split_into_height_and_width() -> None:
    at = _app()
    _load(at, "lecture-7-23")
    _select_layer(at, 2)  # MaxPool2d(2)
    stride = _widget(at.number_input, "stride")
    assert stride.value is None  # empty = kernel_size
    stride.set_value(1).run()
    _clean(at)
    assert _lines(at)[2].startswith("3. MaxPool2d(kernel_size=2, stride=1) → 6×61×61")
    _select_layer(at, 0)
    _widget(at.checkbox, "Different height and width").check().run()
    _widget(at.number_input, "kernel_size (width)").set_value(5).run()
    _clean(at)
    assert at.session_state[state.SPEC]["layers"][0]["kernel_size"] == [3, 5]
    assert "→ 6×62×60" in _lines(at)[0]
    _widget(at.selectbox, "padding mode").set_value("same").run()
    _clean(at)
    assert at.session_state[state.SPEC]["layers"][0]["padding"] == "same"
    assert "→ 6×64×64" in _lines(at)[0]


def test_input_picker_and_custom_shape() -> None:
    at = _app()
    _load(at, "lecture-7-23")
    picker = _widget(at.selectbox, "Input (one image)")
    mnist = next(o for o in picker.options if "1×28×28" in o)
    picker.set_value(mnist).run()
    _clean(at)
    assert at.session_state[state.SPEC]["input"] == [1, 28, 28]
    _widget(at.selectbox, "Input (one image)").set_value("Custom C×H×W").run()
    _widget(at.number_input, "H (height)").set_value(10).run()
    _clean(at)
    assert at.session_state[state.SPEC]["input"][1] == 10
    assert any("✗" in line for line in _lines(at))  # 10×10 is too small for three blocks
    _widget(at.number_input, "Batch size (for the shapes)").set_value(5).run()
    _clean(at)
    assert at.dataframe[0].value["Output shape"].iloc[0].startswith("[5, ")


def test_design_from_the_link_and_a_broken_link() -> None:
    spec = PRESETS["mlp-2-3-3-1"].new_spec()
    at = _app({"net": encode_spec(spec)})
    assert at.session_state[state.SPEC] == spec
    assert _lines(at)[0].startswith("1. Linear(2, 3) → 3")
    broken = _app({"net": "not-a-design"})
    assert any("could not be read" in w.value for w in broken.warning)


def test_bad_upload_keeps_the_design_and_says_why() -> None:
    spec, msg = parse_upload("x.json", b"{not json")
    assert spec is None and "x.json could not be opened" in msg and "unchanged" in msg
    spec, msg = parse_upload("x.json", b'{"input": [3, 8, 8], "layers": [{"type": "conv2d"}]}')
    assert spec is None and "out_channels" in msg
    spec, msg = parse_upload("big.json", b" " * (2 * 2**20))
    assert spec is None and "larger than" in msg
    good = PRESETS["tiny-vgg"].spec
    from cnnviz.design.export import spec_to_json

    spec, msg = parse_upload("ok.json", spec_to_json(good).encode())
    assert spec == good and msg == ""


def _raw_link(spec: dict) -> str:
    """A link as a hand-edited URL could carry it: values unchecked."""
    import base64
    import json
    import zlib

    data = json.dumps(spec, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(data, 9)).decode().rstrip("=")


def test_bad_values_in_a_link_are_messages_not_tracebacks() -> None:
    spec = {
        "input": [3, 32, 32],
        "layers": [
            {"type": "conv2d", "out_channels": 4, "kernel_size": 0},
            {"type": "maxpool2d", "kernel_size": "big", "stride": -1},
            {"type": "conv2d", "kernel_size": 3},
            {"type": "dropout", "p": 7},
            {"type": "linear", "out_features": 100000},
        ],
    }
    at = _app({"net": _raw_link(spec)})
    lines = _lines(at)
    assert lines[0].endswith("error ✗")
    errors = " ".join(e.value for e in at.error)
    assert "kernel_size must be at least 1" in errors
    for i in range(1, 5):  # every layer's editor opens with in-range widgets
        _select_layer(at, i)
    assert _lines(at)[4].endswith("error ✗")
    errors = " ".join(e.value for e in at.error)
    assert "capped" in errors
    # fixing the kernel through its widget makes the first layer valid
    _select_layer(at, 0)
    _widget(at.number_input, "kernel_size").set_value(3).run()
    _clean(at)
    assert _lines(at)[0].startswith("1. Conv2d(3, 4, kernel_size=3) → 4×30×30")


def test_too_many_layers_in_a_link_is_a_message_and_the_default_design() -> None:
    spec = {"input": [3, 32, 32], "layers": [{"type": "relu"}] * 300}
    at = _app({"net": _raw_link(spec)})
    assert any("300 layers" in w.value and "showing the default" in w.value for w in at.warning)
    assert at.session_state[state.SPEC] == PRESETS["lecture-7-23"].spec
    assert not at.error


def test_adding_past_the_layer_cap_says_so() -> None:
    from cnnviz.design.layer_kinds import MAX_LAYERS

    spec = {"input": [8], "layers": [{"type": "relu"}] * MAX_LAYERS}
    at = _app({"net": _raw_link(spec)})
    _click(at, "+ Add below")
    assert len(at.session_state[state.SPEC]["layers"]) == MAX_LAYERS
    assert any(f"already has {MAX_LAYERS} layers" in w.value for w in at.warning)


def test_presenter_mode_keeps_the_code_and_hides_file_controls() -> None:
    at = _app()
    at.session_state[state.TEACHING] = True
    at.run()
    _clean(at)
    assert not at.tabs and any(h.value == "PyTorch code" for h in at.subheader)
    import json

    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["height"] == 460  # the diagram is still there, and taller
    sizes = {a["font"]["size"] for a in figure["layout"]["annotations"] if "font" in a}
    assert min(sizes) >= 16  # labels a projector shows (12 and 11 otherwise)


def test_flat_input_for_linear_stacks_and_a_conv_on_it_says_why() -> None:
    at = _app()
    _load(at, "lecture-7-23")
    _widget(at.selectbox, "Input (one image)").set_value("Flat features [N] (Linear only)").run()
    _clean(at)
    assert at.session_state[state.SPEC]["input"] == [2]
    assert _lines(at)[0].endswith("error ✗")
    assert any("Layer 1, Conv2d" in e.value and "Fix:" in e.value for e in at.error)
    _widget(at.number_input, "N (features)").set_value(20).run()
    _clean(at)
    assert at.session_state[state.SPEC]["input"] == [20]


def test_linear_without_flatten_says_in_features_is_unknown() -> None:
    at = _app()
    _load(at, "lecture-7-23")
    _select_layer(at, 9)  # Flatten
    _click(at, "Delete")
    _select_layer(at, 9)  # now Linear on [2, 24, 6, 6]
    assert _lines(at)[9].startswith("10. Linear(?, 1024)")
    captions = " ".join(c.value for c in at.caption)
    assert "in_features: unknown until the input is flat — add a Flatten above" in captions
    assert "in_features = 24" not in captions
    _select_layer(at, 0)  # a valid layer still shows its inferred value
    assert any(c.value.startswith("in_channels = 3 (taken from") for c in at.caption)


def test_notes_are_listed_in_full_under_the_table() -> None:
    import json

    at = _app()
    _load(at, "lecture-7-23")
    text = " ".join(m.value for m in at.markdown)
    assert (
        "Layer 6, `MaxPool2d(kernel_size=2)`: 14.5 → 14: the last row and column are never pooled"
        in text
    )
    assert "Layer 11, `Linear(864, 1024)`: holds" in text
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["Params formula"]["width"] >= 200 and config["Message"]["width"] == "large"


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def test_out_of_range_values_are_accepted_and_explained_on_their_layer() -> None:
    at = _app()
    _load(at, "lecture-7-23")
    _select_layer(at, 0)  # Conv2d(3, 6, 3)
    _widget(at.number_input, "out_channels").set_value(100000).run()
    _clean(at)
    assert at.session_state[state.SPEC]["layers"][0]["out_channels"] == 100000
    assert "Layer 1, Conv2d:** out_channels is capped at 4096 here (got 100000)" in _errors(at)
    assert "set out_channels to at most 4096" in _errors(at)
    assert _lines(at)[0].endswith("error ✗")
    assert "capped at 4096" in at.dataframe[0].value["Message"].iloc[0]
    assert any(c.value.startswith("in_channels = 3 (taken from") for c in at.caption)
    assert any("once every layer is valid" in i.value for i in at.info)  # the code tab waits
    _widget(at.number_input, "out_channels").set_value(6).run()
    _clean(at)
    _widget(at.number_input, "stride").set_value(0).run()
    _clean(at)
    assert "Layer 1, Conv2d:** stride must be at least 1, got 0" in _errors(at)
    assert "set stride to 1 or more" in _errors(at)
    _widget(at.number_input, "kernel_size").set_value(100).run()  # still editable
    _clean(at)
    _widget(at.number_input, "stride").set_value(1).run()
    _clean(at)
    assert "kernel_size is capped at 64 here (got 100)" in _errors(at)
    _widget(at.number_input, "kernel_size").set_value(3).run()
    _clean(at)
    assert all(line.endswith("✓") for line in _lines(at)) and not at.error
    _select_layer(at, 2)  # MaxPool2d: an empty stride takes a typed 0 too
    _widget(at.number_input, "stride").set_value(-2).run()
    _clean(at)
    assert "Layer 3, MaxPool2d:** stride must be at least 1, got -2" in _errors(at)


def test_out_of_range_input_and_batch_say_why() -> None:
    at = _app()
    _widget(at.selectbox, "Input (one image)").set_value("Custom C×H×W").run()
    _widget(at.number_input, "C (channels)").set_value(100000).run()
    _clean(at)
    assert at.session_state[state.SPEC]["input"][0] == 3  # the design keeps its input
    assert any("capped at" in w.value and "100000" in w.value for w in at.warning)
    _widget(at.number_input, "Batch size (for the shapes)").set_value(0).run()
    _clean(at)
    assert any("Batch size" in w.value and "at least 1" in w.value for w in at.warning)
    assert at.dataframe[0].value["Output shape"].iloc[0].startswith("[1, ")


def _paths(at: AppTest) -> list[str]:
    return [str(o) for o in _widget(at.radio, "Layers (click one to edit it)").options]


def test_a_block_is_added_filled_folded_and_emptied_from_the_page() -> None:
    at = _app()
    _load(at, "tiny-vgg")
    _select_layer(at, 0)
    _widget(at.selectbox, "New layer").set_value("residual").run()
    _click(at, "+ Add below")
    spec = at.session_state[state.SPEC]
    assert spec["layers"][1] == {"type": "residual", "layers": [], "shortcut": "identity"}
    _select_layer(at, 2)  # the ReLU below the new block
    _click(at, "Into the block above")
    spec = at.session_state[state.SPEC]
    assert spec["layers"][1]["layers"] == [{"type": "relu"}]
    assert any(line.lstrip("\u2003▾▸ ").startswith("2.1. ReLU") for line in _lines(at))
    _select_layer(at, 1)
    _click(at, "Fold (hide its layers)")
    assert not any("2.1. ReLU" in line for line in _lines(at))
    assert any(line.startswith("▸ 2. Residual") for line in _lines(at))
    _click(at, "Unfold (show its layers)")
    assert any("2.1. ReLU" in line for line in _lines(at))
    _widget(at.selectbox, "shortcut").set_value("conv1x1").run()
    _clean(at)
    assert at.session_state[state.SPEC]["layers"][1]["shortcut"] == "conv1x1"
    _select_layer(at, "1.0")
    _click(at, "Out of its block")
    spec = at.session_state[state.SPEC]
    assert spec["layers"][1]["layers"] == [] and spec["layers"][2] == {"type": "relu"}
    _select_layer(at, 1)
    _click(at, "Take the layers out of the block")
    assert at.session_state[state.SPEC]["layers"] == PRESETS["tiny-vgg"].spec["layers"]


def test_a_mismatched_skip_names_both_shapes_and_the_fix_on_the_page() -> None:
    spec = {
        "input": [3, 16, 16],
        "layers": [
            {
                "type": "residual",
                "layers": [{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1}],
            }
        ],
    }
    at = _app({"net": encode_spec(spec)})
    text = " ".join(e.value for e in at.error)
    shapes = for_markdown("[B, 8, 16, 16]"), for_markdown("[B, 3, 16, 16]")  # shown as text
    assert shapes[0] in text and shapes[1] in text
    assert "set shortcut to conv1x1" in text and "layer 1.1 (Conv2d(3, 8" in text
