"""Experiments: change one thing, train every variant (arm) with the same seeds and data, read it.

``make_arms(kind, spec, config)`` gives the arms of one experiment::

    normalization   none (0–255) · ÷255 · standardize
    learning-rate   three values a decade apart around the current one
    batchnorm       without BatchNorm2d · BatchNorm2d after every Conv2d
    batch-size      B/4 · B · 4B (same epochs: fewer iterations per epoch)
    epochs          one run twice as long, the shorter one's end marked
    residual        the deep plain stack · the same stack with skip connections
                    (``cnnviz.compare.residual.twins``; the reading adds the first
                    layers' gradient sizes, from each run's gradients file)

``reading(kind, results, config)`` words what the runs actually show in two
sentences; when that contradicts the course it says so, why, and returns the
variant (settings to change) that shows the effect. Running the arms is
``cnnviz.compare.runner``.
"""

from __future__ import annotations

import copy
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from cnnviz.design.layer_kinds import MAX_BATCH
from cnnviz.train.config import TrainConfig


class ExperimentKind(StrEnum):
    NORMALIZATION = "normalization"
    LEARNING_RATE = "learning-rate"
    BATCHNORM = "batchnorm"
    BATCH_SIZE = "batch-size"
    EPOCHS = "epochs"
    RESIDUAL = "residual"


TITLES = {
    ExperimentKind.NORMALIZATION: "Normalization: none vs ÷255 vs standardize",
    ExperimentKind.LEARNING_RATE: "Learning rate: three values a decade apart",
    ExperimentKind.BATCHNORM: "BatchNorm2d after every Conv2d vs without",
    ExperimentKind.BATCH_SIZE: "Mini-batch size: three sizes, same epochs",
    ExperimentKind.EPOCHS: "Epochs: a run twice as long",
    ExperimentKind.RESIDUAL: "Skip connections: a deep plain stack vs the same with skips",
}


class ExperimentError(ValueError):
    """The experiment cannot be set up for this network or these settings (message says why)."""


@dataclass(frozen=True)
class Arm:
    label: str
    spec: dict
    config: TrainConfig
    mark_epoch: int | None = None  # epochs: where the shorter run would have ended
    slug: str = ""  # for the run folder's name (default: the label)


@dataclass(frozen=True)
class ArmResult:
    """How one arm's runs (one per seed) ended."""

    label: str
    accuracies: tuple[float, ...]  # test accuracy of each finished run
    failed: int = 0  # runs that failed (NaN loss, ...)
    iterations_per_epoch: int | None = None
    train_loss: tuple[float, ...] = ()  # epochs experiment: training loss at the mark, at the end
    val_accuracy: tuple[float, ...] = ()  # epochs experiment: at the mark, at the end
    extra: dict = field(default_factory=dict)

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.accuracies) if self.accuracies else None

    @property
    def spread(self) -> float:
        """The standard deviation over seeds (0 for one run)."""
        return statistics.stdev(self.accuracies) if len(self.accuracies) > 1 else 0.0


NORM_LABELS = {"none": "none (0–255)", "div255": "÷255", "standardize": "standardize"}


def _bn_spec(spec: dict, with_bn: bool) -> dict:
    layers = [copy.deepcopy(x) for x in spec.get("layers", []) if x.get("type") != "batchnorm2d"]
    if with_bn:
        out = []
        for x in layers:
            out.append(x)
            if x.get("type") == "conv2d":
                out.append({"type": "batchnorm2d"})
        layers = out
    return {**copy.deepcopy(spec), "layers": layers}


