"""The Train page's data section: which images, how many, and the pipeline into mini-batches.

``data_section(disabled) -> (bundle | None, pipeline)`` returns the loaded
``DataBundle`` (None with a message when it cannot be loaded) and the pipeline
settings ``{"val_fraction", "batch_size", "shuffle"}`` for ``TrainConfig``.

The environment variable ``CNNVIZ_TRAIN_IMAGES`` sets the default number of
training images (tests and quick demos use a few hundred); the page also has a
widget for it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import streamlit as st

from cnnviz.data.access import FolderRefused, check_server_folder
from cnnviz.data.bundle import DataBundle
from cnnviz.data.cache import SharedCache
from cnnviz.data.catalog import DATASETS, DEFAULT_DATASET
from cnnviz.data.errors import DatasetUnavailable
from cnnviz.data.kinds import Source
from cnnviz.data.pipeline import iterations_per_epoch, split_sizes
from cnnviz.data.registry import default_data_dir, load_dataset
from cnnviz.design.layer_kinds import MAX_BATCH
from cnnviz.settings.env import integer
from cnnviz.text.escape import for_markdown
from cnnviz.train.config import TrainConfig
from cnnviz.ui import state
from cnnviz.ui.figures import show
from cnnviz.ui.train import data_view
from cnnviz.ui.train.form import DATA

log = logging.getLogger(__name__)

P = DATA  # widget-key prefix
_HOLDS = DATA + "holds"  # {(dataset, folder, size): training images the files hold}


_BUNDLES: SharedCache[DataBundle] = SharedCache(
    max_entries=4
)  # process-wide, see cnnviz.data.cache


def _load(
    name: str,
    data_dir: str,
    size: int | None,
    channels: int | None,
    n_train: int | None,
    n_test: int | None,
) -> DataBundle:
    return _BUNDLES.get(
        (name, data_dir, size, channels, n_train, n_test),
        lambda: load_dataset(
            name,
            data_dir=data_dir or None,
            size=size,
            channels=channels,
            n_train=n_train,
            n_test=n_test,
        ),
    )


def _env_images() -> int | None:
    return integer("CNNVIZ_TRAIN_IMAGES", 0, low=1, high=10**9, bad="default") or None


def _default_images(full: int) -> int:
    """How many of the ``full`` training images the box starts at (CNNVIZ_TRAIN_IMAGES)."""
    return min(_env_images() or full, full)


def _subset(n_train: int, full: int) -> int | None:
    """``load_choice``'s ``n_train`` for a count in the box: None (all of them) from ``full``."""
    return None if n_train >= full else int(n_train)


def warm_default() -> None:
    """Load the default dataset as the page will ask for it (``cnnviz.ui.warm`` calls this
    in its background thread): the first visit to Train, usually seconds later, finds the
    images ready instead of drawing them (Shapes: 12,000 pictures, ~3 s on 2 cores).
    Never raises: the page loads it again and shows what went wrong."""
    full = DATASETS[DEFAULT_DATASET].n_train or 10_000
    n_train = _subset(_default_images(full), full)  # what the page asks for, untouched
    try:
        _, message = load_choice(DEFAULT_DATASET, n_train=n_train)
        if message:
            log.info("warm-up of %s: %s", DEFAULT_DATASET, message)
    except Exception:
        log.exception("warm-up of %s failed", DEFAULT_DATASET)


def load_choice(
    name: str,
    *,
    data_dir: str = "",
    size: int | None = None,
    n_train: int | None = None,
    download: bool = False,
) -> tuple[DataBundle | None, str | None]:
    """``(bundle, None)`` or ``(None, message)``: never raises for what a user can get wrong."""
    info = DATASETS[name]
    n_test = None
    if n_train and info.n_train:
        n_test = max(1, round(n_train * info.n_test / info.n_train))
    try:
        data_dir = _allowed_data_dir(data_dir, download=download)
        if download:
            load_dataset(name, data_dir=data_dir or None, download=True, n_train=1, n_test=1)
        return _load(name, data_dir, size, None, n_train, n_test), None
    except DatasetUnavailable as e:
        return None, for_markdown(e)
    except (ValueError, OSError) as e:
        return None, for_markdown(f"The images could not be loaded: {e}")


