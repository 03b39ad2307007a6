"""check_fit finds networks that do not fit the data, and each fix makes them fit."""

from __future__ import annotations

import pytest
import torch

from cnnviz.design.build import build_model
from cnnviz.design.presets import PRESETS
from cnnviz.train.fitcheck import apply_fix, check_fit
from tests.helpers import TINY_SPEC, tiny_bundle

MNIST = ("MNIST", [1, 28, 28], 10)


def fixed_until_clean(spec: dict, data) -> dict:
    for _ in range(5):
        blocking = [p for p in check_fit(spec, data) if p.blocking]
        if not blocking:
            return spec
        assert blocking[0].fix is not None, blocking[0].message
        spec = apply_fix(spec, blocking[0].fix)
    raise AssertionError("fixes did not converge")


def test_a_fitting_network_has_no_problems():
    assert check_fit(TINY_SPEC, tiny_bundle()) == []
    assert check_fit(PRESETS["mnist-basic"].spec, MNIST) == []


def test_wrong_input_is_fixed_by_setting_it():
    spec = PRESETS["lecture-7-23"].spec  # [3, 64, 64], 10 classes
    problems = check_fit(spec, MNIST)
    assert problems[0].fix == {"set_input": [1, 28, 28]}
    assert "[1, 28, 28]" in problems[0].message and "channels" in problems[0].message
    new = apply_fix(spec, problems[0].fix)
    assert check_fit(new, MNIST) == []
    assert spec["input"] == [3, 64, 64]  # the original is untouched
    assert build_model(new)(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_wrong_number_of_classes_is_fixed_on_the_last_linear():
    problems = check_fit(TINY_SPEC, ("Ten", [1, 8, 8], 10))
    assert [p.fix for p in problems] == [{"set_last_out": 10}]
    assert "4 outputs" in problems[0].message and "10 classes" in problems[0].message


def test_conv_output_gets_flatten_and_linear():
    spec = {"input": [1, 8, 8], "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 3}]}
    (p,) = check_fit(spec, tiny_bundle())
    assert p.fix == {"append_linear": 4}
    new = apply_fix(spec, p.fix)
    assert [lay["type"] for lay in new["layers"]] == ["conv2d", "flatten", "linear"]
    assert build_model(new)(torch.zeros(1, 1, 8, 8)).shape == (1, 4)


def test_empty_network_and_vector_input():
    blank = {"input": [3, 64, 64], "layers": []}
    assert build_model(fixed_until_clean(blank, MNIST))(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
    mlp = PRESETS["mlp-2-3-3-1"].spec  # takes 2 numbers, gives 1
    fixed = fixed_until_clean(mlp, MNIST)
    assert fixed["layers"][0]["type"] == "flatten"
    assert build_model(fixed)(torch.zeros(1, 1, 28, 28)).shape == (1, 10)


def test_trailing_softmax_is_a_warning_with_a_fix():
    spec = {**TINY_SPEC, "layers": TINY_SPEC["layers"] + [{"type": "softmax"}]}
    problems = check_fit(spec, tiny_bundle())
    assert len(problems) == 1 and not problems[0].blocking
    assert "softmax itself" in problems[0].message
    assert apply_fix(spec, problems[0].fix)["layers"] == TINY_SPEC["layers"]


def test_a_shape_error_inside_the_network_is_reported_without_a_fix():
    spec = {
        "input": [1, 8, 8],
        "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 20}],
    }
    problems = check_fit(spec, tiny_bundle())
    assert problems and problems[-1].fix is None and "Layer 1" in problems[-1].message


def test_dataset_info_works_as_well_as_a_bundle():
    from cnnviz.data.registry import DATASETS

    problems = check_fit(PRESETS["lecture-7-23"].spec, DATASETS["mnist"])
    assert problems[0].fix == {"set_input": [1, 28, 28]}


def test_unknown_fix_is_refused():
    with pytest.raises(ValueError, match="unknown fix"):
        apply_fix(TINY_SPEC, {"teleport": 1})


def test_one_output_is_said_in_the_singular():
    spec = {
        "input": [1, 28, 28],
        "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 1}],
    }
    message = check_fit(spec, MNIST)[0].message
    assert message.startswith("The network ends with 1 output, but MNIST has 10 classes")
    spec["layers"][-1]["out_features"] = 3
    assert check_fit(spec, MNIST)[0].message.startswith("The network ends with 3 outputs,")


def test_the_courses_linear_864_1024_ending_can_be_kept_with_a_linear_after_it():
    """The course's slide ends in Linear(864, 1024): besides setting it to 10 outputs, the fix
    may add Linear(1024, 10) after it, which keeps the course's layer."""
    spec = PRESETS["lecture-7-23"].new_spec()
    spec["layers"] = spec["layers"][:-2]  # ... Flatten, Linear(864, 1024)
    (p,) = check_fit(spec, ("CIFAR-10", [3, 64, 64], 10))
    assert p.fix == {"set_last_out": 10}
    [(fix, label)] = p.alternatives
    assert label == "Add Linear(1024, 10) after it"
    kept = apply_fix(spec, fix)
    assert check_fit(kept, ("CIFAR-10", [3, 64, 64], 10)) == []
    model = build_model(kept)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(864, 1024), (1024, 10)]
    assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 10)


def test_a_shape_error_inside_a_block_names_the_inner_layer():
    spec = {
        "input": [3, 8, 8],
        "layers": [
            {
                "type": "residual",
                "layers": [{"type": "conv2d", "out_channels": 4, "kernel_size": 9}],
            },
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    }
    problems = check_fit(spec, ("Shapes", [3, 8, 8], 10))
    assert len(problems) == 1 and problems[0].fix is None
    assert problems[0].message.startswith("Layer 1.1 (Conv2d(3, 4, kernel_size=9))")


def test_a_network_ending_in_a_block_gets_flatten_and_linear():
    spec = {
        "input": [3, 8, 8],
        "layers": [
            {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
            {"type": "residual", "layers": [{"type": "relu"}]},
        ],
    }
    problems = check_fit(spec, ("Shapes", [3, 8, 8], 10))
    assert [p.fix for p in problems] == [{"append_linear": 10}]
    fixed = apply_fix(spec, problems[0].fix)
    assert check_fit(fixed, ("Shapes", [3, 8, 8], 10)) == []
    assert fixed["layers"][-2:] == [{"type": "flatten"}, {"type": "linear", "out_features": 10}]
