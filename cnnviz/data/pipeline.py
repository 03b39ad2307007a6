"""The data pipeline in the course's words: normalization, the train/validation split,
iterations per epoch, augmentation, resizing and channel conversion. Pure torch;
re-exported by ``cnnviz.datasets``.

Normalization (``NormKind``): ``none`` feeds raw 0..255 floats, ``div255`` gives 0..1,
``standardize`` is torchvision's ``Normalize`` after ``ToTensor``: ``(x/255 - mean) / std``
with per-channel mean/std measured on the training split in 0..1 units (std with torch's
default Bessel correction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from cnnviz.data.kinds import NormKind

MIN_SIZE, MAX_SIZE = 4, 256  # image sides (pixels) any dataset can be resized to


@dataclass(frozen=True)
class Normalization:
    kind: NormKind = NormKind.DIV255
    mean: tuple[float, ...] = ()  # per channel, 0..1 units (standardize only)
    std: tuple[float, ...] = ()

    def apply(self, x_uint8: Tensor) -> Tensor:
        """float32 ``[..., C, H, W]`` on the input's device (works on one image or a batch).

        A 1-D or 2-D tensor is points (``[F]`` or ``[B, F]``): each feature is a channel.
        """
        x = x_uint8.to(torch.float32)
        if self.kind is NormKind.NONE:
            return x
        x = x / 255.0
        if self.kind is NormKind.DIV255:
            return x
        flat = x.dim() <= 2
        c = x.shape[-1] if flat else x.shape[-3]
        if len(self.mean) != c or len(self.std) != c:
            raise ValueError(
                f"normalization has {len(self.mean)} channel(s) of mean/std but the images have {c}: "
                "compute it again on this data (fit_normalization)"
            )
        view = (c,) if flat else (c, 1, 1)
        mean = torch.tensor(self.mean, dtype=torch.float32, device=x.device).view(view)
        std = torch.tensor(self.std, dtype=torch.float32, device=x.device).view(view)
        return (x - mean) / std

    def describe(self) -> str:
        """In the course's words, e.g. ``Normalize(mean=(0.131,), std=(0.308,)) after ÷255``."""
        if self.kind is NormKind.NONE:
            return "none: raw pixel values 0–255"
        if self.kind is NormKind.DIV255:
            return "÷255: pixel values 0–1 (ToTensor)"
        m = ", ".join(f"{v:.3f}" for v in self.mean)
        s = ", ".join(f"{v:.3f}" for v in self.std)
        return f"ToTensor (÷255) then Normalize(mean=({m}), std=({s}))"

    def to_dict(self) -> dict:
        return {"kind": str(self.kind), "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, d: dict) -> Normalization:
        return cls(
            NormKind(d.get("kind", "div255")),
            tuple(map(float, d.get("mean", ()))),
            tuple(map(float, d.get("std", ()))),
        )


def fit_normalization(kind: NormKind | str, train_x: Tensor, *, chunk: int = 4096) -> Normalization:
    """The normalization of ``kind``; for standardize, per-channel mean/std of ``train_x``/255."""
    kind = NormKind(kind)
    if kind is not NormKind.STANDARDIZE:
        return Normalization(kind)
    c = train_x.shape[1]
    if train_x.dtype == torch.uint8 and train_x.dim() == 4:
        return Normalization(kind, *_uint8_mean_std(train_x))
    dims = (0, 2, 3) if train_x.dim() == 4 else (0,)  # points [N, F]: per feature
    total = torch.zeros(c, dtype=torch.float64)
    total_sq = torch.zeros(c, dtype=torch.float64)
    for s in range(0, train_x.shape[0], chunk):
        part = train_x[s : s + chunk].to(torch.float64) / 255.0
        total += part.sum(dim=dims)
        total_sq += (part * part).sum(dim=dims)
    count = train_x[:, 0].numel()
    mean = total / count
    var = (total_sq - count * mean * mean) / max(count - 1, 1)
    std = var.clamp(min=0).sqrt().clamp(min=1e-6)  # a constant channel must not divide by 0
    return Normalization(kind, tuple(mean.tolist()), tuple(std.tolist()))


def _uint8_mean_std(x: Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean/std of uint8 images ``[N, C, H, W]`` /255, exactly, from the count of
    each of the 256 pixel levels (a tenth of the time of summing the pixels as floats)."""
    levels = torch.arange(256, dtype=torch.float64) / 255.0
    means, stds = [], []
    for k in range(x.shape[1]):
        counts = torch.bincount(x[:, k].reshape(-1), minlength=256).to(torch.float64)
        n = counts.sum()
        mean = (counts * levels).sum() / n
        var = ((counts * levels * levels).sum() - n * mean * mean) / max(n.item() - 1, 1)
        means.append(mean.item())
        stds.append(max(var.clamp(min=0).sqrt().item(), 1e-6))  # a constant channel: no 0
    return tuple(means), tuple(stds)


def split_train_val(
    x: Tensor, y: Tensor, val_fraction: float, seed: int = 0
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Stratified, deterministic split: ``round(val_fraction·N)`` images to validation, each
    class its share (``val_counts``: the remainders go to the classes with the largest ones).

    Returns ``(train_x, train_y, val_x, val_y)``; both parts in a seeded shuffled order.
    """
    if not 0 <= val_fraction < 1:
        raise ValueError(f"validation fraction must be in [0, 1), got {val_fraction}")
    g = torch.Generator().manual_seed(seed)
    val_idx, train_idx = [], []
    classes = torch.unique(y).tolist()
    counts = val_counts([int((y == c).sum()) for c in classes], val_fraction)
    for c, k in zip(classes, counts, strict=True):
        idx = (y == c).nonzero().squeeze(1)
        idx = idx[torch.randperm(len(idx), generator=g)]
        val_idx.append(idx[:k])
        train_idx.append(idx[k:])
    empty = torch.zeros(0, dtype=torch.long)
    tr = torch.cat(train_idx) if train_idx else empty
    va = torch.cat(val_idx) if val_idx else empty
    tr = tr[torch.randperm(len(tr), generator=g)]
    va = va[torch.randperm(len(va), generator=g)]
    return x[tr], y[tr], x[va], y[va]


def val_counts(class_sizes: list[int], val_fraction: float) -> list[int]:
    """Images of each class held out for validation, ``round(fraction · N)`` in all.

    Each class gets ``⌊fraction · n_c⌋`` and the few left over go one each to the classes
    with the largest remainders (the first of equal ones): 10 % of MNIST's 60,000 is 6,000,
    not the 5,999 that rounding each class apart gives."""
    exact = [val_fraction * n for n in class_sizes]
    counts = [int(e) for e in exact]
    left = round(val_fraction * sum(class_sizes)) - sum(counts)
    by_remainder = sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: max(0, left)]:
        counts[i] += 1
    return counts


def split_sizes(y: Tensor, val_fraction: float) -> tuple[int, int]:
    """``(train, validation)`` image counts that ``split_train_val`` gives for these labels."""
    sizes = [int(k) for k in torch.bincount(y).tolist() if k]
    n_val = sum(val_counts(sizes, val_fraction))
    return len(y) - n_val, n_val


def iterations_per_epoch(n: int, batch_size: int) -> int:
    """Mini-batches in one epoch: ``⌈N / B⌉`` (the last one may be smaller)."""
    return math.ceil(n / batch_size)


def augment_batch(
    x: Tensor,
    *,
    flip: bool = False,
    crop_padding: int = 0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Random horizontal flip (p=0.5) and random crop after zero padding, per image, vectorised.

    Works on a float (or uint8) batch ``[B, C, H, W]`` on any device; random numbers come
    from ``generator`` (on the CPU or on the batch's device) and are moved to the batch.
    Same as torchvision's ``RandomHorizontalFlip()`` + ``RandomCrop(H, padding=p)``.
    """
    if not flip and crop_padding <= 0:
        return x
    b, _, h, w = x.shape
    gen_device = generator.device if generator is not None else torch.device("cpu")
    if flip:
        mask = (torch.rand(b, generator=generator, device=gen_device) < 0.5).to(x.device)
        x = torch.where(mask.view(b, 1, 1, 1), x.flip(-1), x)
    if crop_padding > 0:
        p = int(crop_padding)
        padded = F.pad(x, (p, p, p, p))  # (B, C, H+2p, W+2p), zeros like RandomCrop's fill=0
        oy = torch.randint(0, 2 * p + 1, (b,), generator=generator, device=gen_device).to(x.device)
        ox = torch.randint(0, 2 * p + 1, (b,), generator=generator, device=gen_device).to(x.device)
        rows = (
            (oy[:, None] + torch.arange(h, device=x.device))
            .view(b, 1, h, 1)
            .expand(-1, x.shape[1], -1, w + 2 * p)
        )
        padded = padded.gather(2, rows)  # (B, C, H, W+2p)
        cols = (
            (ox[:, None] + torch.arange(w, device=x.device))
            .view(b, 1, 1, w)
            .expand(-1, x.shape[1], h, -1)
        )
        x = padded.gather(3, cols)  # (B, C, H, W)
    return x


def convert_images(
    x: Tensor, *, size: int | None = None, channels: int | None = None, chunk: int = 2048
) -> Tensor:
    """Resize (bilinear, antialiased) to ``size``×``size`` and convert channels, whole-tensor.

    1 → 3 channels repeats the grey value; 3 → 1 takes the luminance (0.299 R + 0.587 G +
    0.114 B, as PIL's "L"). Returns uint8. Unchanged input is returned as is.
    """
    c, h, w = x.shape[1:]
    if channels is not None and channels not in (1, 3):
        raise ValueError(f"channels must be 1 (greyscale) or 3 (RGB), got {channels}")
    if size is not None and not 4 <= size <= 256:
        raise ValueError(f"image size must be between 4 and 256 pixels, got {size}")
    want_c = channels or c
    want_hw = (size, size) if size else (h, w)
    if want_c == c and want_hw == (h, w):
        return x
    out = torch.empty(x.shape[0], want_c, *want_hw, dtype=torch.uint8)
    lum = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    for s in range(0, x.shape[0], chunk):
        part = x[s : s + chunk].float()
        if want_c == 1 and c == 3:
            part = (part * lum).sum(1, keepdim=True)
        elif want_c == 3 and c == 1:
            part = part.expand(-1, 3, -1, -1)
        if want_hw != (h, w):
            part = F.interpolate(
                part, size=want_hw, mode="bilinear", antialias=True, align_corners=False
            )
        out[s : s + chunk] = part.round_().clamp_(0, 255).to(torch.uint8)
    return out
