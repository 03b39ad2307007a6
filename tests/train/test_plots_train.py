"""Training-curve figures: smoothing, downsampling, epoch boundaries, panels."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from cnnviz.plots.train.curves import (
    downsample,
    ema,
    epoch_ends,
    epoch_metrics_figure,
    iteration_loss_figure,
)


def _iters(epochs: int, per_epoch: int) -> pd.DataFrame:
    n = epochs * per_epoch
    it = np.arange(1, n + 1)
    return pd.DataFrame(
        {"iteration": it, "epoch": (it - 1) // per_epoch + 1, "loss": 2.3 * np.exp(-it / 50) + 0.1}
    )


def test_ema_matches_hand_computation_with_bias_correction():
    x = [1.0, 2.0, 3.0]
    w = 0.5
    s1 = (0.5 * 1) / (1 - 0.5)
    s2 = (0.5 * (0.5 * 1) + 0.5 * 2) / (1 - 0.25)
    s3 = (0.5 * (0.5 * (0.5 * 1) + 0.5 * 2) + 0.5 * 3) / (1 - 0.125)
    np.testing.assert_allclose(ema(x, w), [s1, s2, s3])
    assert ema([5.0], 0.9)[0] == pytest.approx(5.0)  # no pull towards zero


def test_ema_skips_nan_and_rejects_bad_weight():
    out = ema([1.0, math.nan, 1.0], 0.9)
    assert out[1] == pytest.approx(1.0) and out[2] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="smoothing"):
        ema([1.0], 1.0)


def test_downsample_caps_points_and_keeps_mean_and_last_x():
    x = np.arange(1, 10_001)
    y = np.random.default_rng(0).normal(size=10_000)
    xs, (ys,), k = downsample(x, [y], max_points=1000)
    assert len(xs) <= 1000 and k == 10
    assert xs[-1] == 10_000
    assert ys.mean() == pytest.approx(y.mean())
    np.testing.assert_allclose(ys[0], y[:10].mean())
    xs2, (ys2,), k2 = downsample(x[:50], [y[:50]], max_points=1000)
    assert k2 == 1 and len(xs2) == 50


def test_downsample_uneven_tail():
    xs, (ys,), k = downsample(np.arange(1, 11), [np.arange(1, 11)], max_points=3)
    assert k == 4 and list(xs) == [4, 8, 10]
    np.testing.assert_allclose(ys, [2.5, 6.5, 9.5])


def test_epoch_ends():
    assert epoch_ends(_iters(3, 10)) == [(1, 10.0), (2, 20.0)]
    assert epoch_ends(pd.DataFrame(columns=["iteration", "epoch", "loss"])) == []


def test_iteration_figure_has_raw_smoothed_and_boundaries():
    fig = iteration_loss_figure(_iters(3, 20))
    names = [t.name for t in fig.data]
    assert names[0] == "loss per iteration" and names[1].startswith("smoothed")
    assert len(fig.data[0].x) == 60
    vlines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [s.x0 for s in vlines] == [20.5, 40.5]
    labels = [a.text for a in fig.layout.annotations]
    assert labels == ["epoch 1", "epoch 2", "epoch 3"]  # above the plot, one per epoch
    assert all(
        a.yref == "paper" and a.y == 1.0 and a.yanchor == "bottom" for a in fig.layout.annotations
    )
    assert [a.x for a in fig.layout.annotations] == [10.5, 30.5, 50.5]


def test_iteration_figure_downsamples_long_runs():
    fig = iteration_loss_figure(_iters(10, 2000), max_points=500)
    assert all(len(t.x) <= 500 for t in fig.data)
    assert "mean of" in fig.data[0].name
    assert len(fig.layout.shapes) == 9


def test_empty_frames_give_a_waiting_message():
    fig = iteration_loss_figure(pd.DataFrame(columns=["iteration", "epoch", "loss"]))
    assert not fig.data and "Waiting" in fig.layout.annotations[0].text
    fig2 = epoch_metrics_figure(pd.DataFrame())
    assert not fig2.data


def test_epoch_figure_panels_and_test_marker():
    df = pd.DataFrame(
        {
            "epoch": [1, 2],
            "train_loss": [1.2, 0.6],
            "train_accuracy": [0.5, 0.8],
            "val_loss": [1.0, 0.7],
            "val_accuracy": [0.6, 0.75],
        }
    )
    fig = epoch_metrics_figure(df, test_accuracy=0.77, test_loss=0.65)
    by_axis = {}
    for t in fig.data:
        by_axis.setdefault(t.xaxis, []).append(t)
    acc = [t for t in by_axis["x2"] if t.name == "validation"][0]
    np.testing.assert_allclose(acc.y, [60.0, 75.0])
    test = [t for t in by_axis["x2"] if t.name.startswith("test")][0]
    assert test.y[0] == pytest.approx(77.0) and test.x[0] == 2
    assert len(by_axis["x"]) == 3  # train, val, test loss


def test_epoch_figure_without_validation_columns():
    df = pd.DataFrame(
        {"epoch": [1], "train_loss": [1.0], "train_accuracy": [0.4], "val_loss": [math.nan]}
    )
    fig = epoch_metrics_figure(df)
    assert [t.name for t in fig.data] == ["training", "training"]


def test_iteration_figure_names_averaging_done_by_the_job():
    fig = iteration_loss_figure(_iters(2, 10), points_per_iteration=4)
    assert fig.data[0].name == "loss (mean of 4 iterations)"


def test_titles_can_move_to_the_page_and_fonts_grow_for_presenter_mode():
    it, ep = _iters(3, 20), pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5]})
    for fig in (
        iteration_loss_figure(it, title=None, font_size=16),
        epoch_metrics_figure(ep, title=None, font_size=16),
    ):
        assert not fig.layout.title.text  # the page writes it (wraps; no toolbar over it)
        assert fig.layout.font.size == 16
        assert fig.layout.legend.yref == "container"  # below the axis titles, not on them
    assert iteration_loss_figure(it).layout.title.text.startswith("Loss per iteration")
    fig = epoch_metrics_figure(ep, test_loss=0.089, test_accuracy=0.97)
    assert fig.layout.yaxis2.side == "right"  # accuracy ticks clear of the loss panel
    assert all(t.cliponaxis is False for t in fig.data if t.name.startswith("test"))


def test_the_unchecked_live_figures_are_ones_plotly_accepts_as_they_are():
    """The curves are built without Plotly's checks (speed): checked here instead, with
    every part present (epoch lines and labels, a schedule's hover text, best and test)."""
    import plotly.graph_objects as go

    it = _iters(12, 30)
    ep = pd.DataFrame(
        [
            {"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "train_accuracy": 0.1 * e,
             "val_accuracy": 0.09 * e, "lr": 0.01 / e}
            for e in range(1, 8)
        ]
    )  # fmt: skip
    for fig in (
        iteration_loss_figure(it, title=None, font_size=16, points_per_iteration=2),
        epoch_metrics_figure(ep, test_accuracy=0.6, test_loss=0.9, best_epoch=5),
        epoch_metrics_figure(ep.iloc[:0]),
    ):
        checked = go.Figure(fig.to_dict())  # raises on any property Plotly does not know
        assert json.loads(fig.to_json()) == json.loads(checked.to_json())  # and changes none
