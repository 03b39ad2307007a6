"""A loaded dataset: both splits as uint8 tensors, the class names, and what to tell the user."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor


@dataclass(frozen=True)
class DataBundle:
    name: str
    classes: tuple[str, ...]
    train_x: Tensor  # uint8 (N, C, H, W)
    train_y: Tensor  # int64 (N,)
    test_x: Tensor  # uint8 (M, C, H, W)
    test_y: Tensor  # int64 (M,)
    skipped: int = 0  # unreadable files skipped (folders)
    note: str = ""  # anything the user should know (e.g. files capped)

    @property
    def shape(self) -> tuple[int, int, int]:
        """One image's (C, H, W)."""
        c, h, w = self.train_x.shape[1:]
        return (int(c), int(h), int(w))
