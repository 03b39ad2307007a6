"""Your own images: a folder in ImageFolder layout, or a ZIP of one, checked before it is opened.

Layout: one sub-folder per class, images inside (``cats/001.jpg``, ``dogs/002.png``).
A ZIP may hold that layout at its top or inside one top folder. Images are resized
(shorter side to ``size``, then centre crop, as ``Resize`` + ``CenterCrop``) and converted
to 1 or 3 channels; unreadable files are skipped and counted.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import torch
from torch import Tensor

from cnnviz.data import bundle
from cnnviz.data.access import walk_files
from cnnviz.data.errors import DatasetUnavailable, UnsafeArchive
from cnnviz.data.pipeline import MAX_SIZE, MIN_SIZE
from cnnviz.data.image_formats import IMAGE_SUFFIXES, open_user_image

MAX_FILES = 20_000  # images read from one folder; more are left out with a note
MAX_CLASSES = 100
MAX_IMAGE_PIXELS = 40_000_000  # one image (8000×5000); a larger one is skipped unread

ZIP_MAX_MEMBERS = 20_000
ZIP_MAX_TOTAL_BYTES = 500 * 1024 * 1024  # uncompressed
ZIP_MAX_RATIO = 100  # uncompressed / compressed, for the archive and each big member
_IGNORED = ("__MACOSX", ".DS_Store", "Thumbs.db")


def _class_dirs(root: Path) -> list[Path]:
    """The class folders: real sub-folders only (a link is never followed, see cnnviz.data.access)."""
    return sorted(
        p
        for p in root.iterdir()
        if not p.is_symlink() and p.is_dir() and not p.name.startswith((".", "__"))
    )


def dataset_root(path: Path) -> Path:
    """``path``, or its single sub-folder when that one holds the class folders (ZIP of a folder)."""
    dirs = _class_dirs(path)
    files = [
        p
        for p in path.iterdir()
        if not p.is_symlink() and p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    ]
    if len(dirs) == 1 and not files and _class_dirs(dirs[0]):
        return dirs[0]
    return path


def _read_image(path: Path, size: int, channels: int) -> Tensor | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with open_user_image(path) as im:  # allow-list: a PostScript "cat.png" is skipped
            if im.width * im.height > MAX_IMAGE_PIXELS:  # a decompression bomb: skipped
                return None
            im.draft("RGB", (size * 2, size * 2))  # JPEG: decode at a reduced scale when large
            im = im.convert("L" if channels == 1 else "RGB")
            w, h = im.size
            scale = size / min(w, h)
            nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
            im = im.resize((nw, nh), Image.Resampling.BILINEAR, reducing_gap=3.0)
            left, top = (nw - size) // 2, (nh - size) // 2
            im = im.crop((left, top, left + size, top + size))
            x = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None
    return x.view(size, size, channels).permute(2, 0, 1)


def _check_bundle_bytes(n: int, size: int, channels: int) -> None:
    """Refuse, before decoding, a folder whose images would not fit the dataset memory limit."""
    limit = bundle.MAX_BUNDLE_BYTES  # read at call time (tests lower it)
    need = n * channels * size * size
    if need > limit:
        gib = 1 << 30
        raise DatasetUnavailable(
            f"{n:,} images of {channels}×{size}×{size} would take {need / gib:.1f} GiB of memory "
            f"(at most {limit / gib:.0f} GiB for one dataset): use fewer images, a "
            "smaller size, or greyscale."
        )


def load_image_folder(
    path: str | os.PathLike,
    *,
    size: int,
    channels: int,
    test_fraction: float = 0.2,
    seed: int = 0,
    max_files: int = MAX_FILES,
):
    """Read an ImageFolder-layout folder into a ``DataBundle`` (test split stratified by class).

    Raises ``DatasetUnavailable`` when the folder is missing, has fewer than two class
    folders, or has no readable image in some class.
    """
    from cnnviz.data.bundle import DataBundle
    from cnnviz.data.pipeline import split_train_val  # the bundle type lives there

    root = Path(path).expanduser()
    if not root.is_dir():
        raise DatasetUnavailable(
            f"the folder {root} does not exist: give the folder that holds one sub-folder per class."
        )
    root = dataset_root(root)
    dirs = _class_dirs(root)
    if len(dirs) < 2:
        raise DatasetUnavailable(
            f"{root} needs one sub-folder per class (at least two), e.g. {root / 'cats'} and {root / 'dogs'}, "
            f"with the images inside; found {len(dirs)}."
        )
    if len(dirs) > MAX_CLASSES:
        raise DatasetUnavailable(
            f"{root} has {len(dirs)} sub-folders: at most {MAX_CLASSES} classes are supported."
        )
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (greyscale) or 3 (RGB), got {channels}")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"image size must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {size}")
    files: list[tuple[Path, int]] = []
    for label, d in enumerate(dirs):  # bounded: entries, depth and time (FolderRefused)
        files += [(p, label) for p in walk_files(d) if not p.name.startswith(".")]
    note = ""
    if len(files) > max_files:
        g = torch.Generator().manual_seed(seed)
        keep = sorted(torch.randperm(len(files), generator=g)[:max_files].tolist())
        note = f"{len(files):,} files found; a random {max_files:,} of them were used (the cap for one folder)."
        files = [files[i] for i in keep]
    _check_bundle_bytes(len(files), size, channels)  # before a single image is decoded
    x = torch.empty((len(files), channels, size, size), dtype=torch.uint8)  # filled in place
    labels, skipped = [], 0
    for p, label in files:
        one = _read_image(p, size, channels)
        if one is None:
            skipped += 1
            continue
        x[len(labels)] = one
        labels.append(label)
    counts = torch.bincount(torch.tensor(labels, dtype=torch.long), minlength=len(dirs))
    empty = [dirs[i].name for i in range(len(dirs)) if counts[i] == 0]
    if empty:
        raise DatasetUnavailable(
            f"no readable image in the class folder(s) {', '.join(empty)} under {root} "
            f"({skipped} unreadable file(s) skipped): add PNG or JPEG images there, or remove the folder."
        )
    x = x[: len(labels)]  # (N, C, H, W): a view, no copy
    y = torch.tensor(labels, dtype=torch.int64)
    train_x, train_y, test_x, test_y = split_train_val(x, y, test_fraction, seed)
    if skipped:
        note = f"{skipped} unreadable file(s) skipped. " + note
    return DataBundle(
        root.name or "folder",
        tuple(d.name for d in dirs),
        train_x,
        train_y,
        test_x,
        test_y,
        skipped,
        note.strip(),
    )


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
        return f"the entry {info.filename!r} points outside the folder it is unpacked to"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"the entry {info.filename!r} is a symbolic link"
    if info.flag_bits & 0x1:
        return (
            f"the entry {info.filename!r} is encrypted (password-protected ZIPs are not supported)"
        )
    return None


def extract_zip(
    file_or_bytes: bytes | BinaryIO | str | os.PathLike,
    dest: Path,
    *,
    max_members: int = ZIP_MAX_MEMBERS,
    max_total_bytes: int = ZIP_MAX_TOTAL_BYTES,
    max_ratio: float = ZIP_MAX_RATIO,
) -> Path:
    """Check, then unpack a ZIP into ``dest``; returns the folder holding the class folders.

    Refuses (``UnsafeArchive``, nothing written) non-ZIP bytes, entries with absolute or
    ``..`` paths, symbolic links, encrypted entries, more than ``max_members`` entries,
    more than ``max_total_bytes`` uncompressed, or a compression ratio over ``max_ratio``
    (a ZIP bomb). While unpacking, the bytes actually written are counted too, so a
    header that lies about sizes cannot get past the cap.
    """
    src = (
        io.BytesIO(file_or_bytes) if isinstance(file_or_bytes, bytes | bytearray) else file_or_bytes
    )
    try:
        zf = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise UnsafeArchive(
            f"this is not a ZIP file ({e}): upload a .zip of a folder with one sub-folder per class."
        ) from e
    with zf:
        infos = [
            i
            for i in zf.infolist()
            if not any(part in _IGNORED for part in PurePosixPath(i.filename).parts)
        ]
        if len(infos) > max_members:
            raise UnsafeArchive(
                f"the ZIP has {len(infos):,} entries; at most {max_members:,} are accepted: upload fewer images."
            )
        for info in infos:
            problem = _member_problem(info)
            if problem:
                raise UnsafeArchive(f"ZIP refused: {problem}.")
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos)
        mib = 1024 * 1024
        if total > max_total_bytes:
            raise UnsafeArchive(
                f"the ZIP unpacks to {total / mib:,.0f} MiB; at most {max_total_bytes / mib:,.0f} MiB are accepted: "
                "upload fewer or smaller images."
            )
        big = [
            i
            for i in infos
            if i.file_size > mib and i.file_size > max_ratio * max(i.compress_size, 1)
        ]
        if big or (total > mib and total > max_ratio * max(packed, 1)):
            raise UnsafeArchive(
                f"ZIP refused: it unpacks to over {max_ratio:.0f}× its size (a ZIP bomb?). Images hardly compress; "
                "upload the image files themselves."
            )
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        base = dest.resolve()
        written = 0
        for info in infos:
            target = (base / info.filename.replace("\\", "/")).resolve()
            if base not in target.parents and target != base:
                raise UnsafeArchive(
                    f"ZIP refused: the entry {info.filename!r} points outside the folder it is unpacked to."
                )
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as fin, open(target, "wb") as fout:
                    while chunk := fin.read(1 << 20):
                        written += len(chunk)
                        if written > max_total_bytes:
                            raise UnsafeArchive(
                                "ZIP refused: it unpacks to more than its headers say (a ZIP bomb?)."
                            )
                        fout.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as e:
                raise UnsafeArchive(
                    f"the ZIP is damaged at {info.filename!r} ({e}): make it again and upload it again."
                ) from e
    return dataset_root(dest)
