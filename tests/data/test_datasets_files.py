"""Data from files: torchvision layouts written by the test, image folders, ZIP safety. No network."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import urllib.request
import zipfile
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch
from PIL import Image

from cnnviz.data import catalog as C
from cnnviz.data import registry as D
from cnnviz.data import errors
from cnnviz.data import folders

MNIST_LIKE = [("mnist", "MNIST"), ("fashionmnist", "FashionMNIST"), ("kmnist", "KMNIST")]


@pytest.fixture(autouse=True)
def _fresh_cache():
    D.clear_cache()
    yield
    D.clear_cache()


def _idx_images(x: np.ndarray) -> bytes:
    return struct.pack(">IIII", 0x0803, *x.shape) + x.astype(np.uint8).tobytes()


def _idx_labels(y: np.ndarray) -> bytes:
    return struct.pack(">II", 0x0801, len(y)) + y.astype(np.uint8).tobytes()


def _write_mnist(root: Path, folder: str, *, gz: bool = False) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    arrays = {
        "train_x": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "train_y": np.arange(20) % 10,
        "test_x": rng.integers(0, 256, (7, 28, 28), dtype=np.uint8),
        "test_y": (np.arange(7) * 3) % 10,
    }
    files = {
        "train-images-idx3-ubyte": _idx_images(arrays["train_x"]),
        "train-labels-idx1-ubyte": _idx_labels(arrays["train_y"]),
        "t10k-images-idx3-ubyte": _idx_images(arrays["test_x"]),
        "t10k-labels-idx1-ubyte": _idx_labels(arrays["test_y"]),
    }
    for name, data in files.items():
        if gz:
            (raw / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (raw / name).write_bytes(data)
    return arrays


@pytest.mark.parametrize(("name", "folder"), MNIST_LIKE)
def test_mnist_family_from_idx_files(tmp_path, name, folder):
    arrays = _write_mnist(tmp_path, folder)
    b = D.load_dataset(name, data_dir=tmp_path)
    assert b.train_x.shape == (20, 1, 28, 28) and b.train_x.dtype == torch.uint8
    assert b.test_x.shape == (7, 1, 28, 28) and b.test_y.dtype == torch.int64
    assert np.array_equal(b.train_x[:, 0].numpy(), arrays["train_x"])
    assert b.train_y.tolist() == arrays["train_y"].tolist()
    assert b.test_y.tolist() == arrays["test_y"].tolist()
    assert b.classes == C.DATASETS[name].classes


def test_mnist_gz_copies_are_unpacked_and_resizing_works(tmp_path):
    arrays = _write_mnist(tmp_path, "MNIST", gz=True)
    b = D.load_dataset("mnist", data_dir=tmp_path, size=64, channels=3, n_train=10, seed=1)
    assert b.train_x.shape == (10, 3, 64, 64) and b.test_x.shape == (7, 3, 64, 64)
    assert (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    # the subset keeps each image with its own label
    full = D.load_dataset("mnist", data_dir=tmp_path)
    for img, label in zip(
        D.load_dataset("mnist", data_dir=tmp_path, n_train=10, seed=1).train_x,
        b.train_y,
        strict=True,
    ):
        i = next(i for i in range(20) if torch.equal(full.train_x[i], img))
        assert arrays["train_y"][i] == label


def test_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(errors.DatasetUnavailable) as e:
        D.load_dataset("fashionmnist", data_dir=tmp_path)
    msg = str(e.value)
    assert str((tmp_path / "FashionMNIST" / "raw").resolve()) in msg
    assert "train-images-idx3-ubyte" in msg and "Download" in msg


def test_download_offline_gives_a_clear_message(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    for name, folder in (("mnist", "MNIST/raw"), ("cifar10", "cifar-10-batches-py")):
        with pytest.raises(errors.DatasetUnavailable) as e:
            D.load_dataset(name, data_dir=tmp_path, download=True)
        msg = str(e.value)
        assert "offline" in msg and str((tmp_path / folder).resolve()) in msg


def _write_cifar(root: Path, monkeypatch) -> dict[str, np.ndarray]:
    import torchvision.datasets as tvd

    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True)
    rng = np.random.default_rng(1)
    train_list, batches = [], []
    for i in range(1, 6):
        data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
        labels = [(i + k) % 10 for k in range(4)]
        batches.append((data, labels))
        path = base / f"data_batch_{i}"
        path.write_bytes(pickle.dumps({"data": data, "labels": labels}))
        train_list.append([path.name, hashlib.md5(path.read_bytes()).hexdigest()])
    test = rng.integers(0, 256, (3, 3072), dtype=np.uint8)
    (base / "test_batch").write_bytes(pickle.dumps({"data": test, "labels": [9, 8, 7]}))
    meta = base / "batches.meta"
    meta.write_bytes(pickle.dumps({"label_names": list(C.DATASETS["cifar10"].classes)}))
    # torchvision checks each batch's md5 against the real files: point it at ours
    monkeypatch.setattr(tvd.CIFAR10, "train_list", train_list)
    monkeypatch.setattr(
        tvd.CIFAR10,
        "test_list",
        [["test_batch", hashlib.md5((base / "test_batch").read_bytes()).hexdigest()]],
    )
    monkeypatch.setattr(
        tvd.CIFAR10,
        "meta",
        {
            "filename": "batches.meta",
            "key": "label_names",
            "md5": hashlib.md5(meta.read_bytes()).hexdigest(),
        },
    )
    return {
        "train_x": np.concatenate([b[0] for b in batches]),
        "train_y": sum((b[1] for b in batches), []),
        "test_x": test,
    }


def test_cifar10_from_pickled_batches(tmp_path, monkeypatch):
    arrays = _write_cifar(tmp_path, monkeypatch)
    b = D.load_dataset("cifar10", data_dir=tmp_path)
    assert b.train_x.shape == (20, 3, 32, 32) and b.train_x.dtype == torch.uint8
    assert b.train_x.is_contiguous()
    # CIFAR rows are 1024 R, then G, then B values: exactly our [C, H, W]
    assert np.array_equal(b.train_x.reshape(20, -1).numpy(), arrays["train_x"])
    assert b.train_y.tolist() == arrays["train_y"]
    assert b.test_y.tolist() == [9, 8, 7]
    grey = D.load_dataset("cifar10", data_dir=tmp_path, channels=1, size=28)
    assert grey.train_x.shape == (20, 1, 28, 28)


def test_damaged_files_are_reported_not_raised(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        (raw / f).write_bytes(b"\x00\x00\x08\x03garbage")
    with pytest.raises(errors.DatasetUnavailable, match="damaged"):
        D.load_dataset("mnist", data_dir=tmp_path)


# ---------------------------------------------------------------------------- own images


def _png(colour: tuple[int, int, int], size=(12, 9)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def _make_folder(root: Path) -> Path:
    for cls, colour in (("cats", (200, 10, 10)), ("dogs", (10, 10, 200))):
        (root / cls).mkdir(parents=True)
        for i in range(5):
            (root / cls / f"{i}.png").write_bytes(_png(colour))
    (root / "dogs" / "broken.jpg").write_bytes(b"not an image at all")
    return root


def test_image_folder_counts_corrupt_files_as_skipped(tmp_path):
    b = folders.load_image_folder(_make_folder(tmp_path / "pets"), size=16, channels=3, test_fraction=0.2)
    assert b.classes == ("cats", "dogs")
    assert b.skipped == 1 and "1 unreadable" in b.note
    assert b.train_x.shape == (8, 3, 16, 16) and b.test_x.shape == (2, 3, 16, 16)
    assert torch.bincount(b.test_y).tolist() == [1, 1]  # stratified
    cats = b.train_x[b.train_y == 0]
    assert (cats[:, 0] > 150).all() and (cats[:, 2] < 50).all()  # colours survive, resized
    grey = folders.load_image_folder(tmp_path / "pets", size=8, channels=1)
    assert grey.train_x.shape[1:] == (1, 8, 8)


def test_image_folder_problems_are_messages(tmp_path):
    with pytest.raises(errors.DatasetUnavailable, match="does not exist"):
        folders.load_image_folder(tmp_path / "nope", size=8, channels=3)
    (tmp_path / "one" / "only").mkdir(parents=True)
    with pytest.raises(errors.DatasetUnavailable, match="at least two"):
        folders.load_image_folder(tmp_path / "one", size=8, channels=3)
    root = _make_folder(tmp_path / "x")
    (root / "empty").mkdir()
    with pytest.raises(
        errors.DatasetUnavailable, match="no readable image in the class folder.s. empty"
    ):
        folders.load_image_folder(root, size=8, channels=3)


def test_image_folder_cap(tmp_path):
    b = folders.load_image_folder(_make_folder(tmp_path / "pets"), size=8, channels=3, max_files=6)
    assert len(b.train_y) + len(b.test_y) + b.skipped <= 6
    assert "cap" in b.note


def _zip(entries: dict[str, bytes], **kw) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=kw.get("compression", zipfile.ZIP_STORED)) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_with_one_top_folder(tmp_path):
    data = _zip(
        {f"pets/{c}/{i}.png": _png((i * 40, 0, 0)) for c in ("cats", "dogs") for i in range(3)}
    )
    root = folders.extract_zip(data, tmp_path / "out")
    assert root.name == "pets" and sorted(p.name for p in root.iterdir()) == ["cats", "dogs"]
    b = folders.load_image_folder(root, size=8, channels=3, test_fraction=0.0)
    assert len(b.train_y) == 6
    flat = folders.extract_zip(
        _zip({"a/1.png": _png((1, 2, 3)), "b/1.png": _png((3, 2, 1))}), tmp_path / "flat"
    )
    assert flat == (tmp_path / "flat").resolve()


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        ({"../evil.txt": b"x"}, "outside"),
        ({"/etc/evil": b"x"}, "outside"),
        ({"a/../../evil": b"x"}, "outside"),
        ({"C:/evil": b"x"}, "outside"),
    ],
)
def test_zip_slip_refused(tmp_path, entries, match):
    with pytest.raises(errors.UnsafeArchive, match=match):
        folders.extract_zip(_zip(entries), tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()
    assert not any((tmp_path / "out").rglob("*")) if (tmp_path / "out").exists() else True


def test_zip_bomb_and_caps_refused(tmp_path):
    bomb = _zip({"a/zeros.bin": b"\0" * (20 * 1024 * 1024)}, compression=zipfile.ZIP_DEFLATED)
    assert len(bomb) < 100_000
    with pytest.raises(errors.UnsafeArchive, match="bomb"):
        folders.extract_zip(bomb, tmp_path / "out")
    with pytest.raises(errors.UnsafeArchive, match="at most 10 MiB"):
        folders.extract_zip(bomb, tmp_path / "out", max_total_bytes=10 * 1024 * 1024)
    many = _zip({f"a/{i}.png": b"x" for i in range(30)})
    with pytest.raises(errors.UnsafeArchive, match="30 entries"):
        folders.extract_zip(many, tmp_path / "out", max_members=20)


def test_zip_symlink_encrypted_and_not_a_zip(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        link = zipfile.ZipInfo("a/link")
        link.external_attr = 0o120777 << 16  # a symbolic link entry
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(errors.UnsafeArchive, match="symbolic link"):
        folders.extract_zip(buf.getvalue(), tmp_path / "out")
    enc = bytearray(_zip({"a/1.png": b"data"}))
    # set the "encrypted" flag bit in both the local and the central header
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        at = enc.find(sig)
        off = at + (6 if sig == b"PK\x03\x04" else 8)
        enc[off] |= 0x1
    with pytest.raises(errors.UnsafeArchive, match="encrypted"):
        folders.extract_zip(bytes(enc), tmp_path / "out")
    with pytest.raises(errors.UnsafeArchive, match="not a ZIP"):
        folders.extract_zip(b"GIF89a definitely not a zip", tmp_path / "out")


def test_is_downloaded_and_files_location(tmp_path):
    assert D.is_downloaded("shapes", tmp_path)
    assert not D.is_downloaded("mnist", tmp_path)
    folder, files = D.files_location("mnist", tmp_path)
    assert folder == tmp_path / "MNIST" / "raw" and "t10k-labels-idx1-ubyte" in files
    _write_mnist(tmp_path, "MNIST", gz=True)
    assert D.is_downloaded("mnist", tmp_path)
    assert D.files_location("cifar10", tmp_path)[0] == tmp_path / "cifar-10-batches-py"


def test_load_dataset_folder_by_name(tmp_path):
    root = _make_folder(tmp_path / "pets")
    b = D.load_dataset("folder", data_dir=root, size=8, channels=1)
    assert b.classes == ("cats", "dogs") and b.shape == (1, 8, 8) and b.skipped == 1
    assert C.FOLDER_INFO.source is D.Source.FOLDER and "folder" not in C.DATASETS
    with pytest.raises(ValueError, match="their folder"):
        D.load_dataset("folder")
    with pytest.raises(ValueError, match="between 4 and 256"):
        folders.load_image_folder(root, size=1000, channels=3)
