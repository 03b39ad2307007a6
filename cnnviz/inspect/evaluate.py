"""How well a trained network does on a split: accuracy, confusion matrix, mistakes.

The images stay uint8 until a mini-batch is taken; each mini-batch is
normalized, then sent through an eval-mode copy of the network (see
``inference_copy``) under ``torch.no_grad()``: no backward pass, and the
caller's model (maybe still training) is never touched.

API::

    ev = evaluate(model, test_x_uint8, test_y, normalization)   # Normalization or any callable
    ev.accuracy, ev.per_class_accuracy, ev.confusion            # confusion[true, pred] counts
    ev.mistakes(16)          # most confident wrong answers first
    ev.cell(true=3, pred=5)  # indices of the images in one confusion-matrix cell
    confusion_matrix(y_true, y_pred, n), normalize_rows(counts)

``normalization`` may be a ``cnnviz.datasets.Normalization`` (anything with
``.apply(x_uint8) -> float``), any callable ``x_uint8 -> float``, or None
(meaning ``x / 255``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from cnnviz.inspect.capture import CaptureError, split_softmax

MAX_EVAL_IMAGES = 200_000


@dataclass(frozen=True)
class Mistake:
    index: int  # position in the split
    true: int
    pred: int
    confidence: float  # probability the network gave its (wrong) prediction
    true_prob: float  # probability it gave the right class


@dataclass(frozen=True)
class Evaluation:
    targets: torch.Tensor  # int64 [N]
    predictions: torch.Tensor  # int64 [N]
    probabilities: torch.Tensor  # float32 [N, K], rows sum to 1
    confusion: torch.Tensor  # int64 [K, K], rows = true class, columns = predicted class

    @property
    def num_classes(self) -> int:
        return int(self.confusion.shape[0])

    @property
    def count(self) -> int:
        return int(self.targets.numel())

    @property
    def correct(self) -> int:
        return int((self.predictions == self.targets).sum())

    @property
    def accuracy(self) -> float:
        """Fraction right, 0..1 (0 for an empty split)."""
        return self.correct / self.count if self.count else 0.0

    @property
    def per_class_accuracy(self) -> torch.Tensor:
        """float64 [K]: for each true class, the fraction predicted right (nan: class absent)."""
        counts = self.confusion.double()
        return counts.diagonal() / counts.sum(1)  # 0/0 -> nan

    def normalized_confusion(self) -> torch.Tensor:
        """Rows divided by their sums: row t is where images of class t went (rows sum to 1)."""
        return normalize_rows(self.confusion)

    def confidence(self) -> torch.Tensor:
        """float32 [N]: the probability of each image's predicted class."""
        return self.probabilities.gather(1, self.predictions[:, None]).squeeze(1)

    def mistakes(
        self, k: int | None = None, *, true: int | None = None, pred: int | None = None
    ) -> list[Mistake]:
        """Wrong answers, the most confident first (ties: lower index first), at most ``k``.

        ``true`` / ``pred`` restrict to one row / column of the confusion matrix.
        """
        wrong = self.predictions != self.targets
        if true is not None:
            wrong &= self.targets == true
        if pred is not None:
            wrong &= self.predictions == pred
        idx = wrong.nonzero().squeeze(1)
        conf = self.confidence()[idx]
        order = torch.sort(conf, descending=True, stable=True).indices
        idx = idx[order][:k] if k is not None else idx[order]
        out = []
        for i in idx.tolist():
            t, p = int(self.targets[i]), int(self.predictions[i])
            pr = self.probabilities[i]
            out.append(Mistake(i, t, p, float(pr[p]), float(pr[t])))
        return out

    def cell(self, true: int, pred: int) -> torch.Tensor:
        """int64 indices of the images of class ``true`` predicted as ``pred``, most confident first."""
        sel = ((self.targets == true) & (self.predictions == pred)).nonzero().squeeze(1)
        order = torch.sort(self.confidence()[sel], descending=True, stable=True).indices
        return sel[order]


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int) -> torch.Tensor:
    """int64 [K, K] counts: entry [t, p] = how many images of class t were predicted p.

    Computed as one bincount of ``t * K + p`` (each pair gets its own bin).
    """
    t = torch.as_tensor(y_true, dtype=torch.int64).reshape(-1)
    p = torch.as_tensor(y_pred, dtype=torch.int64).reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"{t.numel()} labels but {p.numel()} predictions")
    for name, v in (("label", t), ("prediction", p)):
        if v.numel() and (int(v.min()) < 0 or int(v.max()) >= num_classes):
            raise ValueError(f"a {name} is outside 0..{num_classes - 1}")
    flat = torch.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def normalize_rows(counts: torch.Tensor) -> torch.Tensor:
    """float64 counts / row sums (rows of an absent class stay 0)."""
    c = torch.as_tensor(counts).double()
    sums = c.sum(1, keepdim=True)
    return torch.where(sums > 0, c / sums.clamp(min=1e-12), torch.zeros_like(c))


