"""The Train page's "look at the data" widgets: they draw, and return what the user chose.

Two functions for the page (TRAINPAGE's ``train_data.data_section`` picks the dataset):

``data_preview(bundle, *, norm_kind="div255", normalization=None, val_fraction=0.1,
batch_size=64, shuffle=True, flip=False, crop_padding=0, seed=0, key="data_view") -> None``
    Four views in the course's words, one shown at a time: *Samples* (a labelled grid, a few per class),
    *Classes* (images per class in train / validation / test), *Pixels* (raw 0–255 and
    normalized ranges, per-channel mean/std, histograms before/after) and *One mini-batch*
    (the first mini-batch of epoch 1 as its ``[B, C, H, W]`` tensor and an image grid,
    augmentation applied as in training). The split is the engine's (``split_train_val``
    with the same seed); ``normalization`` is the one training will use when given,
    else it is measured here on (at most 10,000 of) the training images.

``own_images_picker(*, key="own", disabled=False) -> DataBundle | None``
    Your own images: a folder path (ImageFolder layout) or an uploaded ZIP of one, the
    size and channels to resize to, and the share kept for testing. Errors (unsafe ZIP,
    missing folder, too few classes) are shown as messages; returns None until loaded.
    Bundles are cached across sessions (``cnnviz.data.cache.SharedCache``), keyed by the choice.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
import torch

from cnnviz.data.access import check_server_folder, walk_files
from cnnviz.data.bundle import DataBundle
from cnnviz.data.cache import SharedCache
from cnnviz.data.catalog import FOLDER_INFO
from cnnviz.data.errors import DatasetUnavailable, UnsafeArchive
from cnnviz.data.folders import load_image_folder
from cnnviz.data.pipeline import (
    Normalization,
    augment_batch,
    fit_normalization,
    iterations_per_epoch,
    split_train_val,
)
from cnnviz.data.registry import default_data_dir
from cnnviz.plots.data import figures as plots
from cnnviz.text.escape import for_markdown, for_markdown_code
from cnnviz.ui import state
from cnnviz.ui.figures import show

VIEWS = ("Samples", "Classes", "Pixels", "One mini-batch")
_SAMPLE = 500  # images used for the pixel statistics and histograms (~6 million pixels at 64×64×3)
_FIT_SAMPLE = 10_000  # images used to measure mean/std when the caller gives none


def _split_indices(
    bundle: DataBundle, val_fraction: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of the training and validation images (no image is copied)."""
    idx = torch.arange(len(bundle.train_y))
    tr, _, va, _ = split_train_val(idx, bundle.train_y, val_fraction, seed)
    return tr, va


def _stats_table(x: torch.Tensor) -> pd.DataFrame:
    return pd.DataFrame(plots.channel_stats(x)).set_index("channel").round(3)


