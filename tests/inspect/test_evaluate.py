"""Evaluation: confusion counts against hand-computed ones, accuracy, mistakes order."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cnnviz.design.build import build_model
from cnnviz.design.presets import PRESETS
from cnnviz.inspect.capture import CaptureError
from cnnviz.inspect.evaluate import confusion_matrix, evaluate, inference_copy, normalize_rows


def test_confusion_matrix_by_hand() -> None:
    y_true = [0, 0, 1, 1, 1, 2, 2, 0]
    y_pred = [0, 1, 1, 1, 2, 2, 0, 0]
    # true 0: predicted 0, 1, 0 -> [2, 1, 0]; true 1: 1, 1, 2 -> [0, 2, 1]; true 2: 2, 0 -> [1, 0, 1]
    expected = torch.tensor([[2, 1, 0], [0, 2, 1], [1, 0, 1]])
    cm = confusion_matrix(y_true, y_pred, 3)
    assert cm.dtype == torch.int64
    assert torch.equal(cm, expected)
    assert int(cm.sum()) == len(y_true)
    norm = normalize_rows(cm)
    torch.testing.assert_close(norm.sum(1), torch.ones(3, dtype=torch.float64))
    assert norm[0, 1] == pytest.approx(1 / 3)


def test_confusion_matrix_absent_class_and_bad_labels() -> None:
    cm = confusion_matrix([0, 0], [0, 2], 4)
    assert cm[1].sum() == 0 and cm[0, 2] == 1
    assert torch.equal(normalize_rows(cm)[1], torch.zeros(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix([0, 5], [0, 1], 3)
    with pytest.raises(ValueError, match="labels"):
        confusion_matrix([0, 1], [0], 3)


class Lookup(nn.Module):
    """Logits chosen per image: the image's first pixel is its row in a table."""

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.table = table

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.table[x.reshape(x.shape[0], -1)[:, 0].round().long()]


def test_evaluation_fields_and_mistakes_order() -> None:
    table = torch.tensor(
        [
            [5.0, 0.0, 0.0],  # pred 0
            [0.0, 1.0, 0.0],  # pred 1 (weakly)
            [0.0, 0.0, 9.0],  # pred 2 (very sure)
            [0.0, 3.0, 0.0],  # pred 1 (fairly sure)
        ]
    )
    rows = torch.tensor([0, 1, 2, 3, 2, 0])
    x = rows.to(torch.uint8).view(6, 1, 1, 1)
    y = torch.tensor([0, 0, 1, 1, 2, 2])  # right: 0, 3, 4; wrong: 1 (0->1), 2 (1->2), 5 (2->0)
    ev = evaluate(Lookup(table), x, y, lambda t: t.float(), batch_size=4)
    assert torch.equal(ev.predictions, torch.tensor([0, 1, 2, 1, 2, 0]))
    assert ev.accuracy == pytest.approx(3 / 6)
    torch.testing.assert_close(
        ev.per_class_accuracy, torch.tensor([0.5, 0.5, 0.5], dtype=torch.float64)
    )
    assert torch.equal(ev.confusion, confusion_matrix(y, ev.predictions, 3))
    torch.testing.assert_close(ev.probabilities.sum(1), torch.ones(6))
    ms = ev.mistakes()
    assert [m.index for m in ms] == [2, 5, 1]  # confidence 9 > 5 > 1
    assert ms[0].true == 1 and ms[0].pred == 2
    assert ms[0].confidence == pytest.approx(float(torch.softmax(table[2], 0)[2]))
    assert ms[0].true_prob == pytest.approx(float(torch.softmax(table[2], 0)[1]))
    assert [m.index for m in ev.mistakes(2)] == [2, 5]
    assert [m.index for m in ev.mistakes(true=2)] == [5]
    assert ev.cell(1, 1).tolist() == [3]
    assert ev.cell(0, 0).tolist() == [0]


def test_matches_plain_forward_pass_and_leaves_model_alone() -> None:
    torch.manual_seed(0)
    model = build_model(PRESETS["mnist-basic"].new_spec())
    with torch.no_grad():  # non-trivial BatchNorm2d statistics, so folding it matters
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(0.5, 2)
                m.bias.uniform_(-1, 1)
    model.train()
    x = torch.randint(0, 256, (50, 1, 28, 28), dtype=torch.uint8)
    y = torch.randint(0, 10, (50,))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ev = evaluate(model, x, y, None, batch_size=16)
    assert all(m.training for m in model.modules())
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    model.eval()
    with torch.no_grad():
        ref = torch.softmax(model(x.float() / 255), 1)
    torch.testing.assert_close(ev.probabilities, ref, atol=1e-5, rtol=1e-4)
    assert torch.equal(ev.predictions, ref.argmax(1))
    fast = inference_copy(model)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.Dropout)) for m in fast.modules())


def test_normalization_object_with_apply_is_used() -> None:
    class Norm:
        calls = 0

        def apply(self, x: torch.Tensor) -> torch.Tensor:
            Norm.calls += 1
            return x.float() * 0

    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    ev = evaluate(
        model, torch.ones(10, 1, 2, 2, dtype=torch.uint8), torch.zeros(10), Norm(), batch_size=3
    )
    assert Norm.calls == 4 and ev.count == 10


def test_progress_and_clear_errors() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    seen = []
    x = torch.zeros(7, 1, 2, 2, dtype=torch.uint8)
    evaluate(
        model, x, torch.zeros(7), None, batch_size=3, progress=lambda d, n: seen.append((d, n))
    )
    assert seen == [(3, 7), (6, 7), (7, 7)]
    with pytest.raises(CaptureError, match="7 images but 6 labels"):
        evaluate(model, x, torch.zeros(6), None)
    with pytest.raises(CaptureError, match="out_features 5"):
        evaluate(model, x, torch.full((7,), 4), None)
    with pytest.raises(CaptureError, match="cannot take these images"):
        evaluate(model, torch.zeros(2, 3, 2, 2, dtype=torch.uint8), torch.zeros(2), None)
    with pytest.raises(CaptureError, match="Flatten and Linear"):
        evaluate(nn.Sequential(nn.Conv2d(1, 2, 1)), x, torch.zeros(7), None)


def test_with_the_datasets_normalization() -> None:
    from cnnviz.data.kinds import NormKind
    from cnnviz.data.pipeline import Normalization

    norm = Normalization(NormKind.STANDARDIZE, (0.5,), (0.25,))
    torch.manual_seed(3)
    model = build_model(PRESETS["lenet5"].new_spec())
    x = torch.randint(0, 256, (20, 1, 28, 28), dtype=torch.uint8)
    y = torch.randint(0, 10, (20,))
    ev = evaluate(model, x, y, norm)
    model.eval()
    with torch.no_grad():
        ref = model((x.float() / 255 - 0.5) / 0.25).argmax(1)
    assert torch.equal(ev.predictions, ref)


def test_empty_split() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    ev = evaluate(
        model, torch.zeros(0, 1, 2, 2, dtype=torch.uint8), torch.zeros(0), None, num_classes=3
    )
    assert ev.count == 0 and ev.accuracy == 0.0 and ev.confusion.shape == (3, 3)
    assert ev.mistakes() == []
