"""What each section shows, computed from a saved run with the app's own builders.

``run_content(run) -> Content``: per section a list of blocks (facts, tables, Plotly
figures, embedded images, notes), built by ``cnnviz.plots.*`` from what
``cnnviz.inspect`` computes (capture, evaluate, gradcam) and what the run store holds.
Nothing here renders HTML or imports streamlit. The data the run was trained on is
loaded again (Shapes is drawn again; a torchvision set is read from the data folder):
when it is not there, the figures that need images become a note saying so, and the
rest of the report is still made.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import torch

from cnnviz.report.sections import SectionKind

MAX_MISTAKES = 8
GRADCAMS = 2
FEATURE_LAYERS = 2  # feature maps of the first and the last Conv2d's ReLU (or Conv2d)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Facts:
    rows: tuple[tuple[str, str], ...]  # (what, value)


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Figure:
    name: str  # file-name part: 'confusion-matrix'
    title: str
    figure: Any = field(repr=False)  # plotly.graph_objects.Figure
    caption: str = ""


@dataclass(frozen=True)
class Images:
    title: str
    images: tuple[Any, ...] = field(repr=False)  # uint8 [H, W] or [H, W, 3] arrays
    captions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class Embed:
    """A self-contained interactive piece (its HTML, style and script), e.g. the explainer."""

    title: str
    html: str = field(repr=False)


Block = Facts | Table | Figure | Images | Note | Embed


@dataclass(frozen=True)
class Content:
    headline: str  # "test accuracy 91.2%"
    blocks: dict[SectionKind, tuple[Block, ...]]


def _pct(v: Any) -> str:
    try:
        return f"{100 * float(v):.1f}%"
    except (TypeError, ValueError):
        return "—"


def _load_data(run: Any) -> tuple[Any, str]:
    """(DataBundle or None, why not) for the run's dataset at its size and channels."""
    from cnnviz.data.errors import DatasetUnavailable
    from cnnviz.data.kinds import Source
    from cnnviz.data.registry import DATASETS, load_dataset

    ds = run.dataset
    name = str(ds.get("name") or "")
    info = DATASETS.get(name)
    if info is None:
        return None, (
            f"The images of '{name or 'this dataset'}' are not part of the report: "
            "only the built-in and torchvision datasets can be loaded again."
        )
    size = int((ds.get("size") or [info.size[0]])[0])
    channels = int(ds.get("channels") or info.channels)
    n_train = int(ds.get("train_size") or 0) + int(ds.get("val_size") or 0) or None
    n_test = int(ds.get("test_size") or 0) or None
    if info.source is not Source.BUILTIN:
        n_train = n_train if n_train and n_train < info.n_train else None
        n_test = n_test if n_test and n_test < info.n_test else None
    try:
        return load_dataset(name, size=size, channels=channels, n_train=n_train, n_test=n_test), ""
    except (DatasetUnavailable, ValueError, OSError) as e:
        # the reason names the server's data folder: logged, and kept out of the presentation
        log.warning("the %s images of run %s could not be loaded: %s", name, run.id, e)
        return (
            None,
            f"The {info.title} images are not on this computer, so they are left out "
            "(download them on the Train page and make the presentation again).",
        )


def _overview(run: Any, rows: list[dict], headline: str) -> tuple[Block, ...]:
    from cnnviz.data.registry import DATASETS
    from cnnviz.design.shapes import totals
    from cnnviz.plots.design.diagram import design_figure

    ds = run.dataset
    info = DATASETS.get(str(ds.get("name")))
    shape = "×".join(str(v) for v in run.spec.get("input", []))
    facts = Facts(
        (
            (
                "Dataset",
                f"{info.title if info else ds.get('name', '?')} · {len(run.classes)} classes",
            ),
            ("Input", f"{shape} images"),
            ("Network", f"{len(rows)} layers · {totals(rows)['params']:,} parameters"),
            ("Result", headline),
        )
    )
    fig = design_figure(run.spec, rows, None, height=340)
    return facts, Figure("network-diagram", "The network", fig)


