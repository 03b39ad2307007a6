"""Datasets: a registry of facts, loading to one uint8 tensor per split, and the pipeline steps.

Every dataset becomes a ``DataBundle``: ``train_x``/``test_x`` uint8 ``[N, C, H, W]``,
``train_y``/``test_y`` int64 ``[N]``. Nothing is converted per item through PIL:
torchvision's ``.data``/``.targets`` are taken whole, resizing and channel conversion run
on the whole tensor (chunked). Bundles are cached in-process (a small LRU keyed by name,
folder, size, channels, counts and seed); treat their tensors as read-only.

- ``shapes`` (default): built in, procedural, no network (``cnnviz.data_shapes``).
  Train images from ``seed``, test images from a different seed.
- ``blobs``, ``xor``, ``circles``, ``spiral``: toy 2-D points (``cnnviz.data.toy``), two
  classes, for a network with a flat ``[2]`` input; stored as uint8 ``[N, 2]``
  (``DatasetInfo.features == 2``), so every pipeline step treats them like pixels.
- ``mnist``, ``fashionmnist``, ``kmnist``, ``cifar10``: torchvision's classes with
  ``root=data_dir`` (MNIST lives in ``<data_dir>/MNIST/raw``); ``download=True`` fetches.
  Missing files or a failed download raise ``DatasetUnavailable`` saying what to do.
- Your own images: ``load_image_folder`` / ``extract_zip`` (``cnnviz.data_files``).

Pipeline steps (``cnnviz.data_pipeline``, re-exported here). Normalization (``NormKind``):
``none`` feeds raw 0..255 floats, ``div255`` gives 0..1,
``standardize`` is torchvision's ``Normalize`` after ``ToTensor``: ``(x/255 - mean) / std``
with per-channel mean/std measured on the training split in 0..1 units (std with torch's
default Bessel correction).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from cnnviz.data.bundle import MAX_BUNDLE_BYTES, DataBundle
from cnnviz.data.kinds import Source
from cnnviz.data.errors import DatasetUnavailable, UnsafeArchive
from cnnviz.data.folders import extract_zip, load_image_folder
from cnnviz.data.pipeline import Normalization, MAX_SIZE, MIN_SIZE, augment_batch, convert_images, fit_normalization, iterations_per_epoch, split_train_val
from cnnviz.data.kinds import NormKind
from cnnviz.data.shapes_set import SHAPE_CLASSES, make_shapes
from cnnviz.data.toy import TOY_CLASSES, TOY_TITLES, TOY_WORDS, ToyKind, make_toy, to_uint8
from cnnviz.data.torchvision_sets import expected_files, is_present, load_torchvision
from cnnviz.settings.env import data_dir as env_data_dir

__all__ = [
    "DATASETS",
    "DEFAULT_DATASET",
    "FOLDER_INFO",
    "DatasetInfo",
    "clear_cache",
    "default_data_dir",
    "is_downloaded",
    "load_arguments",
    "load_dataset",
]



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


def default_data_dir() -> Path:
    """``$CNNVIZ_DATA_DIR``, else ``./data``."""
    return env_data_dir()


def is_downloaded(name: str, data_dir: str | os.PathLike | None = None) -> bool:
    """Whether ``name``'s files seem to be in the data folder (built-in sets: always; no checksum)."""
    info = DATASETS[name]
    if info.source is Source.BUILTIN:
        return True
    return is_present(name, Path(data_dir) if data_dir is not None else default_data_dir())


def files_location(
    name: str, data_dir: str | os.PathLike | None = None
) -> tuple[Path, tuple[str, ...]]:
    """The folder a torchvision set is read from and the file names expected there."""
    return expected_files(name, Path(data_dir) if data_dir is not None else default_data_dir())


# ---------------------------------------------------------------------------- loading

_CACHE: OrderedDict[tuple, DataBundle] = OrderedDict()
_CACHE_SIZE = 4
_CACHE_LOCK = threading.Lock()  # jobs and sessions load from several threads


def _subset(x: Tensor, y: Tensor, n: int | None, seed: int) -> tuple[Tensor, Tensor]:
    if n is None or n >= len(y):
        return x, y
    idx = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[:n]
    return x[idx], y[idx]