def inference_copy(model: nn.Module) -> nn.Module:
    """An eval-mode copy of the network that computes the same outputs faster.

    A copy, so a model still training in another thread is neither disturbed nor changes
    mid-evaluation. In the copy (a Sequential only): each BatchNorm2d right after a Conv2d is
    folded into the conv's weights and bias (eval-mode BatchNorm2d is a fixed per-channel
    scale and shift), Dropout (a no-op in evaluation) is left out, ReLU works in place, and
    tensors use the channels-last memory layout. The trailing Softmax is left out too: the
    caller takes logits.
    """
    body, _ = split_softmax(model)
    body = copy.deepcopy(body).eval()
    if not isinstance(body, nn.Sequential):
        return body
    out: list[nn.Module] = []
    for m in body.children():
        prev = out[-1] if out else None
        if (
            isinstance(m, nn.BatchNorm2d)
            and isinstance(prev, nn.Conv2d)
            and m.running_mean is not None
            and m.running_var is not None
        ):
            out[-1] = fuse_conv_bn_eval(prev, m)
            continue
        if isinstance(m, nn.Dropout):
            continue
        if isinstance(m, nn.ReLU) and isinstance(prev, (nn.Conv2d, nn.Linear, nn.BatchNorm2d)):
            m = nn.ReLU(inplace=True)  # only on a fresh tensor, never on a view of the input
        out.append(m)
    fast = nn.Sequential(*out) if out else nn.Sequential(nn.Identity())
    return fast.to(memory_format=torch.channels_last)


Normalizer = Callable[[torch.Tensor], torch.Tensor]


def as_normalizer(normalization: Any) -> Normalizer:
    """A callable uint8 -> float32 from a Normalization, a callable, or None (x / 255)."""
    if normalization is None:
        return lambda x: x.float() / 255.0
    apply = getattr(normalization, "apply", None)
    if callable(apply):
        return apply
    if callable(normalization):
        return normalization
    raise TypeError(
        f"normalization must be callable or have .apply, got {type(normalization).__name__}"
    )


def evaluate(
    model: nn.Module,
    x_uint8: torch.Tensor,
    y: torch.Tensor,
    normalization: Any = None,
    *,
    batch_size: int = 512,
    device: str | torch.device = "cpu",
    num_classes: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Predictions for every image of a split, in mini-batches (eval mode, no_grad).

    ``x_uint8`` [N, C, H, W] (or [N, F]) uint8, ``y`` [N] int labels. ``num_classes``
    defaults to the width of the network's output. ``progress(done, total)`` is called
    after each mini-batch. Raises CaptureError with a clear message when the images
    do not fit the network or the labels do not fit its outputs.
    """
    n = int(x_uint8.shape[0])
    y = torch.as_tensor(y, dtype=torch.int64).reshape(-1)
    if y.numel() != n:
        raise CaptureError(f"{n} images but {y.numel()} labels")
    if n > MAX_EVAL_IMAGES:
        raise CaptureError(
            f"{n} images is more than the {MAX_EVAL_IMAGES} evaluated here: use a subset"
        )
    batch_size = max(1, min(int(batch_size), 4096))
    norm = as_normalizer(normalization)
    dev = torch.device(device)
    fast = inference_copy(model).to(dev)
    logits_parts: list[torch.Tensor] = []
    with torch.no_grad():
        for start in range(0, n, batch_size):
            xb = norm(x_uint8[start : start + batch_size]).to(dev, torch.float32)
            if xb.dim() == 4:
                xb = xb.contiguous(memory_format=torch.channels_last)
            try:
                out = fast(xb)
            except (RuntimeError, ValueError, TypeError, IndexError) as e:
                raise CaptureError(
                    f"the network cannot take these images (shape {list(x_uint8.shape[1:])}): {e}. "
                    "Evaluate with the dataset the network was built for."
                ) from e
            if out.dim() != 2:
                raise CaptureError(
                    f"the network's output has shape {list(out.shape)}, not class scores [B, K]: "
                    "end it with Flatten and Linear(…, number of classes)"
                )
            logits_parts.append(out.float().cpu())
            if progress is not None:
                progress(min(start + batch_size, n), n)
    width = logits_parts[0].shape[1] if logits_parts else (num_classes or 0)
    k = num_classes or width
    if width != k:
        raise CaptureError(
            f"the network has {width} outputs but the data has {k} classes: "
            f"make the last Linear's out_features {k}"
        )
    if n and int(y.max()) >= k:
        raise CaptureError(
            f"a label is {int(y.max())} but the network has only {k} outputs: "
            f"make the last Linear's out_features {int(y.max()) + 1}"
        )
    logits = torch.cat(logits_parts) if logits_parts else torch.zeros(0, k)
    probs = torch.softmax(logits, dim=1)
    preds = logits.argmax(1)
    return Evaluation(y, preds, probs, confusion_matrix(y, preds, k))