def _data(run: Any, bundle: Any, why: str) -> tuple[Block, ...]:
    from cnnviz.data.pipeline import iterations_per_epoch, split_train_val
    from cnnviz.plots.data import figures as plots

    cfg, ds = run.train_config, run.dataset
    b = int(cfg.get("batch_size", 64))
    c = int(ds.get("channels") or 0)
    h, w = (list(ds.get("size") or [0, 0]) * 2)[:2]
    n_train = int(ds.get("train_size") or 0)
    norm = run.normalization
    blocks: list[Block] = [
        Facts(
            (
                ("Splits", f"{n_train:,} training · {int(ds.get('val_size') or 0):,} validation · "
                 f"{int(ds.get('test_size') or 0):,} test images"),
                ("Normalization", norm.describe()),
                ("One mini-batch", f"[B, C, H, W] = [{b}, {c}, {h}, {w}]"),
                ("Iterations per epoch", f"⌈{n_train:,} / {b}⌉ = {iterations_per_epoch(n_train, b):,}"),
                ("Shuffle", "a new order every epoch" if cfg.get("shuffle", True) else "off"),
            )
        )
    ]  # fmt: skip
    if bundle is None:
        return (*blocks, Note(why))
    per_class = 6 if len(bundle.classes) <= 12 else 3
    blocks.append(
        Figure(
            "sample-images",
            "Samples of every class",
            plots.sample_grid(bundle.train_x, bundle.train_y, bundle.classes, per_class=per_class),
        )
    )
    tx, ty, vx, vy = split_train_val(
        bundle.train_x, bundle.train_y, float(cfg.get("val_fraction", 0.1)), int(cfg.get("seed", 0))
    )
    counts = plots.class_counts(
        bundle.classes, {"train": ty, "validation": vy, "test": bundle.test_y}
    )
    blocks.append(Figure("class-counts", "Images per class", counts))
    k = min(b, 32)
    blocks.append(
        Figure(
            "mini-batch",
            "One mini-batch",
            plots.batch_grid(tx[:k], ty[:k], bundle.classes, shape=(b, c, h, w)),
            caption="The first images of one mini-batch, as pictures (before normalization).",
        )
    )
    return tuple(blocks)


def _conv_indices(model: Any) -> list[int]:
    from cnnviz.inspect.capture import _inner

    kids = list(model.children())
    convs = [  # a block holding a Conv2d counts (a ResNet's residual blocks): its merged maps
        i
        for i, m in enumerate(kids)
        if isinstance(m, torch.nn.Conv2d)
        or (_inner(m) is not None and any(isinstance(k, torch.nn.Conv2d) for k in m.modules()))
    ]
    out = []
    for i in convs[:1] + convs[-1:] if len(convs) > 1 else convs:
        nxt = i + 1 if i + 1 < len(kids) and isinstance(kids[i + 1], torch.nn.ReLU) else i
        out.append(nxt)
    return out[:FEATURE_LAYERS]


def _features(run: Any, rows: list[dict], model: Any, bundle: Any, why: str) -> tuple[Block, ...]:
    from cnnviz.inspect.capture import CaptureError, capture
    from cnnviz.plots.inspect import maps, weights

    table = Table(
        "Every layer: its output shape and why",
        ("#", "Layer", "Output shape", "Params", "Formula"),
        tuple(
            (
                str(r.get("label") or r["index"] + 1),
                ("· " * r.get("depth", 0)) + str(r["name"]) + (": merge" if r.get("block") else ""),
                "[" + ", ".join(str(v) for v in r["output_shape"] or []) + "]",
                r.get("params_formula") or f"{r.get('params', 0):,}",
                "; ".join(r.get("formula") or []),
            )
            for r in rows
        ),
    )
    blocks: list[Block] = [table]
    if model is None:
        return (*blocks, Note(why))
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    if bundle is not None and convs:
        x = run.normalization.apply(bundle.test_x[:1])  # (1, C, H, W)
        name = run.classes[int(bundle.test_y[0])] if run.classes else ""
        try:
            for cap in capture(model, x, _conv_indices(model)):
                blocks.append(
                    Figure(
                        f"layer-{cap.index + 1}-feature-maps",
                        f"Feature maps of layer {cap.index + 1} ({cap.type}) for one test image"
                        + (f" (a {name})" if name else ""),
                        maps.feature_maps_figure(
                            cap.output[0], title=f"Layer {cap.index + 1} · {cap.type}"
                        ),
                    )
                )
        except CaptureError as e:
            blocks.append(Note(f"The feature maps could not be computed: {e}"))
    elif bundle is None:
        blocks.append(Note(why))
    if convs:
        blocks.append(
            Figure(
                "first-layer-filters",
                "The first layer's filters",
                weights.filters_figure(convs[0].weight.detach(), title="Layer 1 · Conv2d"),
                caption="What the first Conv2d learned to look for: one small image per filter.",
            )
        )
    return tuple(blocks)


