"""The layer-kind registry agrees with torch.nn, and values are checked with clear messages."""

from __future__ import annotations

import inspect

import pytest

from cnnviz.design.layer_kinds import LAYER_KINDS, MAX_LAYERS
from cnnviz.design.spec import (
    SpecError,
    as_pair,
    check_input,
    check_spec_structure,
    compact_layer,
    default_layer,
    describe,
    kind_of,
    normalize_layer,
    torch_kwargs,
)


@pytest.mark.parametrize("type_", list(LAYER_KINDS))
def test_params_are_the_torch_constructors(type_: str) -> None:
    kind = LAYER_KINDS[type_]
    sig = inspect.signature(kind.torch_class.__init__).parameters
    for name in (*kind.inferred, *kind.fixed_kwargs):
        assert name in sig, name
    for p in kind.params:
        assert p.name in sig, p.name
        if not p.required:  # the default is torch's own
            assert sig[p.name].default == p.default, p.name
    if kind.inferred or any(p.required for p in kind.params):
        required = {n for n, q in sig.items() if q.default is inspect.Parameter.empty} - {"self"}
        assert required <= {*kind.inferred, *(p.name for p in kind.params if p.required)}


@pytest.mark.parametrize("type_", list(LAYER_KINDS))
def test_default_layers_normalize_compact_and_build(type_: str) -> None:
    layer = default_layer(type_)
    assert normalize_layer(layer) == layer
    compact = compact_layer(layer)
    assert normalize_layer(compact) == layer
    in_dim = 4 if LAYER_KINDS[type_].inferred else None
    module = LAYER_KINDS[type_].torch_class(**torch_kwargs(layer, in_dim))
    assert type(module).__name__ == LAYER_KINDS[type_].torch_name


def test_normalize_fills_defaults_and_keeps_pairs() -> None:
    got = normalize_layer(
        {"type": "Conv2d", "out_channels": 6, "kernel_size": [3, 5], "padding": "SAME"}
    )
    assert got == {
        "type": "conv2d", "out_channels": 6, "kernel_size": [3, 5], "stride": 1,
        "padding": "same", "dilation": 1, "groups": 1, "bias": True,
    }  # fmt: skip
    assert normalize_layer({"type": "maxpool2d", "kernel_size": 2.0})["kernel_size"] == 2
    assert normalize_layer({"type": "linear", "out_features": 3, "in_features": 99}) == {
        "type": "linear", "out_features": 3, "bias": True,
    }  # in_features is always inferred, so a typed one is ignored  # fmt: skip


@pytest.mark.parametrize(
    ("layer", "match"),
    [
        ({"type": "conv3d"}, "unknown layer type 'conv3d'"),
        ({}, "unknown layer type None"),
        ("relu", "must be an object"),
        ({"type": "conv2d", "out_channels": 4, "kernel_size": 0}, "kernel_size must be at least 1"),
        ({"type": "conv2d", "out_channels": True, "kernel_size": 3}, "whole number"),
        ({"type": "conv2d", "out_channels": 4, "kernel_size": [3, 3, 3]}, r"\[h, w\] pair"),
        ({"type": "linear", "out_features": 10**9}, "capped"),
        ({"type": "dropout", "p": float("nan")}, "must be a number"),
        (
            {"type": "relu", "inplace": True},
            "ReLU has no parameter inplace: its parameters are none",
        ),
    ],
)
def test_bad_layers_raise_with_a_fix(layer, match: str) -> None:
    with pytest.raises(SpecError, match=match) as e:
        normalize_layer(layer)
    assert e.value.fix


def test_describe_writes_pytorch() -> None:
    assert (
        describe({"type": "conv2d", "out_channels": 6, "kernel_size": 3}, 3)
        == "Conv2d(3, 6, kernel_size=3)"
    )
    layer = normalize_layer(
        {"type": "conv2d", "out_channels": 6, "kernel_size": [3, 5], "padding": "same"}
    )
    assert describe(layer, None) == "Conv2d(?, 6, kernel_size=(3, 5), padding='same')"
    assert describe({"type": "softmax"}) == "Softmax(dim=1)"
    assert (
        describe(normalize_layer({"type": "maxpool2d", "kernel_size": 2}), None)
        == "MaxPool2d(kernel_size=2)"
    )


def test_input_and_structure_checks() -> None:
    assert check_input([3, 64, 64]) == [3, 64, 64] and check_input((784,)) == [784]
    for bad in ([3, 64], [0, 8, 8], [3, 8.5, 8], "3,8,8", [3, 2000, 8], [True, 8, 8]):
        with pytest.raises(SpecError, match="input"):
            check_input(bad)
    assert check_spec_structure({"input": [1], "name": "x"}) == ([1], [])
    with pytest.raises(SpecError, match=f"more than the {MAX_LAYERS}"):
        check_spec_structure({"input": [1], "layers": [{"type": "relu"}] * 300})
    assert as_pair(3) == (3, 3) and as_pair([2, 5]) == (2, 5)
    assert kind_of({"type": "ReLU"}).torch_name == "ReLU"
