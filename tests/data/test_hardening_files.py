"""What a visitor's files cannot do to the server: decompression caps, formats, folders, budgets.

Every file here is written by the test: gzip bombs under ``MNIST/raw``, a
PostScript file named ``cat.png`` (with a fake ``gs`` on PATH that would leave
a mark if Pillow started it), folders with links out, deep or huge trees, and
uploads that must not stay on the disk.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.data import folders, uploads
from cnnviz.data.access import FolderRefused, check_server_folder, walk_files
from cnnviz.data.errors import DatasetUnavailable, UnsafeArchive
from cnnviz.data.folders import load_image_folder
from cnnviz.data.torchvision_sets import _gunzip_copies, idx_size
from cnnviz.inspect.image_steps import ImageError
from cnnviz.inspect.images import open_image

HEADER_T10K = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (10_000, 28, 28))
EPS = (
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"
    b"newpath 0 0 moveto 10 10 lineto stroke showpage\n%%EOF\n"
)


def _png(color: int = 128, size: int = 6) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), color, np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def _raw(tmp_path: Path) -> Path:
    folder = tmp_path / "MNIST" / "raw"
    folder.mkdir(parents=True)
    return folder


# ---------------------------------------------------------------- decompression caps


def test_a_gzip_bomb_with_an_honest_header_is_cut_at_the_size_it_promises(tmp_path):
    raw = _raw(tmp_path)
    with gzip.open(raw / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(HEADER_T10K)
        for _ in range(64):
            f.write(bytes(1 << 20))  # 64 MiB of zeros: a few hundred KB packed
    assert (raw / "t10k-images-idx3-ubyte.gz").stat().st_size < 1 << 20
    with pytest.raises(DatasetUnavailable, match="more than the 7,840,016 bytes"):
        _gunzip_copies(raw)
    assert sorted(p.name for p in raw.iterdir()) == ["t10k-images-idx3-ubyte.gz"]  # no .part


def test_a_header_that_promises_too_much_is_refused_before_writing(tmp_path):
    raw = _raw(tmp_path)
    huge = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (10**6, 280, 280))
    with gzip.open(raw / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(huge + bytes(1000))
    with pytest.raises(DatasetUnavailable, match="at most 7,840,016 are expected"):
        _gunzip_copies(raw)
    assert not (raw / "t10k-images-idx3-ubyte").exists()


def test_an_honest_file_unpacks_exactly(tmp_path):
    raw = _raw(tmp_path)
    labels = bytes([0, 0, 8, 1]) + (10_000).to_bytes(4, "big") + bytes(range(10)) * 1000
    with gzip.open(raw / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(labels)
    _gunzip_copies(raw)
    assert (raw / "t10k-labels-idx1-ubyte").read_bytes() == labels
    assert idx_size(labels[:16]) == len(labels)


# ---------------------------------------------------------------- formats (no Ghostscript)


@pytest.fixture
def fake_gs(tmp_path, monkeypatch) -> Path:
    """A ``gs`` first on PATH that leaves a mark when anything runs it."""
    mark = tmp_path / "gs-ran"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gs = bin_dir / "gs"
    gs.write_text(f"#!/bin/sh\ntouch {mark}\nexit 1\n")
    gs.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    from PIL import EpsImagePlugin

    monkeypatch.setattr(EpsImagePlugin, "gs_binary", str(gs), raising=False)
    monkeypatch.setattr(EpsImagePlugin, "gs_windows_binary", None, raising=False)
    return mark


def test_postscript_named_cat_png_is_refused_in_inspect_and_gs_never_runs(tmp_path, fake_gs):
    (tmp_path / "cat.png").write_bytes(EPS)
    with pytest.raises(ImageError, match="not an image"):
        open_image(tmp_path / "cat.png")
    with pytest.raises(ImageError, match="not an image"):
        open_image(EPS)
    assert not fake_gs.exists()
    # the same bytes would reach Ghostscript through Pillow's own sniffing
    with Image.open(tmp_path / "cat.png") as im:
        assert im.format == "EPS"


def test_postscript_inside_a_folder_of_images_is_skipped_and_gs_never_runs(tmp_path, fake_gs):
    images = tmp_path / "images"
    for cls in ("cats", "dogs"):
        (images / cls).mkdir(parents=True)
        (images / cls / "ok.png").write_bytes(_png())
    (images / "cats" / "cat.png").write_bytes(EPS)
    bundle = load_image_folder(images, size=8, channels=3, test_fraction=0.5)
    assert bundle.skipped == 1
    assert not fake_gs.exists()


# ---------------------------------------------------------------- server folders


def test_a_local_server_reads_any_folder_a_shared_one_none_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.delenv("CNNVIZ_ALLOWED_DATA_ROOTS", raising=False)
    assert check_server_folder(str(tmp_path), address="127.0.0.1") == tmp_path
    for address in ("0.0.0.0", "", "192.168.1.5", "::"):
        with pytest.raises(FolderRefused, match="upload a ZIP"):
            check_server_folder("/etc", address=address)


def test_a_shared_server_reads_only_inside_allowed_roots_links_resolved(tmp_path, monkeypatch):
    root = tmp_path / "class-data"
    (root / "set1").mkdir(parents=True)
    outside = tmp_path / "private"
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    monkeypatch.setenv("CNNVIZ_ALLOWED_DATA_ROOTS", str(root))
    assert check_server_folder(str(root / "set1"), address="0.0.0.0") == (root / "set1").resolve()
    for bad in (str(outside), str(root / "escape"), str(root / ".." / "private"), "/proc/self"):
        with pytest.raises(
            FolderRefused, match="outside the folders this server allows|does not exist"
        ):
            check_server_folder(bad, address="0.0.0.0")


def test_the_walk_never_follows_links_and_names_its_bounds(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(b"x")
    (tmp_path / "a" / "root").symlink_to("/")  # like /proc/self/root
    (tmp_path / "a" / "link.png").symlink_to("/etc/hostname")
    assert walk_files(tmp_path) == [tmp_path / "a" / "x.png"]
    deep = tmp_path / "deep"
    d = deep
    for i in range(10):
        d = d / f"d{i}"
    d.mkdir(parents=True)
    with pytest.raises(FolderRefused, match="more than 6 levels deep"):
        walk_files(deep)
    many = tmp_path / "many"
    many.mkdir()
    for i in range(30):
        (many / f"{i}.png").write_bytes(b"")
    with pytest.raises(FolderRefused, match="more than 20 files and folders"):
        walk_files(many, max_entries=20)
    with pytest.raises(FolderRefused, match="took more than -1 s"):
        walk_files(many, max_seconds=-1)  # a bound already passed: the first entry stops it


def test_a_class_folder_that_is_a_link_is_not_a_class(tmp_path):
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        (tmp_path / cls / "ok.png").write_bytes(_png())
    (tmp_path / "etc").symlink_to("/etc")
    bundle = load_image_folder(tmp_path, size=8, channels=3, test_fraction=0.5)
    assert bundle.classes == ("cats", "dogs")


# ---------------------------------------------------------------- memory before decoding


def test_own_images_over_the_bundle_limit_are_refused_before_decoding(tmp_path, monkeypatch):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(50):
            (tmp_path / cls / f"{i}.png").write_bytes(_png(size=1))
    import cnnviz.data.bundle as bundle

    monkeypatch.setattr(bundle, "MAX_BUNDLE_BYTES", 100 * 3 * 64 * 64 - 1)
    decoded = []
    monkeypatch.setattr(folders, "_read_image", lambda *a: decoded.append(a))
    with pytest.raises(DatasetUnavailable, match=r"100 images of 3×64×64 would take"):
        load_image_folder(tmp_path, size=64, channels=3)
    assert decoded == []


# ---------------------------------------------------------------- uploads


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_an_upload_is_kept_once_and_a_broken_one_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))
    data = _zip({"cats/1.png": _png(10), "dogs/1.png": _png(200)})
    session: dict = {}
    root = uploads.unpack_kept(data, session)
    assert load_image_folder(root, size=8, channels=3, test_fraction=0.5).classes == (
        "cats",
        "dogs",
    )
    assert uploads.unpack_kept(data, session) == root  # a rerun: not unpacked (or charged) again
    before = sorted(p.name for p in uploads.uploads_dir().iterdir())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("cats/1.png", _png(1))
        z.writestr("dogs/1.txt", os.urandom(4000))
    broken = bytearray(buf.getvalue())
    second = zipfile.ZipFile(io.BytesIO(bytes(broken))).infolist()[1]
    at = second.header_offset + 30 + len(second.filename) + 100
    broken[at : at + 50] = bytes(50)  # its data damaged: the first file is written, then it fails
    with pytest.raises(UnsafeArchive, match="damaged"):
        uploads.unpack_kept(bytes(broken), session)
    assert sorted(p.name for p in uploads.uploads_dir().iterdir()) == before  # nothing left


def test_upload_budgets_per_session_and_in_total(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))
    img = _png(size=300)  # 300 × 300 × 3 = 270,000 decoded bytes each
    first, second = _zip({"a/1.png": img, "b/1.png": img}), _zip({"a/2.png": img, "b/2.png": img})
    assert uploads.estimate(first).decoded_bytes == 2 * 300 * 300 * 3
    monkeypatch.setenv("CNNVIZ_UPLOADS_SESSION_MB", "0.8")  # one ZIP (0.51 MB) fits, two do not
    session: dict = {}
    uploads.unpack_kept(first, session)
    with pytest.raises(uploads.UploadRefused, match="one person may upload in an hour"):
        uploads.unpack_kept(second, session)
    assert len(list(uploads.uploads_dir().iterdir())) == 1  # the refused one wrote nothing
    uploads.unpack_kept(second, {})  # another session has its own budget
    monkeypatch.setenv("CNNVIZ_UPLOADS_SESSION_MB", "100")
    kept = uploads.folder_bytes(uploads.uploads_dir())
    monkeypatch.setenv("CNNVIZ_UPLOADS_TOTAL_MB", str((kept + 100) / 2**20))  # the disk is full
    with pytest.raises(uploads.UploadRefused, match="upload space is full"):
        uploads.unpack_kept(_zip({"a/3.png": img, "b/3.png": img}), {})
    assert len(list(uploads.uploads_dir().iterdir())) == 2


def test_a_zip_bomb_of_huge_images_is_refused_before_decoding(tmp_path, monkeypatch):
    from PIL import ImageFile

    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CNNVIZ_UPLOADS_SESSION_MB", "64")
    buf = io.BytesIO()
    Image.new("RGB", (6000, 6000), (9, 9, 9)).save(buf, "PNG")  # 108 MB decoded, ~100 KB packed
    bomb = _zip({f"{c}/{i}.png": buf.getvalue() for c in "ab" for i in range(2)})
    assert len(bomb) < 2**20
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))
    est = uploads.estimate(bomb)
    assert (est.images, est.decoded_bytes) == (4, 4 * 6000 * 6000 * 3)
    with pytest.raises(uploads.UploadRefused, match=r"4 images decode to 412\.0 MB"):
        uploads.unpack_kept(bomb, {})
    assert decoded == []  # no pixel was decoded
    assert not uploads.uploads_dir().exists() or not any(uploads.uploads_dir().iterdir())


def test_download_goes_only_into_the_configured_data_folder(tmp_path, monkeypatch):
    from cnnviz.ui.train.data import load_choice

    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path / "data"))
    target = tmp_path / "some" / "new" / "deep" / "dir"
    bundle, message = load_choice("mnist", data_dir=str(target), download=True)
    assert bundle is None and "Download saves only into the server" in message
    assert not (tmp_path / "some").exists()
