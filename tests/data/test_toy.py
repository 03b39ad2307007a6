"""The toy 2-D datasets: points, classes, storage as uint8, and the pipeline on flat points."""

from __future__ import annotations

import pytest
import torch

from cnnviz.data.catalog import DATASETS, ToyKind
from cnnviz.data.kinds import NormKind
from cnnviz.data.pipeline import Normalization, fit_normalization
from cnnviz.data.registry import load_dataset
from cnnviz.data.toy import LIMIT, from_uint8, make_toy, to_uint8
from cnnviz.train.config import ConfigError, TrainConfig
from cnnviz.train.prepared import prepare


@pytest.mark.parametrize("kind", list(ToyKind))
def test_points_are_balanced_in_the_plane_and_seeded(kind: ToyKind) -> None:
    x, y = make_toy(kind, 301, seed=3)
    assert x.shape == (301, 2) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert set(y.tolist()) == {0, 1} and abs(int((y == 1).sum()) - int((y == 0).sum())) <= 1
    assert x.abs().max() <= LIMIT
    again, _ = make_toy(kind, 301, seed=3)
    other, _ = make_toy(kind, 301, seed=4)
    assert torch.equal(x, again) and not torch.equal(x, other)


def test_classes_sit_where_the_lesson_says() -> None:
    x, y = make_toy("xor", 2000, noise=0.0)
    same_sign = (x[:, 0] * x[:, 1]) > 0
    assert torch.equal(same_sign, y == 1)  # XOR: class 1 in the quadrants where signs agree
    x, y = make_toy("circles", 2000, noise=0.0)
    r = x.norm(dim=1)
    assert r[y == 1].max() < r[y == 0].min()  # a disc inside a ring


def test_uint8_storage_round_trips_within_half_a_step() -> None:
    x, _ = make_toy("spiral", 500)
    back = from_uint8(to_uint8(x))
    assert (back - x).abs().max() <= LIMIT / 255 + 1e-6


def test_registered_as_datasets_with_a_flat_input() -> None:
    b = load_dataset("circles", n_train=100, n_test=40)
    assert b.shape == (2,) and b.is_flat and b.train_x.dtype == torch.uint8
    assert len(b.train_y) == 100 and len(b.test_y) == 40 and b.classes == DATASETS["circles"].classes


def test_normalization_per_feature_matches_by_hand() -> None:
    b = load_dataset("blobs")
    norm = fit_normalization(NormKind.STANDARDIZE, b.train_x)
    x = b.train_x.double() / 255
    assert norm.mean == pytest.approx(x.mean(0).tolist(), abs=1e-6)
    assert norm.std == pytest.approx(x.std(0).tolist(), abs=1e-6)
    out = norm.apply(b.train_x[:5])
    want = (b.train_x[:5].float() / 255 - torch.tensor(norm.mean)) / torch.tensor(norm.std)
    assert torch.allclose(out, want.float(), atol=1e-5)
    assert Normalization(NormKind.DIV255).apply(b.train_x[:2]).max() <= 1


def test_prepare_fits_points_and_refuses_image_augmentation() -> None:
    b = load_dataset("xor", n_train=200, n_test=50)
    p = prepare(b, TrainConfig.from_dict({"normalize": "standardize", "device": "cpu"}))
    assert p.input_shape == (2,) and not p.channels_last
    assert torch.allclose(p.normalize(p.train_x[:7]), p.normalization.apply(p.train_x[:7]), atol=1e-5)
    with pytest.raises(ConfigError, match="Augmentation"):
        prepare(b, TrainConfig.from_dict({"augment_flip": True, "device": "cpu"}))