def data_preview(
    bundle: DataBundle,
    *,
    norm_kind: str = "div255",
    normalization: Normalization | None = None,
    val_fraction: float = 0.1,
    batch_size: int = 64,
    shuffle: bool = True,
    flip: bool = False,
    crop_padding: int = 0,
    seed: int = 0,
    key: str = "data_view",
) -> None:
    """Draw the look at the data (see the module docstring)."""
    try:
        tr, va = _split_indices(bundle, val_fraction, seed)
    except ValueError as e:
        st.error(f"The validation split cannot be made: {for_markdown(e)}")
        return
    c, h, w = bundle.shape
    bkey = bundle_key(bundle)
    # one view at a time: only the chosen one is built and sent (four at once made every
    # rerun, page switch and refresh draw four charts, three of them hidden)
    view = st.segmented_control(
        "Look at",
        VIEWS,
        key=state.kept(f"{key}.view", VIEWS[0]),
        required=True,
        label_visibility="collapsed",
    )
    if view == "Samples":
        per_class = 6 if len(bundle.classes) <= 12 else 3
        fig = _memo(
            ("samples", bkey, per_class, seed),
            lambda: plots.sample_grid(
                bundle.train_x, bundle.train_y, bundle.classes, per_class=per_class, seed=seed
            ),
        )
        show(fig, name="sample-images", key=f"{key}.samples")
        st.caption(
            f"Each image is a {c}×{h}×{w} tensor of uint8 values (0–255): {c} channel(s), {h} rows, {w} columns."
        )
    elif view == "Classes":
        fig = _memo(
            ("counts", bkey, round(val_fraction, 4), seed),
            lambda: plots.class_counts(
                bundle.classes,
                {
                    "train": bundle.train_y[tr],
                    "validation": bundle.train_y[va],
                    "test": bundle.test_y,
                },
            ),
        )
        show(fig, name="class-counts", key=f"{key}.counts")
        st.caption(
            "The validation images are held out of the training set (same share of every class); "
            "the test images are the dataset's own test split, used once at the end."
        )
    else:
        g = torch.Generator().manual_seed(seed)
        if normalization is None:
            fit_idx = (
                tr[torch.randperm(len(tr), generator=g)[:_FIT_SAMPLE]]
                if len(tr) > _FIT_SAMPLE
                else tr
            )
            normalization = fit_normalization(norm_kind, bundle.train_x[fit_idx])
        if view == "Pixels":
            _pixels(bundle, bkey, tr, g, normalization, (round(val_fraction, 4), seed), key)
        else:
            _mini_batch(
                bundle, tr, normalization, batch_size, shuffle, flip, crop_padding, seed, key
            )


def bundle_key(bundle: DataBundle) -> tuple:
    """Names a loaded bundle for the figure and normalization caches (bundles are cached
    resources themselves; the folder it came from tells two folders of one size apart)."""
    return (
        id(bundle),
        bundle.name,
        bundle.source,
        len(bundle.train_y),
        len(bundle.test_y),
        bundle.shape,
    )


@st.cache_resource(max_entries=48, show_spinner=False)
def _cached(key: tuple, _build: Any) -> Any:
    return _build()


def _memo(key: tuple, build: Any) -> Any:
    """A figure or table built once per inputs (``key``), for every session on the server."""
    return _cached(key, build)


def _pixels(
    bundle: DataBundle,
    bkey: tuple,
    tr: torch.Tensor,
    g: torch.Generator,
    normalization: Normalization,
    split: tuple,
    key: str,
) -> None:
    norm_key = normalization.describe()

    def build() -> tuple[Any, Any, Any, int] | str:
        pick = tr[torch.randperm(len(tr), generator=g)[:_SAMPLE]]
        raw = bundle.train_x[pick]
        try:
            fed = normalization.apply(raw)
        except ValueError as e:
            return str(e)
        return _stats_table(raw), _stats_table(fed), plots.pixel_histograms(raw, fed), len(pick)

    built = _memo(("pixels", bkey, split, norm_key), build)
    if isinstance(built, str):
        st.error(built)
        return
    raw_table, fed_table, fig, n = built
    st.markdown(f"**Normalization:** {for_markdown(norm_key)}")
    left, right = st.columns(2)
    left.markdown("Raw pixels (uint8)")
    left.dataframe(raw_table)
    right.markdown("After normalization (float32, what the network is fed)")
    right.dataframe(fed_table)
    show(fig, name="pixel-histograms", key=f"{key}.hist")
    st.caption(f"Measured on {n:,} training images.")


