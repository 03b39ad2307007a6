"""Images to feed a lesson: the run's own dataset when it is at hand, else drawn Shapes.

``lesson_images(input_shape, dataset, n, seed) -> Images``: uint8 ``[n, C, H, W]`` test
images of the dataset the network was trained on (Shapes and the toy sets are made on
the spot; a torchvision set only when its files are already here, never downloaded),
else Shapes drawn at the design's size (1 or 3 channels, square, 8..256 pixels), else
seeded noise. ``source`` says which, in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Images:
    x: Tensor  # uint8 (n, C, H, W), or (n, F) for points
    y: Tensor  # int64 (n,), -1 when there are no labels
    classes: tuple[str, ...]
    source: str
    dataset: str = ""


def lesson_images(
    input_shape: list[int] | tuple[int, ...], dataset: str = "", n: int = 8, seed: int = 0
) -> Images:
    from cnnviz.data.catalog import DATASETS, SHAPE_CLASSES
    from cnnviz.data.registry import is_downloaded, load_dataset
    from cnnviz.data.shapes_set import make_shapes

    shape = [int(d) for d in input_shape]
    info = DATASETS.get(dataset)
    if info is not None and is_downloaded(dataset) and info.item_shape[0] in (shape[0], 1, 3):
        try:
            size = shape[1] if len(shape) == 3 else None
            chans = shape[0] if len(shape) == 3 else None
            b = load_dataset(
                dataset, size=size, channels=chans, n_train=max(n, 64), n_test=max(n, 64), seed=seed
            )
            if list(b.shape) == shape:
                return Images(
                    b.test_x[:n], b.test_y[:n], b.classes, f"{info.title} test images", dataset
                )
        except (ValueError, OSError):
            pass
    if len(shape) == 3 and shape[0] in (1, 3) and shape[1] == shape[2] and 8 <= shape[1] <= 256:
        x, y = make_shapes(n, size=shape[1], channels=shape[0], seed=seed + 7)
        return Images(x, y, SHAPE_CLASSES, "Shapes images drawn for this input size", "shapes")
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n, *shape), generator=g, dtype=torch.uint8)
    return Images(x, torch.full((n,), -1), (), "random noise (no dataset has this input shape)")


__all__ = ["Images", "lesson_images"]
