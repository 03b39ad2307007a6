"""Overlay alignment: a fair shared x-axis when mini-batch sizes differ, the same smoothing for all."""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.compare.align import XAxis, epoch_x, iteration_x, loss_series, smooth
from cnnviz.compare.runs import load
from tests.compare.runs_for_tests import train_run
from tests.helpers import tiny_bundle


@pytest.fixture(scope="module")
def two_batch_sizes(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    bundle = tiny_bundle()
    small = load(train_run(root=root, bundle=bundle, batch_size=16, epochs=2))
    large = load(train_run(root=root, bundle=bundle, batch_size=100, epochs=2))
    return small, large


def test_every_epoch_ends_at_the_same_place_whatever_the_batch_size(two_batch_sizes):
    small, large = two_batch_sizes
    n = small.dataset["train_size"]
    assert len(small.iters) == 2 * -(-n // 16) and len(large.iters) == 2 * -(-n // 100)
    for run in (small, large):
        x = iteration_x(run, XAxis.EPOCHS)
        ends = x[run.iters.groupby("epoch")["iteration"].idxmax().to_numpy()]
        assert ends == pytest.approx([1.0, 2.0])  # the last, partly filled mini-batch included
        assert np.all(np.diff(x) > 0)
        imgs = iteration_x(run, XAxis.IMAGES)
        assert imgs[-1] == 2 * n
        assert imgs == pytest.approx(x * n)


def test_the_same_share_of_an_epoch_is_the_same_number_of_images(two_batch_sizes):
    small, large = two_batch_sizes
    # after the first mini-batch of 100, the run with 16 has seen 96 images after 6 of its batches
    x_large = iteration_x(large, XAxis.IMAGES)[0]
    x_small = iteration_x(small, XAxis.IMAGES)[5]
    assert (x_large, x_small) == (100, 96)
    assert epoch_x(small, XAxis.IMAGES, [1, 2]) == pytest.approx(
        [small.dataset["train_size"], 2 * small.dataset["train_size"]]
    )


def test_smoothing_depends_on_distance_along_the_axis_not_on_the_number_of_points():
    # one step from 0 to 1 at x = 1, sampled densely and sparsely: the same value at x = 2
    dense_x = np.linspace(0, 3, 301)
    sparse_x = np.linspace(0, 3, 31)
    step = lambda x: (x >= 1).astype(float)  # noqa: E731
    d = smooth(dense_x, step(dense_x), tau=0.5)
    s = smooth(sparse_x, step(sparse_x), tau=0.5)
    assert d[200] == pytest.approx(s[20], abs=0.03)  # a per-point EMA differs by 0.3 here
    assert d[200] == pytest.approx(1 - np.exp(-1 / 0.5), abs=0.02)
    assert smooth(dense_x, step(dense_x), tau=0)[150] == 1.0


def test_loss_series_is_capped_in_points_and_keeps_the_axis_span(two_batch_sizes):
    small, _ = two_batch_sizes
    s = loss_series(small, XAxis.EPOCHS, 0.5, max_points=5)
    assert len(s.x) == len(s.y) == len(s.smooth) == 5
    assert s.x[-1] <= 2.0 and s.x[0] > 0
    full = loss_series(small, XAxis.EPOCHS, 0.0)
    assert full.y == pytest.approx(small.iters["loss"].to_numpy())
