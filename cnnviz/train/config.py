"""TrainConfig: every training choice, as one frozen, validated, JSON-able dataclass.

``TrainConfig.from_dict(d)`` accepts strings for the choices and ignores nothing:
an unknown key, a wrong type or an out-of-range number raises ``ConfigError``
whose message names the setting, the allowed range and a fix.
``config.problems()`` lists every problem at once (for a page to show them all).
Re-exported by ``cnnviz.engine``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from cnnviz.data.kinds import NormKind
from cnnviz.design.layer_kinds import MAX_BATCH

MAX_EPOCHS = 500
MAX_CROP = 32


class ConfigError(ValueError):
    """A training setting is unusable. The message names the setting and the fix."""


class OptimizerKind(StrEnum):
    SGD = "sgd"  # stochastic gradient descent, with momentum
    ADAM = "adam"
    ADAMW = "adamw"  # Adam with decoupled weight decay


class DeviceKind(StrEnum):
    AUTO = "auto"  # the first of AUTO_ORDER this machine has
    CPU = "cpu"
    CUDA = "cuda"
    MPS = "mps"


AUTO_ORDER = (DeviceKind.CUDA, DeviceKind.MPS, DeviceKind.CPU)  # what "auto" tries, in order


class LrSchedule(StrEnum):
    """How the learning rate changes from epoch to epoch."""

    NONE = "none"  # the same learning rate every epoch
    STEP = "step"  # ×0.1 after half of the epochs, and again after three quarters
    COSINE = "cosine"  # falls along half a cosine from the learning rate to 0 at the last epoch


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 3
    batch_size: int = 64
    optimizer: OptimizerKind = OptimizerKind.ADAM
    lr: float = 1e-3
    momentum: float = 0.9  # SGD only
    weight_decay: float = 0.0
    seed: int = 0
    device: DeviceKind = DeviceKind.AUTO
    normalize: NormKind = NormKind.STANDARDIZE
    augment_flip: bool = False  # random horizontal flip (training batches only)
    augment_crop: int = 0  # random crop after padding by this many pixels; 0 = off
    val_fraction: float = 0.1  # share of the training set held out for validation
    shuffle: bool = True  # a new random order of the training set every epoch
    lr_schedule: LrSchedule = LrSchedule.NONE
    patience: int = 0  # early stopping: stop after this many epochs without a better val accuracy

    def __post_init__(self) -> None:
        for name, enum in (
            ("optimizer", OptimizerKind),
            ("device", DeviceKind),
            ("normalize", NormKind),
            ("lr_schedule", LrSchedule),
        ):
            v = getattr(self, name)
            if not isinstance(v, enum):
                try:
                    object.__setattr__(self, name, enum(str(v).lower()))
                except ValueError:
                    allowed = ", ".join(e.value for e in enum)
                    raise ConfigError(f"{name} must be one of {allowed}, not {v!r}.") from None

    def problems(self) -> list[str]:
        """Every setting that cannot work, each with the allowed range."""
        out = []

        def whole(name: str, lo: int, hi: int, hint: str = "") -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                out.append(f"{name} must be a whole number, not {v!r}.")
            elif not lo <= v <= hi:
                out.append(f"{name} must be between {lo} and {hi}, not {v}.{hint}")

        def number(
            name: str, lo: float, hi: float, *, open_lo: bool = False, hint: str = ""
        ) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                out.append(f"{name} must be a number, not {v!r}.")
            elif v < lo or v > hi or (open_lo and v == lo):
                side = f"above {lo}" if open_lo else f"at least {lo}"
                out.append(f"{name} must be {side} and at most {hi}, not {v}.{hint}")

        whole("epochs", 1, MAX_EPOCHS, " An epoch is one pass over the training set; try 3 to 10.")
        whole("batch_size", 1, MAX_BATCH, " A mini-batch of 32 to 256 images is usual.")
        number("lr", 0.0, 10.0, open_lo=True, hint=" Try 0.001 for Adam or 0.01 for SGD.")
        number("momentum", 0.0, 0.999, hint=" 0.9 is the usual value.")
        number("weight_decay", 0.0, 1.0, hint=" Try 0 or 0.0001.")
        whole("seed", 0, 2**31 - 1)
        whole("augment_crop", 0, MAX_CROP, " Padding of 2 to 4 pixels is usual; 0 turns it off.")
        number(
            "val_fraction",
            0.0,
            0.9,
            hint=" 0.1 keeps a tenth of the training images for validation.",
        )
        whole(
            "patience",
            0,
            MAX_EPOCHS,
            " Early stopping: 0 = off; 2 or 3 epochs without a better validation accuracy is usual.",
        )
        if (
            isinstance(self.patience, int)
            and self.patience > 0
            and isinstance(self.val_fraction, int | float)
            and self.val_fraction <= 0
        ):
            out.append(
                "patience needs a validation split: early stopping watches the validation "
                "accuracy. Hold out e.g. 10% of the training images, or set patience to 0."
            )
        for name in ("augment_flip", "shuffle"):
            if not isinstance(getattr(self, name), bool):
                out.append(f"{name} must be true or false, not {getattr(self, name)!r}.")
        return out

    def validated(self) -> TrainConfig:
        """Self, or ConfigError listing every problem."""
        p = self.problems()
        if p:
            raise ConfigError(" ".join(p))
        return self

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None = None, **overrides: Any) -> TrainConfig:
        """A validated config from a dict (e.g. a preset's ``train=`` or config.json), plus overrides."""
        d = {**(d or {}), **{k: v for k, v in overrides.items() if v is not None}}
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(
                f"Unknown training setting(s): {', '.join(unknown)}. Known: {', '.join(sorted(names))}."
            )
        d = {k: _coerce(k, v) for k, v in d.items()}
        return cls(**d).validated()

    def with_(self, **changes: Any) -> TrainConfig:
        return TrainConfig.from_dict({**self.to_dict(), **changes})


_INTS = {"epochs", "batch_size", "seed", "augment_crop", "patience"}
_FLOATS = {"lr", "momentum", "weight_decay", "val_fraction"}


def _coerce(name: str, v: Any) -> Any:
    """Accept "0.01" for 0.01 and 3.0 for 3 (from text boxes / JSON); leave anything else to problems()."""
    try:
        if name in _INTS and isinstance(v, str | float) and float(v) == int(float(v)):
            return int(float(v))
        if name in _FLOATS and isinstance(v, str):
            return float(v)
        if (
            name in ("augment_flip", "shuffle")
            and isinstance(v, str)
            and v.lower() in ("true", "false")
        ):
            return v.lower() == "true"
    except (ValueError, OverflowError):
        pass
    return v


__all__ = [
    "ConfigError",
    "DeviceKind",
    "LrSchedule",
    "MAX_BATCH",
    "MAX_EPOCHS",
    "OptimizerKind",
    "TrainConfig",
]
