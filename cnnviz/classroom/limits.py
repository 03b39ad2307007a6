"""The teacher's limits on a class server, and the check that names the one a job is over.

``Limits`` come from the environment (``Limits.from_env()``) and can be changed
on the teacher's page (saved in the database, see ``cnnviz.classroom.room``).
``over_limits(limits, ...)`` lists every limit a student's job is over, each
saying which limit, the job's value and by how much, e.g. ``"Epochs: 30 is 10
over the class limit of 20."``. The teacher's own jobs are not limited (only by
jobs at once, which is the server's capacity). ``class_size`` is checked when a
student joins, ``student_disk_mb`` before anything of theirs is written
(``cnnviz.classroom.disk``).
jobs at once, which is the server's capacity). ``job_size`` works out what they
look at from a design and its data; ``over_experiment_limit`` caps an
experiment's trainings (variants × seeds). The submission gate
(``cnnviz.classroom.submit``) is their one caller for a training.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from cnnviz.classroom.entries import JobSize
from cnnviz.design.shapes import format_count


@dataclass(frozen=True)
class Limits:
    jobs_at_once: int = 2  # trainings running (or paused) at the same time on the server
    queue_length: int = 40  # jobs waiting in line
    jobs_per_student: int = 1  # running-or-waiting jobs one student may have
    max_epochs: int = 20
    max_train_images: int = 20_000
    max_params: int = 2_000_000
    max_mult_adds: int = 500_000_000  # per image
    upload_files: int = 5_000  # files in one student's upload folder
    upload_mb: int = 100  # megabytes in one student's upload folder
    student_disk_mb: int = 500  # one student's runs and uploads together, on the server's disk
    class_size: int = 60  # students who may join (the teacher removes one to make room)
    max_experiment_runs: int = 12  # trainings in one experiment (variants × seeds)

    ENV = {
        "jobs_at_once": "CNNVIZ_MAX_JOBS",
        "queue_length": "CNNVIZ_QUEUE_LENGTH",
        "jobs_per_student": "CNNVIZ_JOBS_PER_STUDENT",
        "max_epochs": "CNNVIZ_MAX_EPOCHS",
        "max_train_images": "CNNVIZ_MAX_TRAIN_IMAGES",
        "max_params": "CNNVIZ_MAX_PARAMS",
        "max_mult_adds": "CNNVIZ_MAX_MULT_ADDS",
        "upload_files": "CNNVIZ_UPLOAD_FILES",
        "upload_mb": "CNNVIZ_UPLOAD_MB",
        "student_disk_mb": "CNNVIZ_STUDENT_DISK_MB",
        "class_size": "CNNVIZ_CLASS_SIZE",
        "max_experiment_runs": "CNNVIZ_MAX_EXPERIMENT_RUNS",
    }
    TITLES = {
        "jobs_at_once": "Trainings at once",
        "queue_length": "Queue length",
        "jobs_per_student": "Jobs per student (running or waiting)",
        "max_epochs": "Epochs per job",
        "max_train_images": "Training images per job",
        "max_params": "Network parameters per job",
        "max_mult_adds": "Mult-adds per image per job",
        "upload_files": "Uploaded files per student",
        "upload_mb": "Uploaded megabytes per student",
        "student_disk_mb": "Disk megabytes per student (runs and uploads)",
        "class_size": "Class size (students who may join)",
        "max_experiment_runs": "Trainings per experiment (variants × seeds)",
    }

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for name, var in cls.ENV.items():
            raw = str(env.get(var, "")).strip().replace("_", "")
            if raw.isdigit() and int(raw) > 0:
                values[name] = int(raw)
        return cls(**values)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, base: Limits | None = None) -> Limits:
        """``base`` with the known, positive integer values of ``data`` (others ignored)."""
        out = base or cls()
        changes = {}
        for f in fields(cls):
            v = (data or {}).get(f.name)
            if isinstance(v, int | float) and not isinstance(v, bool) and int(v) >= 1:
                changes[f.name] = int(v)
        return replace(out, **changes)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _over(title: str, value: int, limit: int, unit: str = "", fmt=str) -> str:
    return (
        f"{title}: {fmt(value)}{unit} is {fmt(value - limit)}{unit} over the class limit of "
        f"{fmt(limit)}{unit}."
    )


def job_size(spec: dict, data: Any) -> JobSize:
    """What the limits look at: params, mult-adds per image (the design), training images.

    ``data``: a ``DataBundle``, or a saved run's dataset facts (a dict with ``train_size``
    and ``val_size``: what an experiment from that run will load again).
    """
    from cnnviz.design.shapes import summarize, totals
    from cnnviz.design.spec import SpecError

    try:
        t = totals(summarize(spec, 1))
        params, mult_adds = int(t["params"]), int(t["mult_adds"])
    except SpecError:
        params = mult_adds = 0
    if isinstance(data, dict):
        n = int(data.get("train_size", 0) or 0) + int(data.get("val_size", 0) or 0)
    else:
        n = len(getattr(data, "train_y", ())) if data is not None else 0
    return JobSize(params=params, mult_adds=mult_adds, train_images=n)


def over_experiment_limit(limits: Limits, *, arms: int, seeds: int) -> list[str]:
    """The per-experiment cap on trainings (variants × seeds), in words (empty: within it)."""
    n = arms * seeds
    if n <= limits.max_experiment_runs:
        return []
    fewer = max(limits.max_experiment_runs // max(arms, 1), 1)
    return [
        _over("Trainings per experiment", n, limits.max_experiment_runs)
        + f" It trains {arms} variant{'s' if arms != 1 else ''} × {seeds} seed{'s' if seeds != 1 else ''};"
        + f" use at most {fewer} seed{'s' if fewer != 1 else ''} per variant."
    ]


def over_limits(
    limits: Limits,
    *,
    epochs: int,
    train_images: int,
    params: int,
    mult_adds: int,
) -> list[str]:
    """Every per-job limit the job is over, in words (empty: within the limits)."""
    problems = []
    if epochs > limits.max_epochs:
        problems.append(_over("Epochs", epochs, limits.max_epochs) + " Lower the number of epochs.")
    if train_images > limits.max_train_images:
        problems.append(
            _over("Training images", train_images, limits.max_train_images, fmt=lambda n: f"{n:,}")
            + " Use fewer training images."
        )
    if params > limits.max_params:
        problems.append(
            _over("Network parameters", params, limits.max_params, fmt=format_count)
            + " Use fewer channels or a smaller Linear layer."
        )
    if mult_adds > limits.max_mult_adds:
        problems.append(
            _over("Mult-adds per image", mult_adds, limits.max_mult_adds, fmt=format_count)
            + " Pool earlier or use fewer channels."
        )
    return problems


__all__ = ["Limits", "job_size", "over_experiment_limit", "over_limits"]
