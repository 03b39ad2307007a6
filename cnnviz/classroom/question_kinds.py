"""What each kind of class question asks, and the right answer the app works out itself.

A question about the design the teacher sent (``Classroom.latest_design``) is answered
from the shape engine's own rows (``cnnviz.design.shapes.summarize``): the output shape
with the size formula filled in (``row["formula"]``), the parameter count with its
formula (``row["params_formula"]``); "is this layer linear?" runs the Learn page's
check (``cnnviz.learn.linearity.check_linearity``) on the layer built by torch. The
teacher's own questions carry their right option or number. An experiment question's
right answer is the arm that reached the highest mean test accuracy, known once the
experiment (trained through the submission gate) has ended.

An answer is kept as text, normalized (``normalize``), so that "6 x 62 x 62" and
"6×62×62" count as one answer on the chart.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cnnviz.design.shapes import format_count, summarize, top_rows


class QuestionKind(StrEnum):
    SHAPE = "shape"  # the output shape of a layer of the sent design
    PARAMS = "params"  # its parameter count
    LINEAR = "linear"  # is this layer linear? (the Learn page's check)
    EXPERIMENT = "experiment"  # which setting or design reaches the higher test accuracy
    CHOICE = "choice"  # the teacher's multiple choice
    NUMBER = "number"  # the teacher's number, with a tolerance


TITLES = {
    QuestionKind.SHAPE: "Output shape of a layer of the sent design",
    QuestionKind.PARAMS: "Parameter count of a layer of the sent design",
    QuestionKind.LINEAR: "Is this layer of the sent design linear?",
    QuestionKind.EXPERIMENT: "Which reaches the higher test accuracy? (the reveal trains them)",
    QuestionKind.CHOICE: "Your own multiple-choice question",
    QuestionKind.NUMBER: "Your own number question",
}

LINEAR_OPTIONS = ("linear", "affine", "not linear")  # cnnviz.learn.linearity.Verdict's values
LINEAR_WORDS = {
    "linear": "linear: f(a + b) = f(a) + f(b) and f(c·a) = c·f(a) both hold",
    "affine": "affine: a linear map plus a constant (the bias), f(a + b) = f(a) + f(b) − f(0)",
    "not linear": "not linear: no matrix (and no matrix plus a constant) does what it does",
}
LINEAR_C = 2.0  # the Learn page's default c
LINEAR_SEED = 0


class QuestionError(ValueError):
    """The question cannot be asked or answered as given (the message names the fix)."""


@dataclass(frozen=True)
class Right:
    """The right answer: the options (or number) that count as right, and how it was worked out."""

    answers: tuple[str, ...] = ()  # normalized; any of them is right
    number: float | None = None  # a number question: right within ``tolerance``
    tolerance: float = 0.0
    shown: str = ""  # the answer as the reveal shows it
    working: tuple[str, ...] = ()  # the formula filled in, the check's numbers, the reading
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "answers": list(self.answers),
            "number": self.number,
            "tolerance": self.tolerance,
            "shown": self.shown,
            "working": list(self.working),
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Right | None:
        if not d:
            return None
        return cls(
            tuple(str(a) for a in d.get("answers", ())),
            None if d.get("number") is None else float(d["number"]),
            float(d.get("tolerance") or 0.0),
            str(d.get("shown", "")),
            tuple(str(w) for w in d.get("working", ())),
            dict(d.get("extra") or {}),
        )

    def is_right(self, answer: str) -> bool:
        if self.number is not None:
            value = as_number(answer)
            return value is not None and abs(value - self.number) <= self.tolerance + 1e-9
        return normalize_text(answer) in self.answers


def as_number(text: str) -> float | None:
    """``text`` as a number (thousands separators and spaces allowed), or None."""
    cleaned = re.sub(r"[\s,_'’]", "", str(text))
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def normalize_text(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def normalize_shape(text: str) -> str | None:
    """ "6 x 62 x 62", "(6, 62, 62)", "6×62×62" -> "6×62×62"; None without a number."""
    numbers = re.findall(r"\d+", str(text))
    return "×".join(str(int(x)) for x in numbers) if numbers else None


def normalize(kind: QuestionKind, text: str, options: tuple[str, ...] = ()) -> str:
    """A student's answer as stored and counted, or ``QuestionError`` with the fix."""
    text = str(text or "").strip()
    if not text:
        raise QuestionError("Type or pick an answer first.")
    if len(text) > 200:
        raise QuestionError("That answer is too long: at most 200 characters.")
    if kind is QuestionKind.SHAPE:
        shape = normalize_shape(text)
        if shape is None:
            raise QuestionError(
                "Type the shape as numbers, e.g. 6×62×62 (channels × height × width)."
            )
        return shape
    if kind in (QuestionKind.PARAMS, QuestionKind.NUMBER):
        value = as_number(text)
        if value is None:
            raise QuestionError("Type a number, e.g. 168 or 0.5.")
        return f"{value:g}" if kind is QuestionKind.NUMBER else str(int(round(value)))
    folded = {normalize_text(o): o for o in options}
    if normalize_text(text) not in folded:
        raise QuestionError("Pick one of the answers offered.")
    return normalize_text(text)