def _loss(run: Any) -> tuple[Block, ...]:
    from cnnviz.plots.train.curves import epoch_metrics_figure, iteration_loss_figure

    cfg = run.train_config
    opt = str(cfg.get("optimizer", "adam"))
    settings = f"learning rate {cfg.get('lr')}, weight decay {cfg.get('weight_decay', 0)}"
    if opt == "sgd":
        settings += f", momentum {cfg.get('momentum')}"
    schedule = str(cfg.get("lr_schedule", "none"))
    facts = Facts(
        (
            ("Loss", "cross-entropy (softmax is inside the loss; the network outputs logits)"),
            ("Optimizer", f"{ {'sgd': 'SGD', 'adam': 'Adam', 'adamw': 'AdamW'}.get(opt, opt)} · {settings}"),
            ("Schedule", "the same learning rate every epoch" if schedule == "none" else schedule),
            ("Epochs", f"{run.status.get('epochs_done', '?')} of {cfg.get('epochs', '?')} · seed {cfg.get('seed', 0)}"),
        )
    )  # fmt: skip
    it, ep = run.metrics_iter, run.metrics_epoch
    return (
        facts,
        Figure("loss-per-iteration", "Loss per iteration", iteration_loss_figure(it, title=None)),
        Figure(
            "loss-and-accuracy-per-epoch",
            "Per epoch: training vs validation",
            epoch_metrics_figure(
                ep,
                test_accuracy=run.status.get("test_accuracy"),
                test_loss=run.status.get("test_loss"),
                title=None,
            ),
        ),
    )


def _results(run: Any, model: Any, bundle: Any, why: str) -> tuple[Block, ...]:
    from cnnviz.inspect.capture import CaptureError
    from cnnviz.inspect.evaluate import evaluate
    from cnnviz.inspect.gradcam import gradcam
    from cnnviz.plots.inspect import results

    classes = list(run.classes)
    status = run.status
    blocks: list[Block] = [
        Facts((("Test accuracy", _pct(status.get("test_accuracy"))),
               ("Test loss", f"{status.get('test_loss'):.4f}" if isinstance(status.get("test_loss"), float) else "—")))
    ]  # fmt: skip
    ev = None
    if model is not None and bundle is not None:
        try:
            ev = evaluate(
                model,
                bundle.test_x,
                bundle.test_y,
                run.normalization,
                num_classes=len(classes) or None,
            )
        except CaptureError as e:
            blocks.append(Note(f"The test images could not be evaluated: {e}"))
    confusion = ev.confusion if ev is not None else status.get("confusion")
    if confusion is None:
        return (*blocks, Note(why or "This run has no test results."))
    conf = torch.as_tensor(confusion, dtype=torch.float64)
    per_class = conf.diagonal() / conf.sum(1).clamp(min=1)
    blocks.append(
        Table(
            "Accuracy per class",
            ("Class", "Right", "Images", "Accuracy"),
            tuple(
                (classes[i] if i < len(classes) else str(i), f"{int(conf[i, i])}", f"{int(conf[i].sum())}",
                 _pct(per_class[i]) if conf[i].sum() else "—")
                for i in range(conf.shape[0])
            ),
        )
    )  # fmt: skip
    blocks.append(
        Figure(
            "confusion-matrix",
            "The confusion matrix (row: true class, column: predicted)",
            results.confusion_figure(conf.long(), class_names=classes),
        )
    )
    if ev is None:
        return (*blocks, Note(why))
    wrong = ev.mistakes(MAX_MISTAKES)
    if wrong:
        imgs, caps = results.gallery(bundle.test_x, wrong, class_names=classes)
        blocks.append(Images("The most confident mistakes", tuple(imgs), tuple(caps)))
    for m in wrong[:GRADCAMS]:
        x = run.normalization.apply(bundle.test_x[m.index : m.index + 1])
        try:
            att = gradcam(model, x, m.pred, classes=classes)
        except CaptureError:
            continue
        blocks.append(
            Figure(
                f"gradcam-{m.index}",
                f"{att.method}: why image #{m.index} was called {classes[m.pred] if m.pred < len(classes) else m.pred}",
                results.gradcam_figure(bundle.test_x[m.index], att.heatmap, title=None),
                caption=f"{att.method}: {att.note}.",
            )
        )
    return tuple(blocks)