def make_arms(kind: ExperimentKind | str, spec: dict, config: TrainConfig) -> list[Arm]:
    kind = ExperimentKind(kind)
    c = config.validated()
    if kind == ExperimentKind.NORMALIZATION:
        return [Arm(NORM_LABELS[n], spec, c.with_(normalize=n), slug=n) for n in NORM_LABELS]
    if kind == ExperimentKind.LEARNING_RATE:
        rates = [c.lr / 10, c.lr, c.lr * 10]
        if rates[-1] > 10:
            rates = [c.lr / 100, c.lr / 10, c.lr]
        return [Arm(f"lr {r:.3g}", spec, c.with_(lr=float(f"{r:.3g}"))) for r in rates]
    if kind == ExperimentKind.BATCHNORM:
        if not any(x.get("type") == "conv2d" for x in spec.get("layers", [])):
            raise ExperimentError(
                "This network has no Conv2d layer to put BatchNorm2d after: add one on the Design page."
            )
        return [
            Arm("without BatchNorm2d", _bn_spec(spec, False), c, slug="without-bn"),
            Arm("BatchNorm2d after every Conv2d", _bn_spec(spec, True), c, slug="with-bn"),
        ]
    if kind == ExperimentKind.BATCH_SIZE:
        b = c.batch_size
        sizes = sorted({max(1, b // 4), b, min(MAX_BATCH, b * 4)})
        if len(sizes) < 3:
            sizes = sorted({1, 4, 16} if b <= 4 else {b // 4, b // 2, b})
        return [Arm(f"mini-batch {s}", spec, c.with_(batch_size=s)) for s in sizes]
    if kind == ExperimentKind.EPOCHS:
        longer = min(2 * c.epochs, 500)
        return [Arm(f"{longer} epochs", spec, c.with_(epochs=longer, patience=0), c.epochs)]
    if kind == ExperimentKind.RESIDUAL:
        from cnnviz.compare.residual import NoTwin, twins

        try:
            plain, skips = twins(spec)
        except NoTwin as e:
            raise ExperimentError(str(e)) from None
        return [
            Arm("plain stack", plain, c, slug="plain"),
            Arm("with skip connections", skips, c, slug="skips"),
        ]
    raise ExperimentError(f"unknown experiment {kind}")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _arm_words(r: ArmResult) -> str:
    if r.mean is None:
        return f"{r.label} failed (the loss became NaN)" if r.failed else f"{r.label} —"
    n = len(r.accuracies)
    spread = f" ± {100 * r.spread:.1f}" if n > 1 else ""
    seeds = f" over {n} seeds" if n > 1 else ""
    failed = f", {r.failed} failed" if r.failed else ""
    return f"{r.label} {_pct(r.mean)}{spread}{seeds}{failed}"


def _margin(*arms: ArmResult) -> float:
    """How far apart two means must be to call one better: 1 point, or the seeds' spread."""
    return max([0.01, *(a.spread for a in arms)])


def reading(
    kind: ExperimentKind | str, results: Sequence[ArmResult], config: TrainConfig
) -> tuple[str, dict | None]:
    """Two sentences on what the runs show, and the variant to try when it contradicts the course."""
    kind = ExperimentKind(kind)
    first = "Test accuracy: " + "; ".join(_arm_words(r) for r in results) + "."
    if kind == ExperimentKind.EPOCHS:
        return _epochs_reading(results, config)
    if kind == ExperimentKind.RESIDUAL:
        from cnnviz.compare.residual import gradient_words, residual_words

        plain, skips = results[0], results[-1]
        words = residual_words(plain, skips, beyond_noise(plain, skips))
        grads = [r.extra.get("gradients") for r in results]
        return first + words + gradient_words([r.label for r in results], grads), None
    done = [r for r in results if r.mean is not None]
    if len(done) < 2:
        return (
            first + " Too few runs finished to compare: see each run's reason on the Runs page.",
            None,
        )
    best = max(done, key=lambda r: r.mean or 0.0)
    if kind == ExperimentKind.NORMALIZATION:
        return _norm_reading(first, results, config)
    if kind == ExperimentKind.BATCHNORM:
        without, with_ = results[0], results[1]
        if without.mean is None or with_.mean is None:
            return (
                first + f" Only {best.label} finished; the other failed (see the Runs page).",
                None,
            )
        if with_.mean > without.mean + _margin(without, with_):
            return first + (
                " As the course says, BatchNorm2d after each Conv2d helped: it keeps every "
                "channel's values normalized over the mini-batch, so the layers train on a steady scale."
            ), None
        return first + (
            " This does not show the course's claim that BatchNorm2d helps: it matters most in "
            "deeper networks and with larger learning rates, and this small network trains well "
            "without it; try the same with SGD and learning rate 0.1 to see the effect."
        ), {"optimizer": "sgd", "lr": 0.1}
    if kind == ExperimentKind.LEARNING_RATE:
        failed = [r.label for r in results if r.failed and r.mean is None]
        blew = f" ({', '.join(failed)} diverged: its loss became NaN)" if failed else ""
        if best is results[1]:
            why = (
                f" The middle rate was best{blew}: too small a learning rate takes tiny steps and "
                "learns slowly, too large a one overshoots the minimum of the loss."
            )
        elif best is results[-1]:
            why = (
                f" The largest rate was best{blew}: in this few epochs, bigger steps got further "
                "down the loss; a still larger rate would start to overshoot."
            )
        else:
            why = (
                f" The smallest rate was best{blew}: the larger ones made steps too big for this "
                "network, so the loss bounced instead of settling."
            )
        return first + why, None
    # batch size
    sizes = [r.label for r in results]
    small, large = results[0], results[-1]
    if (
        small.mean is not None
        and large.mean is not None
        and small.mean > large.mean + _margin(small, large)
    ):
        why = (
            f" With the same epochs the smaller mini-batches did better: {sizes[0]} makes many more "
            "iterations (weight updates) per epoch than the larger ones, each on a noisier gradient."
        )
    elif (
        small.mean is not None
        and large.mean is not None
        and large.mean > small.mean + _margin(small, large)
    ):
        why = (
            " The largest mini-batch did best even with fewer iterations per epoch: its averaged "
            "gradients are less noisy, which here mattered more than the number of updates."
        )
    else:
        why = (
            " The mini-batch size made little difference here: fewer but steadier updates per "
            "epoch with large mini-batches balanced more but noisier ones with small mini-batches."
        )
    return first + why, None


def beyond_noise(a: ArmResult, b: ArmResult) -> bool:
    """True when ``a`` and ``b`` differ by more than their seeds' noise.

    Two standard errors of the difference of the means (1 point at least, and with one
    seed each, 1 point): Welch's rule of thumb, what a class can check by hand."""
    if a.mean is None or b.mean is None:
        return False
    se = (a.spread**2 / len(a.accuracies) + b.spread**2 / len(b.accuracies)) ** 0.5
    return abs(a.mean - b.mean) > max(0.01, 2 * se)


def _points(a: ArmResult, b: ArmResult) -> str:
    return f"{100 * abs((a.mean or 0.0) - (b.mean or 0.0)):.1f} points"


def _norm_reading(
    first: str, results: Sequence[ArmResult], config: TrainConfig
) -> tuple[str, dict | None]:
    """The arms compared pair by pair (within the seeds' noise or beyond it), then the claim.

    The course's claim is that normalized data trains better than raw 0–255 pixels: it is
    supported when a normalization beats raw beyond the noise and none does worse than raw,
    contradicted when raw beats every normalization beyond the noise, and otherwise the
    words say exactly which pairs differ and which do not."""
    raw = results[0]
    normed = [r for r in results[1:] if r.mean is not None]
    if raw.mean is None and normed:
        return first + (
            " As the course says, normalized data trained better: on raw 0–255 pixels the loss "
            "blew up, because inputs that large make the first steps far too big."
        ), None
    if raw.mean is None or not normed:
        return first + " Too few runs finished to compare: see the Runs page.", None
    adaptive = str(config.optimizer) in ("adam", "adamw")
    opt = {"adam": "Adam", "adamw": "AdamW"}.get(str(config.optimizer), "SGD")
    raw_mean = raw.mean
    better = [r for r in normed if (r.mean or 0.0) > raw_mean and beyond_noise(r, raw)]
    worse = [r for r in normed if (r.mean or 0.0) < raw_mean and beyond_noise(r, raw)]
    level = [r for r in normed if r not in better and r not in worse]
    best = max([raw, *normed], key=lambda r: r.mean or 0.0)
    why_adam = (
        f": {opt} divides every step by the running size of its gradients, so it copes with the "
        "0–255 scale far better than SGD; run the same experiment with SGD to see the effect."
    )
    sgd = {"optimizer": "sgd", "lr": 0.01}
    if better and not worse:
        names = " and ".join(r.label for r in better)
        rest = "".join(
            f"; {r.label} was within the seeds' spread of raw ({_points(r, raw)})" for r in level
        )
        return first + (
            f" As the course says, normalized data is better than the raw data: {names} beat the "
            f"raw 0–255 pixels by more than the seeds' spread{rest}; normalized inputs are on the "
            "scale the weights start at, so the gradient steps are well sized."
        ), None
    if worse and not better and not level:
        return first + (
            " This contradicts the course's claim that normalized data is better: the raw 0–255 "
            f"pixels beat {' and '.join(r.label for r in worse)} by more than the seeds' spread"
            + (why_adam if adaptive else "; with this few epochs, train longer or with more seeds.")
        ), (sgd if adaptive else {"epochs": config.epochs * 2})
    if better and worse:
        return first + (
            f" Only partly what the course says: {' and '.join(r.label for r in better)} beat the "
            f"raw 0–255 pixels but {' and '.join(r.label for r in worse)} did worse, each by more "
            "than the seeds' spread"
            + (why_adam if adaptive else "; run more seeds to see whether it holds.")
        ), (sgd if adaptive else {"repeats": 3})
    # no normalization beat raw beyond the noise
    lead = (
        f"{best.label} was best, but its lead over the raw 0–255 pixels ({_points(best, raw)}) "
        "is within the spread of the seeds"
        if best is not raw
        else "the raw 0–255 pixels were best, but only within the spread of the seeds"
    )
    also = (
        f"; {' and '.join(r.label for r in worse)} did worse than raw, beyond the spread"
        if worse
        else ""
    )
    return first + (
        f" This does not show the course's claim that normalized data is better: {lead}{also}"
        + (why_adam if adaptive else "; train more epochs or with more seeds to see it.")
    ), (sgd if adaptive else {"epochs": config.epochs * 2})


def _epochs_reading(results: Sequence[ArmResult], config: TrainConfig) -> tuple[str, dict | None]:
    r = results[0]
    if len(r.train_loss) < 2 or len(r.val_accuracy) < 2:
        return (
            f"The longer run did not reach epoch {config.epochs} ({_arm_words(r)}). "
            "See its reason on the Runs page.",
            None,
        )
    short, long_ = config.epochs, 2 * config.epochs
    (l1, l2), (v1, v2) = r.train_loss, r.val_accuracy
    first = (
        f"After {short} epochs the training loss was {l1:.3f} and the validation accuracy "
        f"{_pct(v1)}; after {long_} epochs {l2:.3f} and {_pct(v2)}."
    )
    if l2 < l1 and v2 >= v1 - 0.01:
        return first + (
            " As the course says, more epochs decreased the loss, and the validation accuracy held "
            "or rose, so the shorter run had stopped too early."
        ), None
    if l2 < l1:
        return first + (
            " More epochs decreased the training loss, as the course says, but the validation "
            "accuracy fell: the network began to learn the training images by heart (overfitting), "
            "so more epochs is not always better; early stopping keeps the best epoch."
        ), {"patience": 2}
    return first + (
        " This contradicts the course's claim that more epochs decrease the loss: the training loss "
        "did not fall further, so the learning rate is likely too large to settle; try it 10× smaller."
    ), {"lr": config.lr / 10}


__all__ = [
    "Arm",
    "beyond_noise",
    "ArmResult",
    "ExperimentError",
    "ExperimentKind",
    "TITLES",
    "make_arms",
    "reading",
]