def load_dataset(
    name: str,
    *,
    data_dir: str | os.PathLike | None = None,
    download: bool = False,
    size: int | None = None,
    channels: int | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
) -> DataBundle:
    """Load a registered dataset as one uint8 tensor per split (cached in-process).

    ``size``/``channels`` default to the dataset's own; ``n_train``/``n_test`` take a
    seeded random subset (Shapes: how many to draw; defaults 10,000 / 2,000).
    Raises ``DatasetUnavailable`` (files missing, download failed) and ``ValueError``
    (unknown name, bad size or channels) with messages meant for the user.
    """
    info = FOLDER_INFO if name == FOLDER_INFO.name else DATASETS.get(name)
    if info is None:
        raise ValueError(
            f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)} (or folder)"
        )
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    if size is not None and not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"image size must be between 4 and {MAX_SIZE} pixels, got {size}")
    if channels is not None and channels not in (1, 3):
        raise ValueError(f"channels must be 1 (greyscale) or 3 (RGB), got {channels}")
    for label, n in (("training", n_train), ("test", n_test)):
        if n is not None and n < 1:
            raise ValueError(f"number of {label} images must be at least 1, got {n}")
    key = (
        name,
        str(root.resolve()) if info.source is not Source.BUILTIN else "",
        size,
        channels,
        n_train,
        n_test,
        seed,
    )
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    if info.source is not Source.FOLDER:
        _check_memory(info, size, channels, n_train, n_test)
    if info.source is Source.FOLDER:
        if data_dir is None:
            raise ValueError(
                "your own images need their folder: give it as the data folder (--data-dir)"
            )
        b = load_image_folder(
            root, size=size or info.size[0], channels=channels or info.channels, seed=seed
        )
        tx, ty = _subset(b.train_x, b.train_y, n_train, seed)
        vx, vy = _subset(b.test_x, b.test_y, n_test, seed + 1)
        bundle = DataBundle(b.name, b.classes, tx, ty, vx, vy, b.skipped, b.note, str(root))
    elif info.features:  # toy points: one byte per coordinate, like an image's pixels
        tp, ty = make_toy(name, n_train or info.n_train, seed=seed)
        vp, vy = make_toy(name, n_test or info.n_test, seed=seed + 1_000_003)
        bundle = DataBundle(name, info.classes, to_uint8(tp), ty, to_uint8(vp), vy)
    elif info.source is Source.BUILTIN:
        s = size or info.size[0]
        c = channels or info.channels
        tx, ty = make_shapes(n_train or info.n_train, size=s, channels=c, seed=seed)
        vx, vy = make_shapes(n_test or info.n_test, size=s, channels=c, seed=seed + 1_000_003)
        bundle = DataBundle(name, info.classes, tx, ty, vx, vy)
    else:
        tx, ty, vx, vy = load_torchvision(name, root, download=download)
        tx, ty = _subset(tx, ty, n_train, seed)
        vx, vy = _subset(vx, vy, n_test, seed + 1)
        bundle = DataBundle(
            name, info.classes,
            convert_images(tx, size=size, channels=channels), ty,
            convert_images(vx, size=size, channels=channels), vy, source=str(root.resolve()),
        )  # fmt: skip
    with _CACHE_LOCK:
        _CACHE[key] = bundle
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return bundle


def load_arguments(bundle: DataBundle) -> dict | None:
    """The ``load_dataset`` keyword arguments that made ``bundle`` (still in the cache), else None.

    Lets another machine make the same data itself (the built-in Shapes set is drawn
    from its seed) instead of receiving every image.
    """
    with _CACHE_LOCK:
        for (name, _root, size, channels, n_train, n_test, seed), b in _CACHE.items():
            if b is bundle:
                return {
                    "name": name, "size": size, "channels": channels,
                    "n_train": n_train, "n_test": n_test, "seed": seed,
                }  # fmt: skip
    return None


def _check_memory(
    info: DatasetInfo,
    size: int | None,
    channels: int | None,
    n_train: int | None,
    n_test: int | None,
) -> None:
    s, c = size or info.size[0], channels or info.channels
    n = min(n_train or info.n_train, info.n_train if info.source is not Source.BUILTIN else 1 << 62)
    n += min(n_test or info.n_test, info.n_test if info.source is not Source.BUILTIN else 1 << 62)
    need = n * (info.features or c * s * s)
    if need > MAX_BUNDLE_BYTES:
        gib = 1 << 30
        raise ValueError(
            f"{info.title} as {n:,} images of {c}×{s}×{s} would take {need / gib:.1f} GiB of memory "
            f"(at most {MAX_BUNDLE_BYTES / gib:.0f} GiB): use fewer images or a smaller image size."
        )


def clear_cache() -> None:
    """Forget loaded bundles (tests; or after files changed on disk)."""
    with _CACHE_LOCK:
        _CACHE.clear()
