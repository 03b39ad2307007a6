"""The one reader of the environment: typed readers for ``CNNVIZ_*`` (and the few others
cnnviz reads), each with a range check and a message that names the variable.

=============================  ===============================================  ==============
variable                       what                                             read by
=============================  ===============================================  ==============
``CNNVIZ_RUNS_DIR``            where runs are saved (default ``./runs``)        ``runs_dir``
``CNNVIZ_DATA_DIR``            the torchvision data folder (``./data``)         ``data_dir``
``CNNVIZ_MAX_JOBS``            trainings running or waiting at once             ``max_jobs``
``CNNVIZ_JOB_IDLE_S``          a training nobody watches stops after this       ``job_idle_s``
``CNNVIZ_TRAIN_THREADS``       torch threads per training in this process       ``integer``
``CNNVIZ_TRAIN_NICE``          niceness of the training threads (0-19)          ``integer``
``CNNVIZ_TRAIN_MEMORY_MB``     the memory a training may take                   ``number``
``CNNVIZ_TRAIN_IMAGES``        the Train page's starting image count            ``integer``
``CNNVIZ_UPLOADS_*_MB``        room for unpacked uploads                        ``number``
``CNNVIZ_ALLOWED_DATA_ROOTS``  server folders visitors may read                 ``path_list``
``CNNVIZ_TEACHER_KEY``         the teacher's key                                ``text``
``CNNVIZ_EXECUTOR``, ``CNNVIZ_RAY_*``  where trainings run (``cnnviz.train.executors.settings``)
=============================  ===============================================  ==============

``bad`` says what an unusable value does: ``"raise"`` a ``SettingError`` naming the
variable (the default), ``"default"`` fall back to the default, ``"clamp"`` bring a
number outside the range to its nearest end (a value that is not a number: the default).
Every reader takes ``env`` (a mapping) in place of ``os.environ`` for tests.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

Bad = Literal["raise", "default", "clamp"]
JOB_IDLE_S = 1800.0  # a training nobody watched for this long stops (CNNVIZ_JOB_IDLE_S)
TRUE = ("1", "true", "yes", "on")


class SettingError(ValueError):
    """A setting in the environment is unusable; the message names the variable and the range."""


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def raw(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The variable's value, stripped; ``None`` when it is unset or empty."""
    value = _env(env).get(name)
    value = str(value).strip() if value is not None else ""
    return value or None


def text(name: str, default: str = "", env: Mapping[str, str] | None = None) -> str:
    value = raw(name, env)
    return default if value is None else value


def flag(name: str, default: bool = False, env: Mapping[str, str] | None = None) -> bool:
    """``1``, ``true``, ``yes`` or ``on`` (any case): True; another value: False."""
    value = raw(name, env)
    return default if value is None else value.lower() in TRUE


def path(name: str, default: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Path:
    value = raw(name, env)
    return Path(default if value is None else value)


def path_list(name: str, env: Mapping[str, str] | None = None) -> list[str]:
    """The non-empty entries of a ``os.pathsep``-separated list (``[]`` when unset)."""
    value = raw(name, env) or ""
    return [part.strip() for part in value.split(os.pathsep) if part.strip()]


def check_number(name: str, value: object, *, low: float, high: float) -> float:
    """``value`` as a finite number in ``[low, high]``, else a ``SettingError`` naming ``name``."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingError(f"{name} must be a number, not {value!r}.") from None
    if not math.isfinite(v) or not low <= v <= high:
        raise SettingError(f"{name} must be between {low:g} and {high:g}, not {value!r}.")
    return v


def check_whole(name: str, value: object, *, low: int, high: int) -> int:
    v = check_number(name, value, low=low, high=high)
    if v != int(v):
        raise SettingError(f"{name} must be a whole number, not {value!r}.")
    return int(v)


def number(
    name: str,
    default: float,
    *,
    low: float,
    high: float,
    bad: Bad = "raise",
    env: Mapping[str, str] | None = None,
) -> float:
    value = raw(name, env)
    if value is None:
        return default
    try:
        return check_number(name, value, low=low, high=high)
    except SettingError:
        return _bad(name, value, default, low, high, bad)


def integer(
    name: str,
    default: int,
    *,
    low: int,
    high: int,
    bad: Bad = "raise",
    env: Mapping[str, str] | None = None,
) -> int:
    """A whole number (``"6"``, not ``"6.5"``) in ``[low, high]``."""
    value = raw(name, env)
    if value is None:
        return default
    try:
        return check_whole(name, value.replace("_", ""), low=low, high=high)
    except SettingError:
        return int(_bad(name, value, default, low, high, bad))


def _bad(name: str, value: str, default: float, low: float, high: float, bad: Bad) -> float:
    if bad == "raise":
        check_number(name, value, low=low, high=high)  # raises the message that fits
        raise SettingError(f"{name} must be a whole number, not {value!r}.")
    if bad == "clamp":
        try:
            v = float(value)
        except ValueError:
            return default
        if math.isfinite(v):
            return min(max(v, low), high)
    return default


# -- the settings more than one module reads --------------------------------------------------
def runs_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$CNNVIZ_RUNS_DIR``, else ``./runs``."""
    return path("CNNVIZ_RUNS_DIR", "runs", env)


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$CNNVIZ_DATA_DIR``, else ``./data``."""
    return path("CNNVIZ_DATA_DIR", "data", env)


def max_jobs(default: int, env: Mapping[str, str] | None = None) -> int:
    """``CNNVIZ_MAX_JOBS``: trainings running or waiting at once, a whole number of 1 or more.

    Not set, or not such a number: ``default`` (the executor's capacity).
    """
    return integer("CNNVIZ_MAX_JOBS", default, low=1, high=100_000, bad="default", env=env)


def job_idle_s(env: Mapping[str, str] | None = None) -> float:
    """``CNNVIZ_JOB_IDLE_S``: a training nobody watched this many seconds stops (default 1800)."""
    return number("CNNVIZ_JOB_IDLE_S", JOB_IDLE_S, low=1.0, high=30 * 86400.0, env=env)


def idle_stop_reason(idle_s: float) -> str:
    """The reason a training nobody watched for ``idle_s`` seconds was stopped with."""
    minutes = math.ceil(idle_s / 60)
    return f"Stopped because nobody watched it for {minutes} minute{'s' if minutes != 1 else ''}."
