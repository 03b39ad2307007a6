"""The shape engine's rows: the course's example, formulas, errors with fixes, caps, totals."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.design.build import build_model
from cnnviz.design.layer_kinds import MAX_LAYERS
from cnnviz.design.shapes import first_error, summarize, totals
from cnnviz.design.spec import SpecError


def conv(c: int, k: int = 3, **kw) -> dict:
    return {"type": "conv2d", "out_channels": c, "kernel_size": k, **kw}


def pool(k: int = 2, **kw) -> dict:
    return {"type": "maxpool2d", "kernel_size": k, **kw}


RELU, FLAT = {"type": "relu"}, {"type": "flatten"}

LECTURE = {
    "input": [3, 64, 64],
    "layers": [
        conv(6), RELU, pool(),
        conv(12), RELU, pool(),
        conv(24), RELU, pool(),
        FLAT, {"type": "linear", "out_features": 1024},
    ],
}  # fmt: skip


def one(layer: dict, input_: list[int], batch: int = 1) -> dict:
    return summarize({"input": input_, "layers": [layer]}, batch)[0]


def test_course_example_row_by_row() -> None:
    rows = summarize(LECTURE, batch=2)
    assert [r["output_shape"] for r in rows] == [
        [2, 6, 62, 62], [2, 6, 62, 62], [2, 6, 31, 31],
        [2, 12, 29, 29], [2, 12, 29, 29], [2, 12, 14, 14],
        [2, 24, 12, 12], [2, 24, 12, 12], [2, 24, 6, 6],
        [2, 864], [2, 1024],
    ]  # fmt: skip
    assert rows[0]["input_shape"] == [2, 3, 64, 64]
    assert all(r["status"] == "ok" and r["error"] is None for r in rows)
    assert [r["name"] for r in rows[:4]] == [
        "Conv2d(3, 6, kernel_size=3)",
        "ReLU()",
        "MaxPool2d(kernel_size=2)",
        "Conv2d(6, 12, kernel_size=3)",
    ]
    assert rows[10]["name"] == "Linear(864, 1024)"


def test_course_example_explains_itself() -> None:
    rows = summarize(LECTURE, batch=2)
    assert rows[3]["formula"] == ["H_out = W_out = ⌊(31 + 2·0 − 1·(3−1) − 1) / 1⌋ + 1 = 29"]
    assert rows[0]["params_formula"] == "6·3·3·3 + 6 = 168"
    assert rows[0]["weight_shape"] == [6, 3, 3, 3] and rows[0]["bias_shape"] == [6]
    assert rows[5]["formula"] == [
        "H_out = W_out = ⌊(29 + 2·0 − 1·(2−1) − 1) / 2⌋ + 1 = ⌊13.5⌋ + 1 = 14"
    ]
    assert rows[5]["note"] == "14.5 → 14: the last row and column are never pooled"
    assert rows[2]["note"] is None  # 62 / 2: nothing dropped
    assert rows[9]["formula"] == ["features = C·H·W = 24·6·6 = 864"]
    lin = rows[10]
    assert lin["params_formula"] == "864·1024 + 1024 = 885,760"
    assert lin["params"] == 864 * 1024 + 1024
    assert lin["weight_shape"] == [1024, 864] and lin["bias_shape"] == [1024]
    assert lin["matmul"] == "(2×864)·(864×1024) → (2×1024)"
    assert lin["note"] == "holds 99.6% of all parameters"  # the classic: FC layers are heavy
    assert lin["mult_adds"] == 2 * 864 * 1024
    assert rows[0]["mult_adds"] == 2 * 6 * 62 * 62 * 3 * 3 * 3
    assert rows[0]["activation_bytes"] == 4 * 2 * 6 * 62 * 62
    assert [r["receptive_field"] for r in rows] == [3, 3, 4, 8, 8, 10, 18, 18, 22, None, None]
    assert [r["jump"] for r in rows[:9]] == [1, 1, 2, 2, 2, 4, 4, 4, 8]


def test_totals_add_up_to_the_built_model() -> None:
    rows = summarize(LECTURE, batch=2)
    t = totals(rows)
    model = build_model(LECTURE)
    assert t["params"] == sum(p.numel() for p in model.parameters())
    assert t["param_bytes"] == 4 * t["params"]
    assert t["output_shape"] == [2, 1024] and t["ok"] and t["errors"] == 0
    assert t["mult_adds"] == sum(r["mult_adds"] for r in rows)
    assert totals([])["output_shape"] is None


def test_receptive_field_matches_gradients() -> None:
    """The receptive field is the extent of input pixels the centre output's gradient reaches."""
    spec = {
        "input": [1, 48, 48],
        "layers": [
            conv(1, 3), {"type": "avgpool2d", "kernel_size": 2},
            conv(1, 3, dilation=2), conv(1, 3, stride=2), {"type": "avgpool2d", "kernel_size": 3, "stride": 1},
        ],
    }  # fmt: skip
    rows = summarize(spec)
    model = build_model(spec)
    for m in model:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.ones_(m.weight)
    x = torch.zeros(1, 1, 48, 48, requires_grad=True)
    y = model(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    touched = (x.grad[0, 0].abs().sum(dim=1) > 0).nonzero().flatten()
    assert int(touched.max() - touched.min() + 1) == rows[-1]["receptive_field"]


def test_padding_pairs_give_one_line_per_axis() -> None:
    row = one(conv(4, [3, 5], padding=[1, 0]), [1, 10, 10])
    assert row["output_shape"] == [1, 4, 10, 6]
    assert row["formula"] == [
        "H_out = ⌊(10 + 2·1 − 1·(3−1) − 1) / 1⌋ + 1 = 10",
        "W_out = ⌊(10 + 2·0 − 1·(5−1) − 1) / 1⌋ + 1 = 6",
    ]
    assert row["name"] == "Conv2d(1, 4, kernel_size=(3, 5), padding=(1, 0))"


def test_same_and_valid_padding() -> None:
    assert one(conv(4, 4, padding="same", dilation=2), [1, 9, 7])["output_shape"] == [1, 4, 9, 7]
    assert one(conv(4, 3, padding="valid"), [1, 9, 7])["output_shape"] == [1, 4, 7, 5]
    # "same" pads D·(K−1) in total, one more on the right when odd: even a 1×1 input works
    assert one(conv(2, 2, padding="same"), [1, 1, 1])["output_shape"] == [1, 2, 1, 1]


def test_ceil_mode_rounds_up_but_the_last_window_starts_inside() -> None:
    row = one(pool(2, ceil_mode=True), [1, 5, 5])
    assert row["output_shape"] == [1, 1, 3, 3]
    assert row["formula"] == [
        "H_out = W_out = ⌈(5 + 2·0 − 1·(2−1) − 1) / 2⌉ + 1 = ⌈1.5⌉ + 1 = 3 (ceil_mode rounds up)"
    ]
    # ⌈(5 + 2·1 − 2) / 2⌉ + 1 = 4 windows by rounding up, but the 4th would start in the padding
    row = one(pool(2, stride=2, padding=1, ceil_mode=True), [1, 5, 5])
    assert row["output_shape"] == [1, 1, 3, 3]
    assert row["formula"] == [
        "H_out = W_out = ⌈(5 + 2·1 − 1·(2−1) − 1) / 2⌉ + 1 = ⌈2.5⌉ + 1 = 4 (ceil_mode rounds up)"
        " − 1 = 3: window 4 would start in the right padding, so PyTorch drops it"
    ]


def test_kernel_larger_than_input_names_the_fix() -> None:
    row = one(conv(4, 5), [3, 3, 3])
    assert row["status"] == "error"
    assert row["error"] == "kernel 5 is larger than the 3×3 input"
    assert row["fix"] == (
        "use padding=1 (the smallest that fits: H_out = W_out = 1 + (3 + 2·1 − (5−1) − 1) / 1 = 1,"
        " so 1×1), a kernel of 3, or use a larger input"
    )
    rows = summarize({"input": [3, 8, 8], "layers": [pool(), pool(), conv(4, 5)]})
    assert rows[2]["error"] == "kernel 5 is larger than the 2×2 input"
    assert "drop a pooling layer above" in rows[2]["fix"]
    assert "dilation 2 spans 5 pixels" in one(conv(1, 3, dilation=2), [1, 4, 4])["error"]


def test_kernel_20_on_14x14_offers_the_smallest_padding_that_works() -> None:
    """padding=10 (what "same" would need) gives 15×15; 3 is the least that fits, giving 1×1."""
    row = one(conv(4, 20), [1, 14, 14])
    assert row["fix"].startswith("use padding=3 (the smallest that fits: ")
    assert "1 + (14 + 2·3 − (20−1) − 1) / 1 = 1, so 1×1" in row["fix"]
    out = torch.nn.Conv2d(1, 4, 20, padding=3)(torch.zeros(1, 1, 14, 14))
    assert list(out.shape[2:]) == [1, 1]
    with pytest.raises(RuntimeError):  # 2 is not enough: the fix is the smallest
        torch.nn.Conv2d(1, 4, 20, padding=2)(torch.zeros(1, 1, 14, 14))
    fixed = one(conv(4, 20, padding=3), [1, 14, 14])
    assert fixed["status"] == "ok" and fixed["output_shape"] == [1, 4, 1, 1]


def test_strided_same_padding_groups_and_pool_padding() -> None:
    row = one(conv(4, 3, stride=2, padding="same"), [3, 8, 8])
    assert 'padding="same" needs stride 1' in row["error"] and "padding=1" in row["fix"]
    row = one(conv(4, 3, groups=2), [3, 8, 8])
    assert "groups=2 must divide" in row["error"] and row["fix"] == "use groups=1 (no grouping)"
    assert one(conv(6, 3, groups=3), [3, 8, 8])["params"] == 6 * 1 * 9 + 6
    row = one(pool(3, padding=2), [1, 8, 8])
    assert "more than half the kernel" in row["error"] and "padding=1" in row["fix"]


def test_wrong_dimensions_ask_for_flatten_or_images() -> None:
    row = one({"type": "linear", "out_features": 10}, [3, 8, 8])
    assert row["error"].startswith("Linear after a 4-D output")
    assert row["fix"] == "add a Flatten above this Linear"
    assert row["name"] == "Linear(?, 10)"
    rows = summarize({"input": [3, 8, 8], "layers": [FLAT, conv(4)]})
    assert "needs a 4-D" in rows[1]["error"] and "Flatten" in rows[1]["fix"]
    for layer in ({"type": "batchnorm2d"}, {"type": "adaptiveavgpool2d", "output_size": 2}):
        row = one(layer, [5])
        assert "needs a 4-D" in row["error"] and row["fix"] == "use a [C, H, W] input"
    assert one(FLAT, [5])["output_shape"] == [1, 5]


def test_rows_below_an_error_are_not_computed_but_own_mistakes_show() -> None:
    layers = [conv(4, 9), RELU, {"type": "linear", "out_features": 0}, {"type": "nope"}, 7]
    rows = summarize({"input": [1, 4, 4], "layers": layers})
    assert [r["status"] for r in rows] == ["error", "not computed", "error", "error", "error"]
    assert rows[1]["input_shape"] is None and rows[1]["output_shape"] is None
    assert rows[2]["error"] == "out_features must be at least 1, got 0"
    assert rows[2]["fix"] == "set out_features to 1 or more"
    assert "unknown layer type 'nope'" in rows[3]["error"] and rows[3]["type"] == "nope"
    assert rows[4]["fix"]
    err = first_error(rows)
    assert err is not None and err.layer == 0 and str(err).startswith("Layer 1 (Conv2d(1, 4")
    assert totals(rows)["output_shape"] is None and totals(rows)["errors"] == 4


@pytest.mark.parametrize(
    ("layer", "message", "fix"),
    [
        (conv(100_000), "out_channels is capped at 4096", "set out_channels to at most 4096"),
        (conv(4, 2.5), "kernel_size must be a whole number", "enter a whole number"),
        ({"type": "conv2d", "kernel_size": 3}, "Conv2d needs out_channels", "add out_channels"),
        (conv(4, typo=1), "Conv2d has no parameter typo", "remove typo"),
        ({"type": "dropout", "p": 1.5}, "p is capped at 1", "set p to at most 1"),
        (pool(2, ceil_mode="yes"), "ceil_mode must be true or false", "ceil_mode"),
        (conv(4, padding="full"), 'must be a number, [h, w], "same" or "valid"', "same"),
    ],
)
def test_bad_values_get_a_message_and_a_fix(layer: dict, message: str, fix: str) -> None:
    row = one(layer, [3, 8, 8])
    assert row["status"] == "error" and message in row["error"] and fix in row["fix"]


def test_huge_sizes_are_capped_or_flagged() -> None:
    row = one(conv(1024, 3, padding=1), [3, 512, 512], batch=8)
    assert row["status"] == "ok" and "GB for a batch of 8" in row["note"]
    rows = summarize(
        {"input": [64, 256, 256], "layers": [FLAT, {"type": "linear", "out_features": 1024}]}
    )
    assert rows[1]["status"] == "error" and "pooling" in rows[1]["fix"]
    assert "more than the 100,000,000 cnnviz allows per layer" in rows[1]["error"]
    with pytest.raises(SpecError, match="more than the"):
        summarize({"input": [3, 8, 8], "layers": [RELU] * (MAX_LAYERS + 100)})
    with pytest.raises(SpecError, match="capped at 4096 channels"):
        summarize({"input": [100_000, 8, 8], "layers": []})


@pytest.mark.parametrize("batch", [0, -1, 5000, 2.5, True, "8"])
def test_batch_is_checked(batch) -> None:
    with pytest.raises(SpecError, match="batch size"):
        summarize(LECTURE, batch)


@pytest.mark.parametrize(
    "spec",
    [None, [], {"layers": []}, {"input": [3, 0, 8], "layers": []}, {"input": [3, 8], "layers": []},
     {"input": [3, 8, 8], "layers": {}}, {"input": [3, 8, 8], "extra": 1}],
)  # fmt: skip
def test_malformed_specs_raise_spec_error(spec) -> None:
    with pytest.raises(SpecError):
        summarize(spec)


def test_every_kind_has_an_ok_row_with_its_registry_facts() -> None:
    from cnnviz.design.layer_kinds import LAYER_KINDS
    from cnnviz.design.spec import default_layer

    for t, kind in LAYER_KINDS.items():
        input_ = [6] if kind.rule == "linear" else [4, 8, 8]
        row = one(default_layer(t), input_, batch=2)
        assert row["status"] == "ok", (t, row["error"])
        assert row["type"] == t and row["category"] == str(kind.category)
        assert row["explain"] == kind.explain and row["formula"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 70)
    | st.floats(allow_nan=True)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
layer_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["conv2d", "maxpool2d", "linear", "flatten", "relu", "bogus"])},
    optional={
        k: json_values
        for k in (
            "out_channels",
            "kernel_size",
            "stride",
            "padding",
            "dilation",
            "groups",
            "ceil_mode",
            "out_features",
            "p",
        )
    },
)


@settings(max_examples=100, deadline=None)
@given(
    input_=json_values,
    layers=st.lists(layer_like | json_values, max_size=5),
    batch=st.integers(-2, 5000),
)
def test_any_json_gives_rows_or_a_spec_error(input_, layers, batch) -> None:
    """Whatever a file or a link holds, the engine answers with rows or a SpecError, never a crash."""
    try:
        rows = summarize({"input": input_, "layers": layers}, batch)
    except SpecError as e:
        assert str(e)
        return
    for row in rows:
        assert row["status"] in ("ok", "error", "not computed")
        assert (row["status"] == "error") == bool(row["error"]) and (row["fix"] is None) == (
            row["error"] is None
        )
