"""torchvision's datasets read whole into uint8 tensors, with messages a student can act on.

torchvision's classes do the finding, checking and downloading (``root`` is the data
folder, so MNIST lives in ``<root>/MNIST/raw``); we take ``.data``/``.targets`` whole and
never go through ``__getitem__`` (one PIL image per item). MNIST-style ``.gz`` files
copied by hand are unpacked next to themselves first, since torchvision reads the
unpacked ones.
"""

from __future__ import annotations

import gzip
import socket
from pathlib import Path
from urllib.error import URLError

import torch
from torch import Tensor

from cnnviz.data.errors import DatasetUnavailable

_MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_CIFAR_FILES = (
    "data_batch_1",
    "data_batch_2",
    "data_batch_3",
    "data_batch_4",
    "data_batch_5",
    "test_batch",
    "batches.meta",
)
_CLASSES = {
    "mnist": "MNIST",
    "fashionmnist": "FashionMNIST",
    "kmnist": "KMNIST",
    "cifar10": "CIFAR10",
}


def expected_files(name: str, root: Path) -> tuple[Path, tuple[str, ...]]:
    """The folder torchvision reads ``name`` from, and the files it needs there."""
    if name == "cifar10":
        return root / "cifar-10-batches-py", _CIFAR_FILES
    return root / _CLASSES[name] / "raw", _MNIST_FILES


def is_present(name: str, root: Path) -> bool:
    """Whether the files seem to be there (no checksum: cheap enough for every page run)."""
    folder, files = expected_files(name, root)
    if name == "cifar10" and (root / "cifar-10-python.tar.gz").is_file():
        return True
    return all((folder / f).is_file() or (folder / f"{f}.gz").is_file() for f in files)


def _where(name: str, root: Path) -> str:
    folder, files = expected_files(name, root)
    if name == "cifar10":
        return (
            f"put the files {', '.join(files)} in {folder.resolve()} "
            f"(or the archive cifar-10-python.tar.gz in {root.resolve()} and press Download to unpack it)"
        )
    return (
        f"put the files {', '.join(files)} (or the same names ending in .gz) in {folder.resolve()}"
    )


# The only honest sizes of the MNIST-family files (MNIST, FashionMNIST and KMNIST share them):
# an idx header (magic, then one big-endian int32 per dimension) and one byte per value.
_MNIST_SIZES = {
    "train-images-idx3-ubyte": 16 + 60_000 * 28 * 28,
    "train-labels-idx1-ubyte": 8 + 60_000,
    "t10k-images-idx3-ubyte": 16 + 10_000 * 28 * 28,
    "t10k-labels-idx1-ubyte": 8 + 10_000,
}


def idx_size(header: bytes) -> int | None:
    """The byte size an idx file's header promises (magic 0x0000_08_NN: uint8, NN dims), or None."""
    if len(header) < 4 or header[0] or header[1] or header[2] != 0x08 or not 1 <= header[3] <= 4:
        return None
    dims = header[3]
    if len(header) < 4 + 4 * dims:
        return None
    size = 4 + 4 * dims
    n = 1
    for i in range(dims):
        n *= int.from_bytes(header[4 + 4 * i : 8 + 4 * i], "big")
    return size + n