def _allowed_data_dir(typed: str, *, download: bool) -> str:
    """The data folder to read ("" for the configured one); FolderRefused when not allowed.

    Downloads go only into the configured data folder (``CNNVIZ_DATA_DIR``): a typed
    path is never created. Reading another folder follows the server-folder rule
    (``cnnviz.data.access``).
    """
    configured = default_data_dir()
    if not typed.strip() or Path(typed.strip()).expanduser().absolute() == configured.absolute():
        return ""
    if download:
        raise FolderRefused(
            f"Download saves only into the server's data folder {configured.absolute()} "
            "(set CNNVIZ_DATA_DIR before starting the server to move it): put that folder back "
            "in the box, or copy the files into your folder yourself."
        )
    return str(check_server_folder(typed, address=st.get_option("server.address")))


OWN = "own"  # the picker's entry for your own images (cnnviz.ui.data_view)


def _title(name: str) -> str:
    return "Your own images (folder or ZIP)" if name == OWN else DATASETS[name].title


def _registered(
    name: str, c2: Any, c3: Any, disabled: bool
) -> tuple[DataBundle | None, str | None]:
    """Size, count, folder and Download for a registered dataset; load it."""
    info = DATASETS[name]
    if info.features:  # toy 2-D points: no image size, a few hundred points
        return _points(name, c3, disabled)
    sizes = list(info.sizes) or [info.size[0]]
    size = c2.selectbox(
        "Image size (pixels)",
        sizes,
        key=state.kept(P + f"size.{name}", sizes[0]),
        disabled=disabled,
        help="Images are resized to size×size before training.",
    )
    data_dir = str(default_data_dir())
    if info.source is Source.TORCHVISION:
        data_dir = st.session_state.get(state.kept(P + "dir", data_dir), data_dir)
    holds = st.session_state.setdefault(_HOLDS, {}).get((name, data_dir, size))
    full = holds or info.n_train or 10_000
    key = state.kept(P + f"n.{name}", _default_images(full))
    if st.session_state[key] is not None and st.session_state[key] > full:
        st.session_state[key] = full  # the files hold fewer than the dataset's usual count
    n_train = c3.number_input(
        "Training images to use",
        min_value=10,
        max_value=full,
        step=500,
        key=key,
        disabled=disabled,
        help="Fewer images train faster; all of them train better.",
    )
    n_train = full if n_train is None else n_train
    st.caption(info.description)
    download = False
    from cnnviz.ui.classroom import session as class_session

    if info.source is Source.TORCHVISION and class_session.is_student():
        # a class server: the datasets the teacher put in CNNVIZ_DATA_DIR; no folder, no download
        from cnnviz.data.registry import is_downloaded

        if not is_downloaded(name, None):
            st.info(
                f"{for_markdown(info.title)} is not on this server yet: ask the teacher to download it "
                "(on their Train page), or pick another dataset.",
                icon=":material/school:",
            )
            return None, None
        data_dir = str(default_data_dir())  # never a folder from a link on a class server
    elif info.source is Source.TORCHVISION:
        d1, d2 = st.columns([3, 1], vertical_alignment="bottom")
        data_dir = d1.text_input(
            "Data folder",
            key=P + "dir",
            disabled=disabled,
            help=f"torchvision's root: the files go in <folder>/{info.folder}.",
        )
        download = d2.button(
            "Download", icon=":material/download:", key=P + "download", disabled=disabled
        )
    with st.spinner("Downloading…" if download else "Loading the images…"):
        bundle, message = load_choice(
            name,
            data_dir=data_dir if info.source is Source.TORCHVISION else "",
            size=None if size == info.size[0] else size,
            n_train=_subset(n_train, full),
            download=download,
        )
    if bundle is not None and len(bundle.train_y) < min(n_train, full):
        # the folder holds fewer training images than asked for: say so, and cap the box
        st.session_state[_HOLDS][(name, data_dir, size)] = len(bundle.train_y)
        st.rerun()
    if holds:
        c3.caption(f"The files hold {holds:,} training images.")
    return bundle, message


