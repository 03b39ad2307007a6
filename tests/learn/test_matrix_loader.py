"""The Linear whiteboard against torch, the user's Linear facts, and the DataLoader's epoch."""

from __future__ import annotations

import math

import pytest
import torch

from cnnviz.data.kinds import NormKind
from cnnviz.data.pipeline import Normalization, iterations_per_epoch
from cnnviz.data.registry import load_dataset
from cnnviz.design.presets import PRESETS
from cnnviz.learn.loader import batch_shape, epoch_batches, first_item
from cnnviz.learn.matrix import linear_facts, whiteboard


def test_whiteboard_product_is_torchs_linear() -> None:
    wb = whiteboard(4)
    assert wb.x.shape == (2, 3) and wb.weight.shape == (4, 3) and wb.bias.shape == (4,)
    assert torch.allclose(wb.hidden, wb.x @ wb.weight.T + wb.bias)
    for n in range(2):
        for j in range(4):
            text = wb.entry(n, j)
            assert text.endswith(f"= {float(wb.hidden[n, j]):.2f}")
            assert text.count("·") == 3  # three products, one per input number


def test_linear_facts_of_the_lecture_network() -> None:
    facts = linear_facts(PRESETS["lecture-7-23"].spec)
    first = facts[0]
    assert first["W"] == [1024, 864] and first["b"] == [1024]
    assert first["params"] == 864 * 1024 + 1024
    assert "(2×864)" in first["matmul"]


@pytest.mark.parametrize(("n", "b"), [(100, 32), (64, 64), (1, 8), (1800, 64)])
def test_epoch_split_into_mini_batches(n: int, b: int) -> None:
    batches = epoch_batches(n, b, seed=3)
    assert len(batches) == iterations_per_epoch(n, b) == math.ceil(n / b)
    assert torch.equal(torch.sort(torch.cat(batches)).values, torch.arange(n))  # none twice
    assert all(len(x) == b for x in batches[:-1]) and 1 <= len(batches[-1]) <= b
    # the engine's shuffle: randperm from its own seeded generator
    assert torch.equal(
        torch.cat(batches), torch.randperm(n, generator=torch.Generator().manual_seed(3))
    )


def test_first_item_before_and_after_normalization() -> None:
    b = load_dataset("shapes", size=28, channels=1, n_train=20, n_test=5)
    item = first_item(b, Normalization(NormKind.DIV255))
    assert item.shape == (1, 28, 28) and item.dtype == "uint8" and item.norm_dtype == "float32"
    assert item.high == float(b.train_x[0].max()) and item.norm_high == pytest.approx(
        item.high / 255
    )
    assert item.class_name == b.classes[int(b.train_y[0])]
    assert batch_shape(item.shape, 16) == [16, 1, 28, 28]


def _label_points(fig) -> list[tuple[float, float, str]]:
    """Where the weight labels are drawn: annotations, or a text-mode trace."""
    if fig.layout.annotations:
        return [(a.x, a.y, a.text) for a in fig.layout.annotations]
    trace = next(t for t in fig.data if t.mode == "text")
    return list(zip(trace.x, trace.y, trace.text, strict=True))


@pytest.mark.parametrize("seed", range(6))
def test_weight_labels_do_not_overlap_at_projector_size(seed: int) -> None:
    """Learn 4's picture: every weight's label sits on its own line and no two labels' boxes
    meet at 18 px text on a 560 × 260 px plot (0.6 em a character; 1.3 em tall, Plotly's line height)."""
    from cnnviz.plots.learn.matrix import linear_diagram

    w = whiteboard(seed).weight.numpy()
    fig = linear_diagram(w, height=260)
    pts = _label_points(fig)
    assert len(pts) == w.size
    xr, yr = fig.layout.xaxis.range, fig.layout.yaxis.range
    m = fig.layout.margin
    sx = (560 - m.l - m.r) / (xr[1] - xr[0])
    sy = (260 - m.t - m.b) / (yr[1] - yr[0])
    boxes = []
    for x, y, text in pts:
        cx, cy, hw, hh = x * sx, y * sy, 0.3 * 18 * len(str(text)), 0.65 * 18
        boxes.append((cx - hw, cy - hh, cx + hw, cy + hh))
    lines = [t for t in fig.data if t.mode == "lines"]
    for (x, y, text), line in zip(pts, lines, strict=True):  # label i on line i (W[j, k] order)
        y0, y1 = line.y
        assert 0.1 < x < 0.9 and math.isclose(y, y0 + (y1 - y0) * x, abs_tol=1e-9), (x, y, text)
    clashes = [
        (pts[i][2], pts[j][2])
        for i in range(len(boxes))
        for j in range(i)
        if boxes[i][0] < boxes[j][2] and boxes[j][0] < boxes[i][2]
        and boxes[i][1] < boxes[j][3] and boxes[j][1] < boxes[i][3]
    ]  # fmt: skip
    assert not clashes, clashes