def _outputs(model: Any) -> int:
    last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    return int(last[-1].out_features) if last else 0


def classes_problem(run: Any, model: Any, bundle: Any) -> str | None:
    """What is wrong when the run's class names do not fit its data or its network (a
    damaged or hand-edited config.json), in one sentence; None when they fit."""
    named = len(run.classes)
    if not named:
        return None  # no names: every section numbers the classes instead
    if bundle is not None and len(bundle.classes) != named:
        return (
            f"This run's config.json names {named} classes but its data has "
            f"{len(bundle.classes)}: its files do not belong together. Train it again, "
            "or delete this run."
        )
    outputs = _outputs(model) if model is not None else 0
    if outputs and outputs != named:
        return (
            f"This run's config.json names {named} classes but its network has {outputs} "
            "outputs: its files do not belong together. Train it again, or delete this run."
        )
    return None


def _explained(run: Any, model: Any, bundle: Any, why: str) -> tuple[Block, ...]:
    """The run's network running in the page (``cnnviz.report.explainer``), or a note why not."""
    from cnnviz.report.explainer import TITLE, explainer_html
    from cnnviz.report.explainer.payload import NotEmbeddable

    if model is None:
        return (Note(f"{TITLE}: left out, the trained network could not be loaded. {why}".strip()),)
    try:
        return (Embed(TITLE, explainer_html(run, model, bundle)),)
    except NotEmbeddable as e:
        return (Note(f"{TITLE}: {e}; the rest of the presentation is exported without it."),)


load_data = _load_data  # the command line's explainer export loads the run's data the same way


def run_content(run: Any) -> Content:
    """Every section's blocks for ``run`` (a ``cnnviz.train.store.Run``).

    Raises ``RunError`` when the run's files contradict each other (``classes_problem``)."""
    from cnnviz.design.shapes import summarize
    from cnnviz.train.store import RunError

    rows = summarize(run.spec, max(1, int(run.train_config.get("batch_size", 1))))
    acc = run.status.get("test_accuracy")
    headline = f"test accuracy {_pct(acc)}" if acc is not None else "not tested yet"
    try:
        model, model_why = run.load_model(), ""
    except RunError as e:
        model, model_why = None, str(e)
    bundle, data_why = _load_data(run)
    if problem := classes_problem(run, model, bundle):
        raise RunError(problem)
    why = data_why or model_why
    return Content(
        headline,
        {
            SectionKind.OVERVIEW: _overview(run, rows, headline),
            SectionKind.DATA: _data(run, bundle, data_why),
            SectionKind.FEATURES: _features(run, rows, model, bundle, model_why or data_why)
            + _explained(run, model, bundle, model_why),
            SectionKind.LOSS: _loss(run),
            SectionKind.RESULTS: _results(run, model, bundle, why),
            SectionKind.APPLICATIONS: (),
        },
    )


__all__ = [
    "Block",
    "Content",
    "Embed",
    "Facts",
    "Figure",
    "Images",
    "Note",
    "Table",
    "classes_problem",
    "run_content",
]
