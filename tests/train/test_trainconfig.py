"""TrainConfig: defaults, validation messages, dict round trip, strings from text boxes."""

from __future__ import annotations

import pytest

from cnnviz.design.presets import PRESETS
from cnnviz.train.config import MAX_EPOCHS, ConfigError, OptimizerKind, TrainConfig


def test_round_trip_through_a_dict():
    cfg = TrainConfig(epochs=4, optimizer="sgd", lr=0.05, augment_crop=2)
    d = cfg.to_dict()
    assert d["optimizer"] == "sgd" and isinstance(d["optimizer"], str)
    assert TrainConfig.from_dict(d) == cfg
    assert cfg.optimizer is OptimizerKind.SGD


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"lr": 0}, "lr must be above 0"),
        ({"lr": -1}, "lr must be above 0"),
        ({"batch_size": 0}, "batch_size must be between 1"),
        ({"epochs": MAX_EPOCHS + 1}, f"epochs must be between 1 and {MAX_EPOCHS}"),
        ({"epochs": 2.5}, "epochs must be a whole number"),
        ({"val_fraction": 0.95}, "val_fraction"),
        ({"momentum": 1.5}, "momentum"),
        ({"lr": float("nan")}, "lr must be a number"),
        ({"augment_crop": -1}, "augment_crop"),
    ],
)
def test_bad_numbers_get_messages_naming_the_setting(change: dict, words: str):
    with pytest.raises(ConfigError, match=words):
        TrainConfig.from_dict(change)


def test_problems_lists_every_problem():
    problems = TrainConfig(epochs=0, batch_size=0, lr=0).problems()
    assert len(problems) == 3
    assert any("Try 0.001" in p for p in problems)


def test_unknown_setting_and_unknown_choice():
    with pytest.raises(ConfigError, match="Unknown training setting.*learning_rate"):
        TrainConfig.from_dict({"learning_rate": 0.1})
    with pytest.raises(ConfigError, match="optimizer must be one of sgd, adam, adamw"):
        TrainConfig.from_dict({"optimizer": "rmsprop"})


def test_strings_from_text_boxes_are_accepted():
    cfg = TrainConfig.from_dict({"lr": "0.01", "epochs": "3", "shuffle": "false", "device": "CPU"})
    assert (cfg.lr, cfg.epochs, cfg.shuffle, cfg.device) == (0.01, 3, False, "cpu")


def test_overrides_of_none_keep_the_dict_value():
    assert TrainConfig.from_dict({"epochs": 5}, epochs=None, lr=0.1).epochs == 5


@pytest.mark.parametrize("name", [n for n, p in PRESETS.items() if p.train])
def test_every_preset_default_is_valid(name: str):
    TrainConfig.from_dict(PRESETS[name].train)