# -- the sent design's layers --------------------------------------------------------
def design_layers(spec: dict) -> list[dict]:
    """The sent design's top-level rows whose shape was worked out (``status == "ok"``)."""
    return [r for r in top_rows(summarize(spec, 1)) if r["status"] == "ok"]


def layer_row(spec: dict, index: int) -> dict:
    for r in design_layers(spec):
        if r["index"] == index:
            return r
    raise QuestionError(
        f"The sent design has no layer {index + 1} with a shape: send the design again "
        "from the Design page, or pick another layer."
    )


def layer_title(row: dict) -> str:
    return f"layer {row['label']}: {row['name']}"


def shape_right(spec: dict, index: int) -> Right:
    """The output shape (batch left out), with the size formula the shape engine filled in."""
    row = layer_row(spec, index)
    out = [int(d) for d in row["output_shape"][1:]]
    shown = "×".join(str(d) for d in out)
    working = [f"input {'×'.join(str(d) for d in row['input_shape'][1:])}", *row["formula"]]
    return Right((shown,), shown=shown, working=tuple(working))


def params_right(spec: dict, index: int) -> Right:
    """The parameter count, with the shape engine's formula (weights + biases)."""
    row = layer_row(spec, index)
    count = int(row["params"])
    working = (
        [row["params_formula"]] if row["params_formula"] else [f"{row['name']} has no weights"]
    )
    return Right((str(count),), shown=format_count(count), working=tuple(working))


def linear_right(spec: dict, index: int) -> Right:
    """The Learn page's check (``check_linearity``) on the layer as torch builds it.

    a and b: two seeded standard-normal inputs of the layer's input shape; c = 2."""
    import torch

    from cnnviz.design.build import build_model
    from cnnviz.learn.linearity import check_linearity

    row = layer_row(spec, index)
    torch.manual_seed(LINEAR_SEED)
    module = build_model(spec)[index]
    g = torch.Generator().manual_seed(LINEAR_SEED)
    shape = [1, *row["input_shape"][1:]]
    a, b = torch.randn(shape, generator=g), torch.randn(shape, generator=g)
    r = check_linearity(module, a, b, LINEAR_C)
    verdict = str(r.verdict)
    working = (
        f"f(a + b) = f(a) + f(b): {'holds' if r.additive else 'fails'} "
        f"(largest gap {r.sum_gap:.1e})",
        f"f({LINEAR_C:g}·a) = {LINEAR_C:g}·f(a): {'holds' if r.homogeneous else 'fails'} "
        f"(largest gap {r.scale_gap:.1e})",
        f"{row['name']} is {LINEAR_WORDS[verdict]}",
    )
    return Right((verdict,), shown=verdict, working=working)


def choice_right(options: tuple[str, ...], right: str) -> Right:
    if right not in options:
        raise QuestionError("Mark which of the options is right.")
    return Right((normalize_text(right),), shown=right)


