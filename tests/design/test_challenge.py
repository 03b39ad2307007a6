"""Challenges: targets checked against torch, the link codec, and forged or garbled links."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
import torch

from cnnviz.design.build import build_model
from cnnviz.design.challenge import (
    Challenge,
    ChallengeError,
    ShapeTarget,
    _digest,
    decode_challenge,
    encode_challenge,
    link_id,
    parse_shape,
)
from cnnviz.design.challenge_checks import design_checks, met, run_check
from cnnviz.design.presets import PRESETS
from tests.helpers import SHAPES28_SPEC

MNIST = PRESETS["mnist-basic"].new_spec()


def torch_outputs(spec: dict, kind: type) -> list[tuple[int, ...]]:
    """The output shapes (no batch) of every ``kind`` module in a real forward pass."""
    model = build_model(spec).eval()
    seen: list[tuple[int, ...]] = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, out: seen.append(tuple(out.shape[1:])))
        for m in model.modules()
        if type(m) is kind
    ]
    try:
        with torch.no_grad():
            model(torch.zeros(1, *spec["input"]))
    finally:
        for h in hooks:
            h.remove()
    return seen


def torch_params(spec: dict) -> int:
    return sum(p.numel() for p in build_model(spec).parameters())


def by_name(checks, name):
    return next(c for c in checks if c.name == name)


# -- targets against torch ------------------------------------------------------------
@pytest.mark.parametrize("nth", [1, 2])
def test_shape_target_met_exactly_when_torch_gives_that_shape(nth):
    real = torch_outputs(MNIST, torch.nn.Conv2d)[nth - 1]  # (32, 28, 28), (64, 14, 14)
    hit = Challenge("t", MNIST, "mnist", shapes=(ShapeTarget("conv2d", nth, real),))
    miss = Challenge("t", MNIST, "mnist", shapes=(ShapeTarget("conv2d", nth, (16, 7, 7)),))
    assert by_name(design_checks(hit, MNIST), "shape").met
    check = by_name(design_checks(miss, MNIST), "shape")
    assert not check.met
    assert f"{real[0]}×{real[1]}×{real[2]}, target 16×7×7" in check.words
    assert "set out_channels to 16" in check.hint
    factor = real[1] // 7
    assert f"MaxPool2d({factor})" in check.hint  # the shape engine's hint, with its formula
    assert "H_out" in check.hint


def test_shape_target_becomes_met_after_the_edit_its_hint_names():
    ch = Challenge("t", MNIST, "mnist", shapes=(ShapeTarget("conv2d", 2, (16, 7, 7)),))
    edited = json.loads(json.dumps(MNIST))
    edited["layers"][4]["out_channels"] = 16
    edited["layers"].insert(4, {"type": "maxpool2d", "kernel_size": 2})  # "add MaxPool2d(2)"
    assert torch_outputs(edited, torch.nn.Conv2d)[1] == (16, 7, 7)
    assert by_name(design_checks(ch, edited), "shape").met


def test_shape_target_past_the_last_layer_of_that_kind_says_how_many_to_add():
    ch = Challenge("t", SHAPES28_SPEC, "shapes", shapes=(ShapeTarget("conv2d", 3, (8, 5, 5)),))
    check = by_name(design_checks(ch, SHAPES28_SPEC), "shape")
    assert not check.met and "has 1 Conv2d" in check.words and "add 2 more" in check.hint


@pytest.mark.parametrize("spec", [MNIST, SHAPES28_SPEC, PRESETS["resnet-8"].new_spec()])
def test_parameter_budget_equal_to_torchs_count_is_met_one_less_is_not(spec):
    count = torch_params(spec)
    ok = by_name(design_checks(Challenge("t", spec, max_params=count), spec), "params")
    over = by_name(design_checks(Challenge("t", spec, max_params=count - 1), spec), "params")
    assert ok.met and not over.met
    assert ok.words == f"{count:,} parameters of {count:,} allowed"
    assert over.hint.startswith("1 parameters too many")


def test_mult_add_budget_is_the_shape_engines_count_of_conv_and_linear():
    # Conv2d(3,4,3) on 28×28 -> 26×26: 4·26·26·27 mult-adds; Linear(676, 10): 6760
    expected = 4 * 26 * 26 * 3 * 3 * 3 + 4 * 13 * 13 * 10
    ch = Challenge("t", SHAPES28_SPEC, max_mult_adds=expected)
    assert by_name(design_checks(ch, SHAPES28_SPEC), "mult_adds").met
    ch = Challenge("t", SHAPES28_SPEC, max_mult_adds=expected - 1)
    assert not by_name(design_checks(ch, SHAPES28_SPEC), "mult_adds").met


def test_locked_layers_and_allowed_kinds():
    ch = Challenge("t", SHAPES28_SPEC, may_add=False, kinds=("conv2d",), max_params=10**6)
    assert met(design_checks(ch, SHAPES28_SPEC))
    more = json.loads(json.dumps(SHAPES28_SPEC))
    more["layers"].insert(1, {"type": "dropout"})
    checks = design_checks(ch, more)
    assert not by_name(checks, "layers").met
    assert not by_name(checks, "kinds").met and "Dropout" in by_name(checks, "kinds").hint
    assert not met(checks)
    values = json.loads(json.dumps(SHAPES28_SPEC))
    values["layers"][0]["out_channels"] = 2  # a value: allowed
    assert met(design_checks(ch, values))


# -- a finished run -------------------------------------------------------------------
ACC = Challenge(
    "t", SHAPES28_SPEC, "shapes", min_accuracy=0.9, max_epochs=3, locked={"optimizer": "adam"}
)
TRAIN = {"epochs": 3, "optimizer": "adam", "lr": 0.001}


@pytest.mark.parametrize(
    ("train", "status", "dataset", "ok", "says"),
    [
        (TRAIN, {"status": "finished", "test_accuracy": 0.95, "epochs_done": 3}, "shapes", True,
         "95.0 % test accuracy in 3 epochs"),
        (TRAIN, {"status": "finished", "test_accuracy": 0.85, "epochs_done": 3}, "shapes", False,
         "85.0 %"),
        ({**TRAIN, "epochs": 5}, {"status": "finished", "test_accuracy": 0.99, "epochs_done": 5},
         "shapes", False, "trained 5 epochs"),
        ({**TRAIN, "optimizer": "sgd"}, {"status": "finished", "test_accuracy": 0.99}, "shapes",
         False, "locked at 'adam'"),
        (TRAIN, {"status": "finished", "test_accuracy": 0.99}, "mnist", False, "trained on mnist"),
        (TRAIN, {"status": "stopped", "test_accuracy": None}, "shapes", False, "the run is stopped"),
    ],
)  # fmt: skip
def test_accuracy_target_from_the_runs_status(train, status, dataset, ok, says):
    check = run_check(ACC, SHAPES28_SPEC, train, status, dataset=dataset)
    assert check.met is ok and says in check.words


def test_accuracy_target_also_holds_the_trained_network_to_the_design_targets():
    ch = Challenge("t", SHAPES28_SPEC, min_accuracy=0.5, max_params=100)
    status = {"status": "finished", "test_accuracy": 0.99, "epochs_done": 1}
    check = run_check(ch, SHAPES28_SPEC, {"epochs": 1}, status)
    assert not check.met and "misses a target" in check.words


# -- the link -------------------------------------------------------------------------
FULL = Challenge(
    "Small & <b>sharp</b>",
    MNIST,
    "mnist",
    note="Reach [16×7×7](https://x.example) …",
    kinds=("conv2d", "maxpool2d"),
    may_add=False,
    locked={"epochs": 3, "optimizer": "adam", "lr": 0.001},
    shapes=(ShapeTarget("conv2d", 2, (16, 7, 7)),),
    max_params=20_000,
    max_mult_adds=2_000_000,
    min_accuracy=0.95,
    max_epochs=3,
)


@pytest.mark.parametrize("ch", [FULL, Challenge("x", SHAPES28_SPEC, max_params=5)])
def test_link_round_trip(ch):
    link = encode_challenge(ch)
    assert link.isascii() and "=" not in link and "/" not in link and "+" not in link
    back = decode_challenge(link)
    assert back == ch
    assert design_checks(back, back.spec) == design_checks(ch, ch.spec)
    assert link_id(link) == link_id(encode_challenge(back)) and link_id(link).startswith("link-")


def _wrap(body: dict, digest: str | None = None) -> str:
    raw = json.dumps(body).encode()
    outer = {"v": 1, "c": raw.decode(), "d": digest or _digest(raw)}
    return base64.urlsafe_b64encode(zlib.compress(json.dumps(outer).encode())).decode().rstrip("=")


def _flip(link: str, at: int) -> str:
    return link[:at] + ("A" if link[at] != "A" else "B") + link[at + 1 :]


@pytest.mark.parametrize(
    ("forge", "says"),
    [
        (lambda link: link[: len(link) // 2], "damaged"),
        (lambda link: _flip(link, 20), "damaged"),
        (lambda link: _flip(link, len(link) - 3), "damaged"),
        (lambda link: "not a link at all!", "damaged"),
        (lambda link: "", "no challenge"),
        (lambda link: "A" * 20_000, "longer than"),
        (lambda link: _wrap({**FULL.to_dict(), "max_params": 1}, digest="0" * 12), "damaged"),
        (lambda link: _wrap({**FULL.to_dict(), "dataset": "../../etc"}), "dataset"),
        (lambda link: _wrap({**FULL.to_dict(), "run": "rm -rf"}), "does not know"),
        (lambda link: _wrap({**FULL.to_dict(), "locked": {"device": "cuda"}}), "locks settings"),
        (lambda link: _wrap({**FULL.to_dict(), "locked": {"lr": -1}}), "not valid"),
        (lambda link: _wrap({**FULL.to_dict(), "min_accuracy": 95}), "at most 100 %"),
        (lambda link: _wrap({**FULL.to_dict(), "net": "xyz"}), "design cannot be read"),
        (lambda link: _wrap({**FULL.to_dict(), "kinds": ["os.system"]}), "layer kinds"),
        (lambda link: _wrap({**FULL.to_dict(), "shapes": [{"kind": "conv2d", "nth": 1,
                                                            "shape": [10**9]}]}), "shape"),
        (lambda link: _wrap([1, 2, 3]), "not a set of named values"),
    ],
)  # fmt: skip
def test_a_forged_or_garbled_link_is_refused_with_a_clear_message(forge, says):
    with pytest.raises(ChallengeError, match=says):
        decode_challenge(forge(encode_challenge(FULL)))


def test_a_hand_made_valid_link_opens_and_its_title_stays_text():
    ch = decode_challenge(_wrap({**FULL.to_dict(), "title": "  a\n b  " + "x" * 200}))
    assert ch.title.startswith("a b") and len(ch.title) == 80


@pytest.mark.parametrize(
    ("text", "shape"), [("16×7×7", (16, 7, 7)), ("16x7x7", (16, 7, 7)), ("10", (10,))]
)
def test_parse_shape(text, shape):
    assert parse_shape(text) == shape


@pytest.mark.parametrize("text", ["", "a×b", "0×7×7", "1×2×3×4"])
def test_parse_shape_refuses(text):
    with pytest.raises(ChallengeError, match="e.g. 16×7×7"):
        parse_shape(text)
