"""A loaded dataset: both splits as uint8 tensors, the class names, and what to tell the user."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

MAX_BUNDLE_BYTES = 2 << 30  # a loaded dataset (uint8, both splits) may take this much memory


@dataclass(frozen=True)
class DataBundle:
    name: str
    classes: tuple[str, ...]
    train_x: Tensor  # uint8 (N, C, H, W), or (N, F) for points
    train_y: Tensor  # int64 (N,)
    test_x: Tensor  # uint8 (M, C, H, W)
    test_y: Tensor  # int64 (M,)
    skipped: int = 0  # unreadable files skipped (folders)
    note: str = ""  # anything the user should know (e.g. files capped)
    source: str = ""  # the folder the files were read from ("" for the built-in sets)

    @property
    def shape(self) -> tuple[int, ...]:
        """One item's shape: an image's (C, H, W), or (N,) for flat points (toy 2-D sets)."""
        return tuple(int(d) for d in self.train_x.shape[1:])

    @property
    def is_flat(self) -> bool:
        """True for points (``[N, features]``), False for images (``[N, C, H, W]``)."""
        return self.train_x.dim() == 2
