"""What changed: settings and layers (insert, delete, change, reorder as delete + insert)."""

from __future__ import annotations

import copy
from types import SimpleNamespace

from cnnviz.compare.diff import ChangeKind, layers_diff, settings_diff, settings_lines
from cnnviz.compare.labels import run_labels
from cnnviz.design.build import build_model
from cnnviz.design.shapes import summarize, totals
from tests.helpers import TINY_SPEC

CONV = {
    "input": [1, 16, 16],
    "layers": [
        {"type": "conv2d", "out_channels": 6, "kernel_size": 3},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "conv2d", "out_channels": 12, "kernel_size": 3},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}


def _run(spec=None, **train):
    base = {"epochs": 3, "batch_size": 64, "optimizer": "adam", "lr": 0.001, "momentum": 0.9,
            "normalize": "standardize", "seed": 0, "device": "cpu"}  # fmt: skip
    ds = {"name": "shapes", "channels": 1, "size": [16, 16], "train_size": 900}
    return SimpleNamespace(
        spec=spec or CONV, train={**base, **train}, dataset=ds, id="20261201-101500-x-abc123"
    )


def _params(spec) -> int:
    return sum(p.numel() for p in build_model(spec).parameters())


def _kinds(changes):
    return [c.kind for c in changes]


def test_identical_networks_have_no_differences():
    assert layers_diff(CONV, copy.deepcopy(CONV)) == []


def test_insert_is_named_after_the_layer_it_follows_with_its_params_from_pytorch():
    b = copy.deepcopy(CONV)
    b["layers"].insert(1, {"type": "batchnorm2d"})
    changes = layers_diff(CONV, b)
    assert changes[0].kind == ChangeKind.INSERT
    assert changes[0].text.startswith("+ BatchNorm2d after layer 1")
    assert changes[0].params_delta == 2 * 6  # weight and bias per channel
    assert changes[-1].kind == ChangeKind.TOTAL
    assert changes[-1].params_delta == _params(b) - _params(CONV)  # the torch reference


def test_insert_at_the_start_and_delete_name_their_place():
    b = copy.deepcopy(CONV)
    del b["layers"][4]  # the second ReLU
    assert [c.text for c in layers_diff(CONV, b)][0] == "− ReLU (layer 5)"
    c = copy.deepcopy(CONV)
    c["layers"].insert(0, {"type": "dropout", "p": 0.2})
    assert layers_diff(CONV, c)[0].text.startswith("+ Dropout(p=0.2) at the start")


def test_change_of_a_parameter_gives_the_params_mult_adds_and_shape_deltas():
    b = copy.deepcopy(CONV)
    b["layers"][3]["out_channels"] = 24
    changes = layers_diff(CONV, b)
    change = changes[0]
    assert change.kind == ChangeKind.CHANGE
    assert change.text.startswith("layer 4 Conv2d: out_channels 12 → 24")
    ra, rb = summarize(CONV, 1)[3], summarize(b, 1)[3]
    assert change.params_delta == rb["params"] - ra["params"] == 6 * 9 * 12 + 12
    assert change.mult_adds_delta == rb["mult_adds"] - ra["mult_adds"]
    assert "output 12×5×5 → 24×5×5" in change.text
    # the Linear's in_features follow from it: reported as a consequence, with its params
    follows = [c for c in changes if c.kind == ChangeKind.FOLLOWS]
    assert len(follows) == 1 and follows[0].text.startswith("layer 7 Linear: params")
    total = changes[-1]
    assert total.params_delta == _params(b) - _params(CONV)
    assert (
        total.mult_adds_delta
        == totals(summarize(b, 1))["mult_adds"] - totals(summarize(CONV, 1))["mult_adds"]
    )


def test_reorder_reads_as_a_delete_and_an_insert():
    b = copy.deepcopy(CONV)
    b["layers"][1], b["layers"][2] = b["layers"][2], b["layers"][1]  # pool before ReLU
    kinds = _kinds(layers_diff(CONV, b))
    assert ChangeKind.INSERT in kinds and ChangeKind.DELETE in kinds
    assert ChangeKind.CHANGE not in kinds
    assert layers_diff(CONV, b)[-1].params_delta == 0


