"""The datasets the app knows, as facts (no torch): name, source, channels, sizes, classes.

The Design page reads the input sizes from here without loading the data layer
(``cnnviz.data.registry`` loads the images and imports torch); the registry, the Shapes
set and the toy sets take their facts from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cnnviz.data.kinds import Source

SHAPE_CLASSES: tuple[str, ...] = (
    "circle",
    "square",
    "triangle",
    "cross",
    "star",
    "ring",
    "hexagon",
    "heart",
    "crescent",
    "arrow",
)


TOY_CLASSES = ("orange", "blue")  # the Playground's colours: class 0, class 1


class ToyKind(StrEnum):
    BLOBS = "blobs"
    XOR = "xor"
    CIRCLES = "circles"
    SPIRAL = "spiral"


TOY_TITLES: dict[ToyKind, str] = {
    ToyKind.BLOBS: "Two blobs",
    ToyKind.XOR: "XOR",
    ToyKind.CIRCLES: "Circles",
    ToyKind.SPIRAL: "Spiral",
}

TOY_WORDS: dict[ToyKind, str] = {
    ToyKind.BLOBS: "Two clouds of points: one straight line separates them (a linear problem).",
    ToyKind.XOR: "Opposite quadrants share a class: no straight line separates them.",
    ToyKind.CIRCLES: "A disc inside a ring: no straight line separates them.",
    ToyKind.SPIRAL: "Two interleaved spiral arms: needs a boundary bent many times.",
}


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    source: Source
    channels: int  # native channels
    size: tuple[int, int]  # native (H, W)
    classes: tuple[str, ...]
    description: str
    sizes: tuple[int, ...] = ()  # square sizes offered in the page; the first is the default
    n_train: int = 0  # images in the full training split
    n_test: int = 0
    folder: str = ""  # where torchvision keeps it under the data folder ("" for built in)
    features: int = 0  # points, not images: each item is a flat vector of this many numbers

    @property
    def item_shape(self) -> list[int]:
        """One item as the network's input: ``[C, H, W]`` for images, ``[N]`` for points."""
        return [self.features] if self.features else [self.channels, *self.size]


_DIGITS = tuple(str(i) for i in range(10))
DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in (
        DatasetInfo(
            "shapes", "Shapes (built in)", Source.BUILTIN, 3, (64, 64), SHAPE_CLASSES,
            "Ten shapes drawn on the fly (circle, square, triangle, …) at random positions, sizes, "
            "angles and colours, with clutter lines and noise. Needs no download.",
            sizes=(64, 32, 28), n_train=10_000, n_test=2_000,
        ),
        DatasetInfo(
            "mnist", "MNIST", Source.TORCHVISION, 1, (28, 28), _DIGITS,
            "Handwritten digits 0–9, greyscale 28×28 (LeCun et al.).",
            sizes=(28, 32, 64), n_train=60_000, n_test=10_000, folder="MNIST",
        ),
        DatasetInfo(
            "fashionmnist", "Fashion-MNIST", Source.TORCHVISION, 1, (28, 28),
            ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
            "Zalando clothing photos in 10 classes, greyscale 28×28: harder than MNIST.",
            sizes=(28, 32, 64), n_train=60_000, n_test=10_000, folder="FashionMNIST",
        ),
        DatasetInfo(
            "kmnist", "Kuzushiji-MNIST", Source.TORCHVISION, 1, (28, 28),
            ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
            "Ten cursive Japanese (Hiragana) characters, greyscale 28×28.",
            sizes=(28, 32, 64), n_train=60_000, n_test=10_000, folder="KMNIST",
        ),
        DatasetInfo(
            "cifar10", "CIFAR-10", Source.TORCHVISION, 3, (32, 32),
            ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
            "Small colour photos 32×32 in 10 classes (Krizhevsky): a real challenge for a small CNN.",
            sizes=(32, 64, 28), n_train=50_000, n_test=10_000, folder="cifar-10-batches-py",
        ),
        *(
            DatasetInfo(
                str(kind), f"Toy 2-D: {TOY_TITLES[kind]}", Source.BUILTIN, 0, (0, 0), TOY_CLASSES,
                f"{TOY_WORDS[kind]} Points (x₁, x₂) in the plane, two classes, for a network with a "
                "flat [2] input (the mlp-2-3-3-1 preset).",
                n_train=1_000, n_test=400, features=2,
            )
            for kind in ToyKind
        ),
    )
}  # fmt: skip
DEFAULT_DATASET = "shapes"
# your own images: not in DATASETS (it has no fixed classes); load_dataset("folder",
# data_dir=<the folder>, size=..., channels=...) reads it with load_image_folder
FOLDER_INFO = DatasetInfo(
    "folder", "Your own images", Source.FOLDER, 3, (64, 64), (),
    "A folder with one sub-folder per class (ImageFolder layout), or a ZIP of one.",
    sizes=(64, 32, 28, 96, 128),
)  # fmt: skip