def number_right(value: float, tolerance: float) -> Right:
    if not math.isfinite(value) or not math.isfinite(tolerance) or tolerance < 0:
        raise QuestionError("The right number and its tolerance must be numbers, tolerance ≥ 0.")
    shown = f"{value:g}" + (f" (± {tolerance:g} counts as right)" if tolerance else "")
    return Right(number=float(value), tolerance=float(tolerance), shown=shown)


EXPERIMENT_DATASET = "shapes"  # built in: no download, any size and channels
EXPERIMENT_KINDS = ("batchnorm", "learning-rate", "normalization", "batch-size")  # 2 or 3 arms


def experiment_config(settings: dict | None, *, epochs: int) -> Any:
    """The sent design's Train settings (``TrainConfig``), with the teacher's epochs."""
    from cnnviz.train.config import ConfigError, TrainConfig

    known = TrainConfig.__dataclass_fields__
    d = {k: v for k, v in (settings or {}).items() if k in known}
    try:
        return TrainConfig.from_dict({**d, "epochs": int(epochs), "patience": 0})
    except ConfigError as e:
        raise QuestionError(f"The sent Train settings cannot be used: {e}") from None


def experiment_options(kind: str, spec: dict, config: Any) -> tuple[str, ...]:
    """The experiment's arms, as the options students choose from."""
    from cnnviz.compare.experiments import ExperimentError, make_arms

    if kind not in EXPERIMENT_KINDS:
        raise QuestionError(f"Pick one of: {', '.join(EXPERIMENT_KINDS)}.")
    try:
        return tuple(a.label for a in make_arms(kind, spec, config))
    except ExperimentError as e:
        raise QuestionError(str(e)) from None


def experiment_data(spec: dict, *, n_train: int, n_test: int) -> Any:
    """Shapes at the sent design's input (channels and size), a small seeded subset;
    ``QuestionError`` when the design does not fit Shapes (its problems, in words)."""
    from cnnviz.data.catalog import DATASETS
    from cnnviz.data.registry import load_dataset
    from cnnviz.train.fitcheck import check_fit

    shape = [int(d) for d in spec.get("input") or []]
    n_classes = len(DATASETS[EXPERIMENT_DATASET].classes)
    if len(shape) != 3 or shape[0] not in (1, 3) or shape[1] != shape[2]:
        raise QuestionError(
            "The sent design's input must be images (1 or 3 channels, square) to train on Shapes."
        )
    blocking = [p.message for p in check_fit(spec, ("Shapes", shape, n_classes)) if p.blocking]
    if blocking:
        raise QuestionError("The sent design does not train on Shapes: " + " ".join(blocking))
    try:
        return load_dataset(
            EXPERIMENT_DATASET, size=shape[1], channels=shape[0], n_train=n_train, n_test=n_test
        )
    except ValueError as e:
        raise QuestionError(str(e)) from None


def experiment_right(arm_results: list[Any], reading: str | None) -> Right:
    """The arm (or arms, on a tie) with the highest mean test accuracy, and the reading."""
    done = [r for r in arm_results if r.mean is not None]
    if not done:
        return Right(shown="no run finished", working=(reading or "",))
    best = max(r.mean for r in done)
    winners = [r.label for r in done if r.mean == best]
    means = [
        f"{r.label}: {'—' if r.mean is None else f'{100 * r.mean:.1f} %'} test accuracy"
        for r in arm_results
    ]
    return Right(
        tuple(normalize_text(w) for w in winners),
        shown=" and ".join(winners),
        working=(*means, *([reading] if reading else [])),
    )


__all__ = [
    "EXPERIMENT_KINDS",
    "LINEAR_OPTIONS",
    "QuestionError",
    "QuestionKind",
    "Right",
    "TITLES",
    "choice_right",
    "design_layers",
    "experiment_config",
    "experiment_data",
    "experiment_options",
    "experiment_right",
    "layer_row",
    "layer_title",
    "linear_right",
    "normalize",
    "number_right",
    "params_right",
    "shape_right",
]