def _mini_batch(
    bundle: DataBundle,
    tr: torch.Tensor,
    normalization: Normalization,
    batch_size: int,
    shuffle: bool,
    flip: bool,
    crop_padding: int,
    seed: int,
    key: str,
) -> None:
    n = len(tr)
    if n == 0:
        st.info("No training images left after the validation split: lower the validation share.")
        return
    b = max(1, min(int(batch_size), n))
    order = tr[torch.randperm(n, generator=torch.Generator().manual_seed(seed))] if shuffle else tr
    idx = order[:b]
    x = bundle.train_x[idx]  # (B, C, H, W) uint8: augmented before normalization, as in training
    x = augment_batch(
        x, flip=flip, crop_padding=crop_padding, generator=torch.Generator().manual_seed(seed)
    )
    pictures = x
    x = normalization.apply(x)  # float32
    y = bundle.train_y[idx]
    steps = iterations_per_epoch(n, int(batch_size))
    st.markdown(
        f"The DataLoader cuts the {n:,} training images into mini-batches of B = {int(batch_size)}"
        f"{' after shuffling them' if shuffle else ' in their stored order'}: "
        f"**{steps:,} iteration{'s' if steps != 1 else ''} per epoch** (⌈{n:,} / {int(batch_size)}⌉"
        + (
            f", the last one holds {n - (steps - 1) * int(batch_size)}"
            if n % int(batch_size)
            else ""
        )
        + ")."
    )
    aug = [
        s
        for s, on in (
            ("random horizontal flip", flip),
            (f"random crop with padding {crop_padding}", crop_padding > 0),
        )
        if on
    ]
    st.code(
        f"images: tensor of shape {list(x.shape)}, dtype {str(x.dtype).removeprefix('torch.')}, "
        f"values {x.min().item():.3f} … {x.max().item():.3f}\n"
        f"labels: tensor of shape {list(y.shape)}, dtype int64, e.g. {y[:8].tolist()}"
        + (f"\naugmentation (training only): {', '.join(aug)}" if aug else ""),
        language="text",
    )
    fig = _memo(
        ("batch", bundle_key(bundle), len(tr), b, shuffle, flip, crop_padding, seed),
        lambda: plots.batch_grid(pictures, y, bundle.classes, shape=tuple(x.shape)),
    )
    show(fig, name="mini-batch", key=f"{key}.batch")
    st.caption(
        "Shown as pictures (augmented, before normalization); under each one, the name of its label's class."
    )


# ---------------------------------------------------------------------------- own images


_FOLDERS: SharedCache[DataBundle] = SharedCache(
    max_entries=4
)  # process-wide, see cnnviz.data.cache


def _load_folder(
    path: str, size: int, channels: int, test_fraction: float, signature: str
) -> DataBundle:
    """``signature`` is part of the cache key only: a changed folder is read again."""
    with st.spinner("Reading your images…"):
        return _FOLDERS.get(
            (path, size, channels, test_fraction, signature),
            lambda: load_image_folder(
                path, size=size, channels=channels, test_fraction=test_fraction
            ),
        )


def _signature(path: Path) -> str:
    """Cheap fingerprint of a folder's files (names, sizes, times), for the cache key."""
    h = hashlib.sha256()
    for p in walk_files(path):  # bounded: FolderRefused for a huge or deep folder, no links
        with contextlib.suppress(OSError):
            s = p.stat()
            h.update(f"{p}:{s.st_size}:{s.st_mtime_ns}".encode())
    return h.hexdigest()


def _unpack(data: bytes) -> Path:
    """Single-user path: kept under the data folder, within the upload budgets."""
    from cnnviz.data import uploads as data_uploads

    return data_uploads.unpack_kept(data, st.session_state)


def _named(error: object, root: Path, zip_name: str | None) -> str:
    """``error``'s text with the unpacked ZIP's server folder called by the ZIP's name."""
    text = str(error)
    if zip_name is None:
        return text
    for folder in sorted({str(root), str(Path(root).resolve())}, key=len, reverse=True):
        text = text.replace(folder, f"your ZIP {zip_name}")
    return text


