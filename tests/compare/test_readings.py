"""Reading a curve, on runs that really show each pattern (trained here on tiny data)."""

from __future__ import annotations

import math

import torch

from cnnviz.compare.readings import Pattern, read_curves, read_run
from cnnviz.compare.runs import load
from cnnviz.data.bundle import DataBundle
from cnnviz.train.engine import build_seeded
from tests.compare.runs_for_tests import train_run
from tests.helpers import TINY_SPEC, MakesNaN

WIDE = {
    "input": [1, 8, 8],
    "layers": [
        {"type": "flatten"},
        {"type": "linear", "out_features": 64},
        {"type": "relu"},
        {"type": "linear", "out_features": 4},
    ],
}


def _patterns(path) -> list[Pattern]:
    return [r.pattern for r in read_run(load(path))]


def _weak_bundle(n_train: int, signal: int) -> DataBundle:
    """Like tests.helpers.tiny_bundle, but the lit quadrant is faint and the noise strong."""
    g = torch.Generator().manual_seed(5)

    def make(n):
        y = torch.arange(n) % 4
        x = torch.randint(0, 200, (n, 1, 8, 8), generator=g)
        for k in range(4):
            r, c = divmod(k, 2)
            x[y == k, :, r * 4 : r * 4 + 4, c * 4 : c * 4 + 4] += signal
        return x.clamp(0, 255).to(torch.uint8), y.long()

    tx, ty = make(n_train)
    vx, vy = make(200)
    return DataBundle("weak", ("a", "b", "c", "d"), tx, ty, vx, vy)


def test_a_frozen_network_guesses_uniformly_at_ln_classes():
    model = build_seeded(TINY_SPEC, 0)
    last = model[-1]
    with torch.no_grad():
        last.weight.zero_(), last.bias.zero_()
    last.requires_grad_(False)  # no gradient reaches the layers below either: nothing can learn
    path = train_run(model=model, lr=0.01)
    readings = read_run(load(path))
    assert [r.pattern for r in readings] == [Pattern.CHANCE]
    assert (
        f"ln(4) = {math.log(4):.3f}" in readings[0].finding and "uniformly" in readings[0].finding
    )


def test_ten_classes_name_2_303():
    flat = [{"loss": math.log(10) + 0.001 * (i % 3)} for i in range(40)]
    epochs = [
        {"train_loss": 2.302, "train_accuracy": 0.1, "val_loss": 2.303, "val_accuracy": 0.1}
    ] * 2
    r = read_curves(epochs, flat, classes=10)
    assert r[0].pattern == Pattern.CHANCE and "2.303" in r[0].finding


def test_a_huge_learning_rate_explodes_the_loss():
    path = train_run(optimizer="sgd", lr=10.0, normalize="none")
    readings = read_run(load(path))
    assert readings[0].pattern == Pattern.DIVERGED
    assert "learning rate 10×" in readings[0].next_step


def test_a_nan_loss_is_read_as_diverged():
    path = train_run(model=MakesNaN())
    assert load(path).status["status"] == "failed"
    assert _patterns(path) == [Pattern.DIVERGED]


def test_a_tiny_training_set_overfits():
    path = train_run(
        WIDE, bundle=_weak_bundle(48, 25), epochs=40, batch_size=8, val_fraction=0.5, lr=0.003
    )
    readings = read_run(load(path))
    assert Pattern.OVERFITTING in [r.pattern for r in readings]
    over = next(r for r in readings if r.pattern == Pattern.OVERFITTING)
    assert "Dropout" in over.next_step and "augmentation" in over.next_step


def test_a_short_run_still_improving_says_train_longer():
    path = train_run(optimizer="sgd", lr=0.02, epochs=3)
    readings = read_run(load(path))
    assert [r.pattern for r in readings] == [Pattern.STILL_IMPROVING]
    assert "3 → 6" in readings[0].next_step


def test_raw_pixels_with_a_small_step_fall_slowly_and_the_reading_says_normalize():
    # a step so small that nothing is learned: the loss only wanders from batch to batch
    path = train_run(optimizer="sgd", lr=1e-7, normalize="none", epochs=8)
    assert Pattern.SLOW_RAW in _patterns(path)
    # the same run on normalized pixels is not told to normalize
    assert Pattern.SLOW_RAW not in _patterns(train_run(optimizer="sgd", lr=1e-7, epochs=3))


def test_a_healthy_finished_run_has_no_warning():
    path = train_run(lr=0.01, epochs=4)
    pats = _patterns(path)
    assert (
        Pattern.DIVERGED not in pats
        and Pattern.CHANCE not in pats
        and Pattern.OVERFITTING not in pats
    )
