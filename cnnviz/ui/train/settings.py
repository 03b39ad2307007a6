"""The Train page's settings in the course's words: epochs, optimizer, learning rate, ...

``config_form(...)`` draws the widgets and returns the chosen settings as
``TrainConfig`` fields (enums for the choices; not yet range-checked: the page
builds the ``TrainConfig`` with the data section's batch size, validation split and
shuffle, and Start lists its ``problems()``). Every default is ``TrainConfig``'s,
overridden by the preset the design started from (``PRESETS[...].train``); they are
applied again when a new preset is chosen on Design, with the preset's dataset.
The values are kept across page switches and in the URL (``state.kept``).
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import streamlit as st

from cnnviz.data.cache import SharedCache
from cnnviz.data.catalog import DATASETS
from cnnviz.data.kinds import NormKind
from cnnviz.design.presets import PRESETS
from cnnviz.train.config import (
    MAX_CROP,
    DeviceKind,
    LrSchedule,
    OptimizerKind,
    TrainConfig,
)
from cnnviz.train.prepared import available_devices, resolve_device
from cnnviz.ui import state
from cnnviz.ui.train.form import CFG, DATA, PIPELINE

P = CFG  # widget-key prefix
DATASET_KEY = DATA + "name"  # the data section's dataset picker
OPTIMIZERS = {
    OptimizerKind.SGD: "SGD with momentum",
    OptimizerKind.ADAM: "Adam",
    OptimizerKind.ADAMW: "AdamW",
}
SCHEDULES = {
    LrSchedule.NONE: "none: the same every epoch",
    LrSchedule.STEP: "step: ×0.1 at ½ and ¾ of the epochs",
    LrSchedule.COSINE: "cosine: down to 0 at the last epoch",
}
DEVICES = {
    DeviceKind.AUTO: "auto",
    DeviceKind.CPU: "CPU",
    DeviceKind.CUDA: "CUDA (NVIDIA GPU)",
    DeviceKind.MPS: "MPS (Apple GPU)",
}
NORMALIZE = {
    NormKind.NONE: "none: raw pixels 0..255",
    NormKind.DIV255: "÷255: pixels 0..1",
    NormKind.STANDARDIZE: "per-channel mean/std of the training split",
}
# the settings drawn here; batch size, validation split and shuffle belong to the data section
FIELDS = tuple(f.name for f in fields(TrainConfig) if f.name not in PIPELINE)
_FLASH = CFG + "flash"
# (images, normalization, split) -> (Normalization, images measured): for every session
_NORMS: SharedCache[tuple[Any, int] | None] = SharedCache(max_entries=16)
LOSS_NOTE = (
    "**Loss: cross-entropy.** Softmax is inside it: the network outputs raw scores (logits), "
    "one per class, and `nn.CrossEntropyLoss` applies softmax and takes −log of the right class's probability."
)


def auto_device() -> str:
    """What "auto" picks here (the engine's own choice)."""
    return resolve_device(DeviceKind.AUTO).type


def defaults(preset: str | None = None) -> TrainConfig:
    """TrainConfig's defaults, overridden by the preset's ``train=`` values; a student on a
    class server starts from their own seed (``cnnviz.classroom.seeds``)."""
    p = PRESETS.get(state.current_preset() if preset is None else preset)
    base = TrainConfig.from_dict(p.train if p is not None else {})
    seed = own_seed()
    return base if seed is None else replace(base, seed=seed)


def own_seed() -> int | None:
    """The signed-in student's own default seed on a class server, else None."""
    from cnnviz.ui.classroom import session as class_session

    person = class_session.me() if class_session.enabled() else None
    if person is None or person.is_teacher:
        return None
    from cnnviz.classroom.seeds import student_seed

    return student_seed(person.name)


def take_preset() -> None:
    """After a new preset was chosen on Design: its settings and its dataset, once."""
    name = state.current_preset()
    if st.session_state.get(state.TRAIN_PRESET) == name or name not in PRESETS:
        return
    st.session_state[state.TRAIN_PRESET] = name
    state.forget_kept(P)  # every setting takes the new preset's default
    dataset = PRESETS[name].dataset
    if dataset in DATASETS:
        st.session_state[DATASET_KEY] = dataset
        st.session_state.setdefault(state.KEPT, {})[DATASET_KEY] = dataset
    data = f" and its dataset, {DATASETS[dataset].title}," if dataset in DATASETS else ""
    st.session_state[_FLASH] = (
        f"The settings{data} come from the preset **{PRESETS[name].title}** chosen on Design."
    )


def _fit(bundle: Any, kind: NormKind, val_fraction: float, seed: int) -> tuple[Any, int] | None:
    """(Normalization, training images it was measured on), as the engine computes it.

    Same seeded split and ``fit_normalization`` as ``cnnviz.prepared.prepare``;
    measured once per (images, split) for the whole server, so reruns and every other
    student's tab reuse it. None if impossible.
    """
    from cnnviz.data.pipeline import fit_normalization, split_train_val
    from cnnviz.ui.train.data_view import bundle_key

    if bundle is None:
        return None
    if kind is not NormKind.STANDARDIZE:  # nothing to measure
        return fit_normalization(kind, bundle.train_x[:1]), 0

    def measure() -> tuple[Any, int] | None:
        try:
            tx = split_train_val(bundle.train_x, bundle.train_y, val_fraction, seed)[0]
            return fit_normalization(kind, tx), len(tx)
        except ValueError:
            return None

    key = (bundle_key(bundle), kind, round(float(val_fraction), 4), int(seed))
    return _NORMS.get(key, measure)


def fitted_normalization(bundle: Any, kind: NormKind, val_fraction: float, seed: int) -> Any:
    """The ``Normalization`` training will use (None if it cannot be measured)."""
    fit = _fit(bundle, kind, val_fraction, seed)
    return fit[0] if fit else None


def normalization_values(bundle: Any, kind: NormKind, val_fraction: float, seed: int) -> str:
    """The normalization in words, with the numbers."""
    fit = _fit(bundle, kind, val_fraction, seed)
    if fit is None:
        return "cannot be measured on this split (no training images left?)"
    norm, n = fit
    return norm.describe() + (
        f", measured on the {n:,} training images" if kind is NormKind.STANDARDIZE else ""
    )


def config_form(
    *,
    bundle: Any = None,
    val_fraction: float = 0.1,
    disabled: bool = False,
    locked: tuple[str, ...] = (),
    shown: TrainConfig | None = None,
) -> dict[str, Any]:
    """Draw the training settings; return them as TrainConfig fields (not yet range-checked).

    ``locked``: the fields a challenge fixes (their widgets off, whatever they hold).

    ``shown``: the config of the job that is running; the locked widgets then show what
    it really runs with, whatever the widgets held before.
    """
    base = defaults()
    for name in FIELDS:
        state.kept(P + name, getattr(base, name))
    for name in FIELDS if shown is not None else ():
        st.session_state[P + name] = getattr(shown, name)
    if flash := st.session_state.pop(_FLASH, None):
        st.caption(flash)
    d = st.session_state
    c1, c2, c3 = st.columns(3)
    c1.number_input(
        "Epochs",
        step=1,
        key=P + "epochs",
        disabled=disabled or "epochs" in locked,
        help="One epoch = one pass over every training image, in mini-batches.",
    )
    c2.selectbox(
        "Optimizer",
        list(OPTIMIZERS),
        format_func=OPTIMIZERS.get,
        key=P + "optimizer",
        disabled=disabled or "optimizer" in locked,
        help="How the weights are changed from their gradients after each mini-batch's backward pass.",
    )
    c3.number_input(
        "Learning rate",
        step=1e-4,
        format="%g",
        key=P + "lr",
        disabled=disabled or "lr" in locked,
        help="Step size of each update. Adam: about 0.001; SGD: about 0.01 to 0.1.",
    )
    # momentum only for SGD: the row fills from the left, so no blank slot under Epochs
    slots = iter(st.columns(3))
    if OptimizerKind(d[P + "optimizer"]) is OptimizerKind.SGD:
        next(slots).number_input(
            "Momentum",
            step=0.05,
            format="%g",
            key=P + "momentum",
            disabled=disabled or "momentum" in locked,
            help="How much of the previous update SGD keeps; 0.9 is usual.",
        )
    next(slots).number_input(
        "Weight decay",
        step=1e-4,
        format="%g",
        key=P + "weight_decay",
        disabled=disabled or "weight_decay" in locked,
        help="Pulls every weight a little towards 0 at each step (L2 regularization). 0 = off.",
    )
    own = own_seed()
    next(slots).number_input(
        "Seed",
        step=1,
        key=P + "seed",
        disabled=disabled or "seed" in locked,
        help="Fixes the random start weights, shuffling and augmentation: same seed, same run."
        + (
            f" Yours starts at {own}, worked out from your name, so your run is not the same "
            "as a classmate's with the same design."
            if own is not None
            else ""
        ),
    )
    c1, c2 = st.columns([1, 2])
    avail = available_devices()
    c1.selectbox(
        "Device",
        list(DEVICES),
        key=P + "device",
        disabled=disabled,
        format_func=lambda k: (
            f"auto (here: {auto_device()})"
            if k is DeviceKind.AUTO
            else DEVICES[k] + ("" if avail[k] else " — not available")
        ),
        help="Where the forward and backward passes run. auto picks cuda, then mps, then cpu.",
    )
    c2.radio(
        "Normalization",
        list(NORMALIZE),
        format_func=NORMALIZE.get,
        key=P + "normalize",
        disabled=disabled,
        horizontal=True,
        help="What the network sees instead of raw 0..255 pixels.",
    )
    if bundle is not None:
        c2.caption(
            "Normalization: "
            + normalization_values(bundle, d[P + "normalize"], val_fraction, d[P + "seed"])
        )
    c1, c2 = st.columns([1, 2])
    c1.checkbox(
        "Random horizontal flip",
        key=P + "augment_flip",
        disabled=disabled,
        help="Training mini-batches only: each image is mirrored left-right with probability ½.",
    )
    c2.number_input(
        "Random crop: padding (pixels, 0 = off)",
        min_value=0,  # the data preview augments with it as drawn
        max_value=MAX_CROP,
        step=1,
        key=P + "augment_crop",
        disabled=disabled,
        help="Training mini-batches only: pad each image by this many pixels, then cut a random "
        "window of the original size (shifts the image a little).",
    )
    c1, c2 = st.columns([1, 2])
    c1.selectbox(
        "Learning-rate schedule",
        list(SCHEDULES),
        format_func=SCHEDULES.get,
        key=P + "lr_schedule",
        disabled=disabled,
        help="Smaller steps later in training often settle the loss lower. The charts show the rate.",
    )
    c2.number_input(
        "Early stopping: patience (epochs, 0 = off)",
        step=1,
        key=P + "patience",
        disabled=disabled,
        help="Stop when the validation accuracy has not improved for this many epochs. "
        "Every run keeps its best validation epoch's weights as best.pt either way.",
    )
    st.markdown(LOSS_NOTE)
    return {name: d[P + name] for name in FIELDS}


def device_problem(device: DeviceKind) -> str | None:
    """A message when the chosen device is not on this server, else None."""
    if available_devices().get(device, False):
        return None
    what = {
        DeviceKind.CUDA: "No NVIDIA GPU (CUDA) is available",
        DeviceKind.MPS: "No Apple GPU (MPS) is available",
    }.get(device, str(device))
    return f"{what} on this server. Choose **auto** or **CPU** under Device."