def _gunzip_capped(packed: Path, target: Path, limit: int) -> None:
    """Unpack ``packed`` into ``target``, refusing more than ``limit`` bytes or a lying header."""
    tmp = target.with_suffix(".part")
    try:
        with gzip.open(packed, "rb") as src, open(tmp, "wb") as dst:
            head = src.read(16)
            promised = idx_size(head)
            if promised is None or promised > limit:
                raise DatasetUnavailable(
                    f"{packed} is not an MNIST-style file (its header promises "
                    f"{'no idx data' if promised is None else f'{promised:,} bytes'}, at most "
                    f"{limit:,} are expected): delete it and press Download."
                )
            dst.write(head)
            written = len(head)
            while chunk := src.read(min(1 << 20, promised - written + 1)):
                written += len(chunk)
                if written > promised:
                    raise DatasetUnavailable(
                        f"{packed} unpacks to more than the {promised:,} bytes its header promises "
                        "(a damaged or crafted file): delete it and press Download."
                    )
                dst.write(chunk)
            if written != promised:
                raise DatasetUnavailable(
                    f"{packed} is cut short ({written:,} of {promised:,} bytes): delete it and "
                    "press Download."
                )
        tmp.replace(target)
    except DatasetUnavailable:
        tmp.unlink(missing_ok=True)
        raise
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        tmp.unlink(missing_ok=True)
        raise DatasetUnavailable(
            f"{packed} could not be unpacked ({e}): the file is damaged; delete it and download again."
        ) from e


def _gunzip_copies(folder: Path) -> None:
    """Unpack ``X.gz`` to ``X`` where only the packed file is there (files a user copied).

    Each file is capped at the size an MNIST-family file can honestly have, so a
    small gzip bomb cannot fill the disk.
    """
    for f in _MNIST_FILES:
        packed, plain = folder / f"{f}.gz", folder / f
        if packed.is_file() and not plain.is_file():
            _gunzip_capped(packed, plain, _MNIST_SIZES[f])


def _is_network_error(e: BaseException) -> bool:
    seen: set[int] = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, URLError | socket.timeout | ConnectionError | TimeoutError):
            return True
        if isinstance(e, RuntimeError) and "Error downloading" in str(e):
            return True  # torchvision's MNIST wraps every mirror's URLError in one RuntimeError
        e = e.__cause__ or e.__context__
    return False


def load_torchvision(
    name: str, root: Path, *, download: bool = False
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``(train_x, train_y, test_x, test_y)``: uint8 ``[N, C, H, W]`` and int64 ``[N]``."""
    import torchvision.datasets as tvd  # lazy: importing torchvision takes a while

    cls = getattr(tvd, _CLASSES[name])
    title = _CLASSES[name]
    folder, _ = expected_files(name, root)
    if name != "cifar10" and folder.is_dir():
        _gunzip_copies(folder)
    try:
        if download:
            root.mkdir(parents=True, exist_ok=True)
        train = cls(str(root), train=True, download=download)
        test = cls(str(root), train=False, download=False)
    except Exception as e:  # torchvision raises RuntimeError for "not found", URLError offline, ...
        if download and _is_network_error(e):
            raise DatasetUnavailable(
                f"{title}: could not reach the download server (offline?). Instead, {_where(name, root)}, "
                "then load again."
            ) from e
        if isinstance(e, RuntimeError) and "not found" in str(e).lower():
            hint = (
                " The files there look damaged: delete them and press Download again."
                if is_present(name, root)
                else ""
            )
            raise DatasetUnavailable(
                f"{title} is not in the data folder {root.resolve()}: press Download (command line: --download) "
                f"to fetch it, or {_where(name, root)}.{hint}"
            ) from e
        if isinstance(e, PermissionError):
            raise DatasetUnavailable(
                f"{title}: no permission to write in {root.resolve()}: choose another data folder."
            ) from e
        raise DatasetUnavailable(
            f"{title} could not be read from {folder.resolve()} ({type(e).__name__}: {e}). "
            "The files may be damaged: delete them and press Download again."
        ) from e
    return (*_tensors(train), *_tensors(test))


def _tensors(ds) -> tuple[Tensor, Tensor]:
    data = ds.data
    if isinstance(data, Tensor):  # MNIST family: uint8 (N, H, W)
        x = data.unsqueeze(1) if data.dim() == 3 else data
    else:  # CIFAR: numpy uint8 (N, H, W, C)
        x = torch.from_numpy(data).permute(0, 3, 1, 2)
    y = ds.targets if isinstance(ds.targets, Tensor) else torch.as_tensor(ds.targets)
    return x.to(torch.uint8).contiguous(), y.to(torch.int64)
