"""The Inspect page's test data and "Evaluation" tab.

``test_split(subject)`` loads the test split of the dataset the network was
trained on (at its size and channels), or says why it cannot (files missing,
own-images data); the page then still offers uploads and drawings.
``evaluation_for(subject, bundle)`` evaluates once per (weights, dataset) and keeps
the result in this session. The tab shows test accuracy, per-class accuracy, the
confusion matrix (counts or normalised; click a cell, or pick it below, to see
those images) and the mistakes, most confident first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from cnnviz.data.catalog import DATASETS
from cnnviz.data.errors import DatasetUnavailable
from cnnviz.data.registry import load_dataset
from cnnviz.inspect.capture import CaptureError
from cnnviz.inspect.evaluate import Evaluation, evaluate
from cnnviz.plots.inspect import results
from cnnviz.text.escape import for_markdown
from cnnviz.train.run_files import CONFIG_FILE
from cnnviz.ui.figures import show
from cnnviz.ui.inspect.model import Subject

if TYPE_CHECKING:
    from cnnviz.data.bundle import DataBundle

_EVALS = "inspect.evaluations"  # {(subject.key, dataset key): Evaluation}
GALLERY = 24


def _dataset_key(subject: Subject) -> tuple:
    return (subject.dataset, *subject.input_shape)


def test_split(subject: Subject) -> tuple[Any, str | None]:
    """(DataBundle with the test split, None) or (None, why not)."""
    if subject.dataset not in DATASETS:
        name = subject.dataset or "unknown"
        return None, f"The test images of this run's data ({name}) cannot be loaded here."
    if len(subject.input_shape) != 3:
        return None, "This network does not take images."
    c, h, w = subject.input_shape
    if h != w:
        return None, f"The network takes {h}×{w} images; datasets here are square."
    info = DATASETS[subject.dataset]
    n_test, data_dir = None, None
    if subject.run_dir is not None:
        try:
            import json

            cfg = json.loads((subject.run_dir / CONFIG_FILE).read_text())
            n_test = int(cfg.get("dataset", {}).get("test_size") or 0) or None
            # where the run's images came from (a folder typed on Train), if it is still there
            source = str(cfg.get("dataset", {}).get("source") or "")
            data_dir = source if source and Path(source).is_dir() else None
        except (OSError, ValueError, TypeError):
            n_test = None
    if info.source != "builtin":
        n_test = None  # the whole test split of a real dataset
    try:
        with st.spinner(f"Loading the {info.title} test split…"):
            bundle = load_dataset(
                subject.dataset, data_dir=data_dir, size=h, channels=c, n_train=1, n_test=n_test
            )
    except DatasetUnavailable as e:
        from cnnviz.ui.classroom import session

        if session.is_student():  # the message names the server's data folder: not for students
            return None, (
                f"The {info.title} test images are not on this server: ask the teacher to "
                "download them (on their Train page)."
            )
        return (
            None,
            f"The test images are not here. {e} (The Download button is on the **Train** page.)",
        )
    except (ValueError, OSError) as e:
        from cnnviz.ui.classroom import session

        if session.is_student():
            return None, f"The {info.title} test split could not be loaded on this server."
        return None, f"The {info.title} test split could not be loaded: {e}"
    return bundle, None


def cached_evaluation(subject: Subject) -> Evaluation | None:
    return st.session_state.get(_EVALS, {}).get((subject.key, _dataset_key(subject)))


def evaluation_for(subject: Subject, bundle: DataBundle) -> Evaluation | None:
    """The evaluation on the test split (computed once per weights and dataset, with a progress bar)."""
    hit = cached_evaluation(subject)
    if hit is not None:
        return hit
    n = len(bundle.test_y)
    bar = st.progress(0.0, text=f"Evaluating on {n:,} test images…")
    try:
        with subject.lock:  # shared across sessions: one pass at a time
            ev = evaluate(
                subject.model,
                bundle.test_x,
                bundle.test_y,
                subject.normalization,
                num_classes=len(subject.classes) or None,
                progress=lambda done, total: bar.progress(
                    done / max(total, 1), text=f"Evaluated {done:,} of {total:,}"
                ),
            )
    except CaptureError as e:
        bar.empty()
        st.error(f"The network cannot be evaluated on these images: {for_markdown(e)}")
        return None
    bar.empty()
    store: dict = st.session_state.setdefault(_EVALS, {})
    if len(store) > 4:
        store.clear()
    store[(subject.key, _dataset_key(subject))] = ev
    return ev


def per_class_table(ev: Evaluation, classes: tuple[str, ...]) -> pd.DataFrame:
    """Per class: images, right, accuracy and the class it is most often mistaken for."""
    cm = ev.confusion.clone()
    rows = []
    for t in range(ev.num_classes):
        n = int(cm[t].sum())
        right = int(cm[t, t])
        off = cm[t].clone()
        off[t] = -1
        j = int(off.argmax())
        confused = f"{_name(classes, j)} ({int(off[j])})" if n and int(off[j]) > 0 else "—"
        rows.append(
            {
                "class": _name(classes, t),
                "test images": n,
                "right": right,
                "accuracy": right / n if n else None,
                "most often taken for": confused,
            }
        )
    return pd.DataFrame(rows)


def _name(classes: tuple[str, ...], i: int) -> str:
    return classes[i] if 0 <= i < len(classes) else str(i)


def evaluation_tab(
    subject: Subject, bundle: DataBundle, why_not: str | None, *, key: str = "ev"
) -> None:
    if bundle is None:
        st.info(f"{for_markdown(why_not or 'No test split.')} Evaluation needs the test split.")
        return
    ev = evaluation_for(subject, bundle)
    if ev is None:
        return
    classes = subject.classes
    a, b, c = st.columns(3)
    a.metric("Test accuracy", f"{100 * ev.accuracy:.1f} %")
    b.metric("Right", f"{ev.correct:,} of {ev.count:,}")
    c.metric("Mistakes", f"{ev.count - ev.correct:,}")
    st.caption(
        "Every test image went through the network once, in mini-batches, under `model.eval()` and "
        "`torch.no_grad()`. The test split was never used for training."
    )
    st.markdown("**Per class**")
    st.dataframe(
        per_class_table(ev, classes),
        hide_index=True,
        column_config={
            "accuracy": st.column_config.ProgressColumn(
                format="percent", min_value=0.0, max_value=1.0
            )
        },
    )
    _confusion(ev, bundle, classes, key)
    st.markdown("**Mistakes, most confident first**")
    wrong = ev.mistakes(GALLERY)
    if not wrong:
        st.success("No mistakes on the test split.")
        return
    imgs, caps = results.gallery(
        bundle.test_x, wrong, class_names=list(classes), upscale=_upscale(bundle)
    )
    st.image(imgs, caption=[for_markdown(c) for c in caps], width=110)
    st.caption(
        "A confident mistake is often a badly written or mislabelled image: look at them with the class."
    )


def _upscale(bundle: DataBundle) -> int:
    return max(1, 96 // int(bundle.test_x.shape[-1]))


def _confusion(ev: Evaluation, bundle: DataBundle, classes: tuple[str, ...], key: str) -> None:
    st.markdown("**Confusion matrix** — row: the true class, column: what the network said")
    normalized = st.toggle(
        "Normalised (each row sums to 1)",
        key=f"{key}.norm",
        help="Counts show how many images; normalised shows which share of each class went where.",
    )
    fig = results.confusion_figure(ev.confusion, class_names=list(classes), normalized=normalized)
    event = show(
        fig,
        name="confusion-matrix",
        presenter=True,
        key=f"{key}.cm",
        on_select="rerun",
        selection_mode="points",
    )
    picked = results.selected_cell(event)
    k = ev.num_classes
    st.caption("Click a cell to see its images, or choose the cell here:")
    a, b = st.columns(2)
    if picked is not None and picked != st.session_state.get(f"{key}.clicked"):
        st.session_state[f"{key}.clicked"] = picked  # apply a click once; the selectboxes stay free
        st.session_state[f"{key}.true"], st.session_state[f"{key}.pred"] = picked
    with a:
        t = st.selectbox(
            "True class", range(k), format_func=lambda i: _name(classes, i), key=f"{key}.true"
        )
    with b:
        default_pred = next((j for j in range(k) if j != t and int(ev.confusion[t, j]) > 0), t)
        if f"{key}.pred" not in st.session_state:
            st.session_state[f"{key}.pred"] = default_pred
        p = st.selectbox(
            "Predicted class", range(k), format_func=lambda i: _name(classes, i), key=f"{key}.pred"
        )
    idx = ev.cell(int(t), int(p))[:GALLERY].tolist()
    total = int(ev.confusion[t, p])
    what = "right" if t == p else "mistaken"
    st.caption(
        f"{total} test image(s) of class {for_markdown(_name(classes, t))} predicted as {for_markdown(_name(classes, p))} ({what})"
        + (f"; the {len(idx)} most confident shown" if total > len(idx) else "")
    )
    if idx:
        up = _upscale(bundle)
        probs = ev.probabilities
        st.image(
            [results.to_display(bundle.test_x[i], upscale=up) for i in idx],
            caption=[f"#{i} (p = {float(probs[i, p]):.2f})" for i in idx],
            width=96,
        )