def test_input_change_is_listed_first():
    b = copy.deepcopy(TINY_SPEC)
    b["input"] = [3, 8, 8]
    changes = layers_diff(TINY_SPEC, b)
    assert changes[0].kind == ChangeKind.INPUT and changes[0].text == "input 1×8×8 → 3×8×8"


def test_settings_diff_keeps_only_what_differs_in_the_course_words():
    a, b = _run(lr=0.01, normalize="none"), _run(lr=0.001, normalize="div255")
    assert settings_diff([a, b]) == {
        "normalization": ["none", "div255"],
        "learning rate": [0.01, 0.001],
    }
    assert settings_lines([a, b]) == [
        "normalization none (0–255) → ÷255",
        "learning rate 0.01 → 0.001",
    ]
    # momentum matters only when a run uses SGD
    c = _run(momentum=0.5)
    assert settings_diff([a, c]).keys() == {"normalization", "learning rate"}
    d = _run(optimizer="sgd", momentum=0.5)
    assert "momentum" in settings_diff([_run(), d])


def test_runs_saved_before_a_setting_existed_compare_with_its_default():
    old = _run()
    del old.train["batch_size"]
    new = _run(lr_schedule="none", patience=0)
    assert "learning-rate schedule" not in settings_diff([old, new])


def test_labels_name_each_run_by_what_differs():
    b = copy.deepcopy(CONV)
    b["layers"].insert(1, {"type": "batchnorm2d"})
    b["layers"].insert(5, {"type": "batchnorm2d"})
    labels = run_labels([_run(lr=0.01), _run(b, lr=0.001)])
    assert labels == ["first network · lr 0.01", "+BatchNorm2d ×2 · lr 0.001"]
    assert run_labels([_run(normalize="none"), _run(normalize="div255")]) == ["raw 0–255", "÷255"]
    same = run_labels([_run(), _run()])
    assert same[0] != same[1] and same[0].endswith("#1")


def _params(spec: dict) -> int:
    return sum(p.numel() for p in build_model(spec).parameters())


def test_inside_blocks_layers_are_compared_by_their_paths_with_pytorchs_counts():
    from cnnviz.design.presets import PRESETS

    a = PRESETS["resnet-8"].new_spec()
    b = copy.deepcopy(a)
    body = b["layers"][3]["layers"]  # the first residual block (layer 4)
    body[0]["out_channels"] = 24  # its first Conv2d (layer 4.1)
    body.insert(2, {"type": "dropout", "p": 0.3})
    changes = layers_diff(a, b)
    texts = [c.text for c in changes]
    change = next(c for c in changes if c.kind == ChangeKind.CHANGE and c.layer == "Conv2d")
    assert change.text.startswith("layer 4.1 Conv2d: out_channels 16 → 24")
    assert change.values == (("out_channels", 16, 24),)
    conv = lambda c_in, c_out: c_in * c_out * 9  # noqa: E731  (bias=False)
    assert change.params_delta == conv(16, 24) - conv(16, 16)
    assert any(t.startswith("+ Dropout(p=0.3) after layer 4.2") for t in texts)
    assert any(t.startswith("layer 4.4 (now 4.5) Conv2d:") and "from the change above" in t
               for t in texts)  # fmt: skip
    assert not any("layers [" in t or "{'type'" in t for t in texts)  # no raw JSON
    total = changes[-1]
    assert total.kind == ChangeKind.TOTAL and total.params_delta == _params(b) - _params(a)
    assert sum(c.params_delta for c in changes[:-1]) == total.params_delta  # torch's count

    c = copy.deepcopy(a)
    c["layers"][5]["shortcut"] = "identity"  # the second block's projection goes
    shortcut = layers_diff(a, c)[0]  # (the rest: what the now-invalid network cannot compute)
    assert shortcut.layer == "Residual" and shortcut.kind == ChangeKind.CHANGE
    assert shortcut.text.startswith("layer 6 Residual: shortcut conv1x1 → identity")


def test_a_layer_added_at_the_start_of_a_block_names_the_block():
    from cnnviz.design.presets import PRESETS

    a = PRESETS["resnet-20"].new_spec()
    b = copy.deepcopy(a)
    b["layers"][2]["layers"].insert(0, {"type": "dropout"})
    (insert,) = [c for c in layers_diff(a, b) if c.kind == ChangeKind.INSERT]
    assert insert.text.startswith("+ Dropout at the start of block 3")
    assert layers_diff(a, copy.deepcopy(a)) == []
