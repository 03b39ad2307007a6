"""Which image the Inspect page sends through the network.

``choose_image(subject, bundle, evaluation)`` shows the choices and returns a
``Chosen`` (uint8 ``[1, C, H, W]``, exactly what the network receives before
normalization) or None after saying why:

- a test image: by index (slider), at random (button), narrowed to one class;
- one of the mistakes (the evaluation's most confident wrong answers first);
- an upload (PNG/JPEG/GIF/BMP/WebP of any mode, up to ``cnnviz.images.LIMITS``), converted with
  ``cnnviz.images.to_model_input`` and shown as the network receives it;
- a drawing on a canvas, for 1×28×28 networks (``cnnviz.ui.inspect_canvas``),
  centred and scaled the way MNIST was (``cnnviz.images.from_drawing``).

``convert_upload(data, subject, dark=...)`` is the upload path without widgets
(it returns ``(Chosen | None, error message | None)``), so tests can feed it bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st
import torch

from cnnviz.inspect.image_steps import ImageError
from cnnviz.inspect.images import (
    LIMITS,
    MAX_BYTES,
    centre_like_mnist,
    from_drawing,
    to_model_input,
    unlike_training,
)
from cnnviz.text.escape import for_markdown
from cnnviz.ui import state
from cnnviz.ui.inspect.model import Subject

if TYPE_CHECKING:
    from cnnviz.data.bundle import DataBundle
    from cnnviz.inspect.evaluate import Evaluation

SOURCES = ("Test image", "A mistake", "Upload", "Draw")
DARK_DATASETS = {"mnist", "fashionmnist", "kmnist"}
_INDEX = "inspect.index"
_CLASS = "inspect.class"
_CLASS_POS = "inspect.class_index"  # 1-based position among one class's test images
MAX_MISTAKES = 100
PREVIEW_WIDTH = 224  # px: the chosen image is always shown this wide


@dataclass(frozen=True)
class Chosen:
    """The image going into the network."""

    x: torch.Tensor  # uint8 [1, C, H, W]
    label: int | None  # the true class when known
    source: str  # "test image #123", "your upload", ...
    notes: tuple[str, ...] = field(default=())

    def preview(self) -> np.ndarray:
        """uint8 [H, W] or [H, W, 3] for st.image."""
        a = self.x[0].permute(1, 2, 0).numpy()
        return a[..., 0] if a.shape[2] == 1 else a


def is_image_input(subject: Subject) -> bool:
    return len(subject.input_shape) == 3 and subject.input_shape[0] in (1, 3)


def is_digit_like(subject: Subject) -> bool:
    return tuple(subject.input_shape) == (1, 28, 28)


def dark_background(subject: Subject, bundle: DataBundle | None = None) -> bool:
    """Whether the training images are light-on-dark (MNIST-like): decides how uploads are flattened."""
    if subject.dataset in DARK_DATASETS:
        return True
    if bundle is not None and bundle.test_x.dim() == 4 and len(bundle.test_x):
        x = bundle.test_x[:256].float()
        border = torch.cat([x[..., 0, :], x[..., -1, :], x[..., :, 0], x[..., :, -1]], -1)
        return float(border.mean()) < 60.0
    return False


def convert_upload(
    data: Any,
    subject: Subject,
    *,
    dark: bool = False,
    fit: str = "crop",
    invert: bool | None = None,
) -> tuple[Chosen | None, str | None]:
    """An uploaded file as network input, or (None, a message naming the cause and the fix).

    ``fit``: "crop" (centre-crop to the network's aspect ratio) or "pad"; ``invert``: None
    decides from the picture (light-on-dark data only), True/False force it.
    """
    if not is_image_input(subject):
        return None, f"this network takes a vector of {subject.input_shape}, not an image"
    c, h, w = subject.input_shape
    try:
        conv = to_model_input(
            data, channels=c, size=(h, w), dark_background=dark, fit=fit, invert=invert
        )
    except ImageError as e:
        return None, f"That file cannot be used: {e}."
    notes = [
        f"{conv.format or 'image'} {conv.original_size[0]}×{conv.original_size[1]}, mode {conv.original_mode}"
    ]
    notes += list(conv.notes)
    if dark and is_digit_like(subject):  # centred and sized like MNIST, as the canvas does
        try:
            centred = centre_like_mnist(conv.preview)
            notes += [
                n.replace("strokes cropped", "then, like a drawing: strokes cropped")
                for n in centred.notes
            ]
            return Chosen(centred.tensor, None, "your upload", tuple(notes)), None
        except ImageError:
            notes.append("no strokes found to centre: used as it is")
    return Chosen(conv.tensor, None, "your upload", tuple(notes)), None


def _class_filter(subject: Subject) -> int:
    """The class the test images are narrowed to (-1: any class)."""
    options = [-1, *range(len(subject.classes))]
    return st.selectbox(
        "Class",
        options,
        format_func=lambda i: "any class" if i < 0 else f"{i}: {subject.class_name(i)}",
        key=state.kept(_CLASS, -1),  # kept across page switches and in ?img=
    )


def _random_pick(key: str, n: int, first: int) -> None:
    st.session_state[key] = first + int(torch.randint(n, (1,)).item())


def _test_image(subject: Subject, bundle: DataBundle) -> Chosen | None:
    """Any class: the slider is the test image's number (#0 …). One class: the slider counts
    that class's images from 1 ("image 83 of the 200 “heart” test images · test image #893")."""
    y = bundle.test_y
    a, b = st.columns([2, 3])
    with a:
        cls = _class_filter(subject)
    idx = torch.arange(len(y)) if cls < 0 else (y == cls).nonzero().squeeze(1)
    n = len(idx)
    if n == 0:
        st.info("The test split has no image of this class.")
        return None
    if cls < 0:
        key, first, label = _INDEX, 0, f"Test image # (0 to {n - 1})"
    else:
        key, first = _CLASS_POS, 1
        label = (
            f"Image (1 to {n}, among the {n} “{for_markdown(subject.class_name(cls))}” test images)"
        )
    state.kept(key, first)
    if not first <= st.session_state.get(key, first) < first + n:
        st.session_state[key] = first
    with b:
        pos = st.slider(label, first, first + max(n - 1, 1), key=key, disabled=n == 1)
    st.button("Random image", icon=":material/casino:", on_click=_random_pick, args=(key, n, first))
    i = int(idx[min(pos - first, n - 1)])
    source = (
        f"test image #{i}"
        if cls < 0
        else f"image {pos} of the {n} “{subject.class_name(cls)}” test images · test image #{i}"
    )
    return Chosen(bundle.test_x[i : i + 1], int(y[i]), source)


def _mistake(subject: Subject, bundle: DataBundle, evaluation: Evaluation | None) -> Chosen | None:
    if evaluation is None:
        st.info(
            "Evaluate the network on the test split first (the **Evaluation** tab) to list its mistakes."
        )
        return None
    wrong = evaluation.mistakes(MAX_MISTAKES)
    if not wrong:
        st.success("No mistakes on the test split: every test image is classified right.")
        return None

    def label(k: int) -> str:
        m = wrong[k]
        return (
            f"#{m.index}: a {subject.class_name(m.true)} taken for a {subject.class_name(m.pred)} "
            f"(p = {m.confidence:.2f})"
        )

    k = st.selectbox(
        f"Mistake (most confident first; {len(evaluation.mistakes())} in all)",
        range(len(wrong)),
        format_func=label,
        key="inspect.mistake",
    )
    m = wrong[k]
    return Chosen(
        bundle.test_x[m.index : m.index + 1], m.true, f"test image #{m.index} (a mistake)"
    )


def _upload(subject: Subject, bundle: DataBundle) -> Chosen | None:
    c, h, w = subject.input_shape
    file = st.file_uploader(
        f"An image file (PNG, JPEG, GIF, BMP, WebP; {LIMITS})",
        type=["png", "jpg", "jpeg", "gif", "bmp", "webp"],
        key="inspect.upload",
        max_upload_size=MAX_BYTES // 2**20,  # the uploader's own "… MB per file" says the same
        help=f"It is converted to what this network takes: {c}×{h}×{w} "
        f"({'greyscale' if c == 1 else 'colour'}, {h}×{w} pixels).",
    )
    if file is None:
        return None
    dark = dark_background(subject, bundle)
    a, b = st.columns(2)
    with a:
        fit = st.segmented_control(
            "Fit to the network's size",
            ["crop", "pad"],
            default="crop",
            format_func=lambda f: "crop centre" if f == "crop" else "pad sides",
            help="Crop centre: cut the middle to the network's aspect ratio. "
            "Pad sides: keep the whole picture and fill the border.",
            key="inspect.fit",
            required=True,
        )
    invert = None
    if dark:
        with b:
            pick = st.segmented_control(
                "Light-on-dark like the training images",
                ["auto", "invert", "keep"],
                default="auto",
                key="inspect.invert",
                required=True,
                help="The training images are light strokes on black. Auto inverts a picture "
                "that is dark on light (e.g. a pen drawing on paper).",
            )
            invert = {"auto": None, "invert": True, "keep": False}[pick]
    chosen, error = convert_upload(file, subject, dark=dark, fit=fit, invert=invert)
    if error:
        st.error(for_markdown(error))
    return chosen


def _drawing(subject: Subject) -> Chosen | None:
    from cnnviz.ui.inspect.canvas import drawing

    rgba = drawing()
    if rgba is None:
        st.caption("Draw on the black square; the network sees your drawing when you lift the pen.")
        return None
    try:
        conv = from_drawing(rgba, like="mnist")
    except ImageError as e:
        st.error(f"The drawing cannot be used: {for_markdown(e)}.")
        return None
    return Chosen(conv.tensor, None, "your drawing", tuple(conv.notes))


def offered_sources(subject: Subject, bundle: DataBundle) -> list[str]:
    """The image sources this network gets: drawing for 1×28×28 only, test images with a test split."""
    sources = [s for s in SOURCES if s != "Draw" or is_digit_like(subject)]
    if bundle is None:
        sources = [s for s in sources if s not in ("Test image", "A mistake")]
    return sources


_SOURCE_WORDS = {
    "Test image": "a test image",
    "A mistake": "a mistake",
    "Upload": "an upload",
    "Draw": "a drawing",
}


def choose_hint(subject: Subject, bundle: DataBundle) -> str:
    """'Choose an image above: a test image, a mistake or an upload.' (only what is offered)"""
    words = [_SOURCE_WORDS[s] for s in offered_sources(subject, bundle)]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return f"Choose an image above: {listed}."


def choose_image(
    subject: Subject, bundle: DataBundle, evaluation: Evaluation | None
) -> Chosen | None:
    """The source picker and its widgets; the chosen image or None."""
    if not is_image_input(subject):
        st.warning(
            f"This network takes a vector of shape {list(subject.input_shape)}, not an image, "
            "so there are no images to choose here."
        )
        return None
    sources = offered_sources(subject, bundle)
    key = state.kept("inspect.source", sources[0])
    if st.session_state[key] not in sources:  # e.g. a mistake, for a network without test images
        st.session_state[key] = sources[0]
    source = st.segmented_control("Image from", sources, key=key, required=True)
    if source == "Test image":
        return _test_image(subject, bundle)
    if source == "A mistake":
        return _mistake(subject, bundle, evaluation)
    if source == "Upload":
        return _upload(subject, bundle)
    return _drawing(subject)


def unlike_warning(chosen: Chosen, bundle: Any) -> None:
    """A warning when an upload or a drawing is far from the test images' statistics."""
    if bundle is None or chosen.label is not None or not len(bundle.test_x):
        return
    if tuple(bundle.test_x.shape[1:]) != tuple(chosen.x.shape[1:]):
        return
    why = unlike_training(chosen.x, bundle.test_x)
    if why:
        st.warning(why, icon=":material/warning:")


def show_chosen(chosen: Chosen, subject: Subject) -> None:
    """The image as the network receives it, upscaled without blurring, with its label and notes."""
    c, h, w = chosen.x.shape[1:]
    scale = max(1, -(-PREVIEW_WIDTH // max(h, w)))  # at least as big as shown: no blur
    big = np.kron(
        chosen.preview(), np.ones((scale, scale) + ((1,) if c == 3 else ()), dtype=np.uint8)
    )
    label = (
        f"true class: {subject.class_name(chosen.label)}"
        if chosen.label is not None
        else "true class: unknown"
    )
    # a fixed width, so the layout does not jump between images of different sizes
    st.image(big, caption=for_markdown(f"{chosen.source} — {label}"), width=PREVIEW_WIDTH)
    st.caption(
        f"What the network receives: a {c}×{h}×{w} tensor, then normalized ({_norm(subject)})."
    )
    for note in chosen.notes:
        st.caption(f"• {for_markdown(note)}")


def _norm(subject: Subject) -> str:
    describe = getattr(subject.normalization, "describe", None)
    return describe() if callable(describe) else str(subject.normalization)
