"""The data stage's closed vocabularies (no torch): where a dataset comes from, how pixels are scaled."""

from __future__ import annotations

from enum import StrEnum


class Source(StrEnum):
    BUILTIN = "builtin"  # drawn on the fly (Shapes), no download
    TORCHVISION = "torchvision"  # MNIST, Fashion-MNIST, KMNIST, CIFAR-10 from the data folder
    FOLDER = "folder"  # your own images: one sub-folder per class


class NormKind(StrEnum):
    """Normalization of the pixels before the forward pass."""

    NONE = "none"  # raw pixel values 0..255 as floats
    DIV255 = "div255"  # x / 255 -> 0..1 (ToTensor)
    STANDARDIZE = "standardize"  # (x/255 - mean) / std per channel, mean/std from the training split