def _points(name: str, c3: Any, disabled: bool) -> tuple[DataBundle | None, str | None]:
    """A toy 2-D dataset (``cnnviz.data.toy``): how many points, and load it."""
    info = DATASETS[name]
    n_train = c3.number_input(
        "Training points to use",
        min_value=10,
        max_value=info.n_train,
        step=100,
        key=state.kept(P + f"n.{name}", info.n_train),
        disabled=disabled,
    )
    st.caption(info.description)
    return load_choice(name, n_train=None if n_train >= info.n_train else int(n_train))


def data_section(
    *, disabled: bool = False, dataset_locked: bool = False
) -> tuple[DataBundle | None, dict[str, Any], Any]:
    """The dataset, the pipeline settings, and an empty container for ``data_view.data_preview``.

    ``dataset_locked``: the dataset is fixed (a challenge's), its picker off.

    The preview is drawn later into the returned container, once the settings
    (normalization, augmentation, seed) it depends on are known.
    """
    names = [*DATASETS, OWN]
    c1, c2, c3 = st.columns([2, 1, 1])
    name = c1.selectbox(
        "Dataset",
        names,
        format_func=_title,
        key=state.kept(P + "name", DEFAULT_DATASET),
        disabled=disabled or dataset_locked,
    )
    if name == OWN:
        bundle, message = data_view.own_images_picker(key="train.own", disabled=disabled), None
    else:
        bundle, message = _registered(name, c2, c3, disabled)
    if message:
        st.error(message, icon=":material/folder_off:")
    p1, p2, p3 = st.columns(3)
    val_pct = p1.slider(
        "Validation split (% of training images)",
        0,
        50,
        step=5,
        key=state.kept(P + "val", round(TrainConfig.val_fraction * 100)),
        disabled=disabled,
        help="Held out to check on images the network does not learn from, after every epoch.",
    )
    batch = p2.number_input(
        "Mini-batch size B",
        min_value=1,
        max_value=MAX_BATCH,
        step=16,
        key=state.kept(P + "batch", TrainConfig.batch_size),
        disabled=disabled,
        help="Images per iteration (one forward and backward pass).",
    )
    shuffle = p3.checkbox(
        "Shuffle every epoch",
        key=state.kept(P + "shuffle", TrainConfig.shuffle),
        disabled=disabled,
    )
    if bundle is not None:
        n_train, n_val = split_sizes(bundle.train_y, val_pct / 100)  # the engine's own split
        dims = ", ".join(str(d) for d in bundle.shape)
        items = "points of " if bundle.is_flat else "images of "
        st.markdown(
            f"Train **{n_train:,}** · validation **{n_val:,}** · test **{len(bundle.test_y):,}** "
            f"{items}{'×'.join(str(d) for d in bundle.shape)}"
            f"{' numbers' if bundle.is_flat else ''}. Iterations per epoch = ⌈{n_train:,} / {batch}⌉ = "
            f"**{iterations_per_epoch(n_train, int(batch)):,}**; one mini-batch is a tensor of shape "
            f"**[{min(batch, n_train)}, {dims}]**."
        )
    pipeline = {"val_fraction": val_pct / 100, "batch_size": int(batch), "shuffle": bool(shuffle)}
    return bundle, pipeline, st.container()


def preview(bundle: DataBundle, config: TrainConfig) -> None:
    """``data_view.data_preview`` with the settings training will use."""
    from cnnviz.ui.train.settings import fitted_normalization

    if bundle.is_flat:  # toy 2-D points: a scatter plot instead of image samples
        from cnnviz.data.toy import from_uint8
        from cnnviz.plots.learn.toy import toy_figure

        show(
            toy_figure(from_uint8(bundle.train_x), bundle.train_y, height=320),
            key=P + "points",
        )
        st.page_link(
            "views/learn.py",
            label="Learn: train it live and watch the decision regions",
            icon=":material/school:",
        )
        return
    if not st.toggle(
        "Look at the data (samples, classes, pixels, one mini-batch)",
        key=state.kept(P + "look", True),
        help="Switch off to make the page quicker to redraw while you change settings.",
    ):
        return
    data_view.data_preview(
        bundle,
        norm_kind=config.normalize,
        normalization=fitted_normalization(
            bundle, config.normalize, config.val_fraction, config.seed
        ),
        val_fraction=config.val_fraction,
        batch_size=config.batch_size,
        shuffle=config.shuffle,
        flip=config.augment_flip,
        crop_padding=config.augment_crop,
        seed=config.seed,
        key=DATA + "preview",
    )