def own_images_picker(*, key: str = "own", disabled: bool = False) -> DataBundle | None:
    """Your own images from a folder or a ZIP (see the module docstring)."""
    from cnnviz.ui.classroom import uploads as class_uploads

    student = class_uploads.students_only()  # a class server: uploads only, into their own folder
    how = st.radio(
        "Where are the images?",
        ["Upload a ZIP"] if student else ["Upload a ZIP", "A folder on the server"],
        horizontal=True,
        key=state.kept(f"{key}.how", "Upload a ZIP"),
        disabled=disabled,
    )
    st.caption(
        "One sub-folder per class, images inside: `cats/001.jpg`, `dogs/002.png`, … (torchvision's ImageFolder layout)."
    )
    c1, c2, c3 = st.columns(3)
    size = c1.selectbox(
        "Resize to (pixels)",
        FOLDER_INFO.sizes,
        key=state.kept(f"{key}.size", FOLDER_INFO.sizes[0]),
        disabled=disabled,
    )
    channels = c2.selectbox(
        "Channels",
        (3, 1),
        format_func=lambda c: "3 (colour, RGB)" if c == 3 else "1 (greyscale)",
        key=state.kept(f"{key}.ch", 3),
        disabled=disabled,
    )
    test_pct = c3.slider(
        "Test split (%)", 5, 50, step=5, key=state.kept(f"{key}.test", 20), disabled=disabled
    )
    root: Path | None = None
    if how == "Upload a ZIP":
        up = st.file_uploader(
            "ZIP of the class folders",
            type=["zip"],
            key=f"{key}.zip",
            disabled=disabled,
            help=f"At most {st.get_option('server.maxUploadSize')} MB (the server's upload limit).",
        )
        if student:
            class_uploads.usage_caption()
        unpacked = st.session_state.get(f"{key}.unpacked")  # a page switch drops the upload
        if up is None and unpacked and Path(unpacked[1]).is_dir():
            st.caption(
                f"Using the ZIP you uploaded, {for_markdown_code(unpacked[0])} (upload another to replace it)."
            )
            root = Path(unpacked[1])
        elif up is None:
            return None
        try:
            if up is not None:
                root = class_uploads.unpack(up) if student else _unpack(up.getvalue())
                st.session_state[f"{key}.unpacked"] = (up.name, str(root))
        except class_uploads.uploads.QuotaError as e:
            st.error(for_markdown(e), icon=":material/folder_off:")
            return None
        except UnsafeArchive as e:
            st.error(for_markdown(e), icon=":material/gpp_bad:")
            return None
        except OSError as e:
            where = "your upload space" if student else default_data_dir() / "uploads"
            st.error(
                f"The ZIP could not be unpacked into {for_markdown(where)} ({for_markdown(e.strerror or e.errno)}): "
                + ("ask the teacher." if student else "check the data folder is writable.")
            )
            return None
    else:
        text = st.text_input(
            "Folder",
            placeholder="/path/to/my_images",
            key=state.kept(f"{key}.dir", ""),
            disabled=disabled,
        )
        if not text.strip():
            return None
        try:  # a shared server: only under the operator's allowed roots (cnnviz.data.access)
            root = check_server_folder(text, address=st.get_option("server.address"))
        except DatasetUnavailable as e:
            st.error(for_markdown(e), icon=":material/folder_off:")
            return None
    # an uploaded ZIP is named as the ZIP, never as the server folder it was unpacked into
    zip_name = (up.name if up is not None else unpacked[0]) if how == "Upload a ZIP" else None
    try:
        bundle = _load_folder(
            str(root),
            int(size),
            int(channels),
            test_pct / 100,
            _signature(root) if root.is_dir() else "",
        )
    except DatasetUnavailable as e:
        st.error(for_markdown(_named(e, root, zip_name)), icon=":material/folder_off:")
        return None
    except (OSError, ValueError) as e:
        where = f"your ZIP {zip_name}" if zip_name else str(root)
        st.error(
            for_markdown(f"The images could not be read from {where}: {_named(e, root, zip_name)}")
        )
        return None
    st.success(
        f"{len(bundle.classes)} classes ({for_markdown(', '.join(bundle.classes[:8]))}{'…' if len(bundle.classes) > 8 else ''}): "
        f"{len(bundle.train_y):,} training and {len(bundle.test_y):,} test images."
    )
    if bundle.note:
        st.warning(for_markdown(bundle.note))
    return bundle
