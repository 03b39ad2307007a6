"""What a run folder's files must hold, checked field by field.

The run store (``cnnviz.train.store``) reads every file through these checks,
so a damaged run (a hand-edited ``status.json``, a half-written CSV, a file
from another program) is listed as damaged with what is wrong, and the pages
only ever see values of the right type. Each ``check_*`` returns the cleaned
value and a list of problems in plain words ("status.json: epochs_done is
'three', not a whole number"); none of them raises.

``Status`` (``cnnviz.train.status``) is the closed vocabulary of a run's state. ``INTERRUPTED`` is
never written: it is what a "running" run reads as when the process that
trained it is gone (the server was killed), see ``owner_alive``.
"""

from __future__ import annotations

import math
import os
import socket
from typing import Any

from cnnviz.train.status import Status

MAX_JSON_CHARS = 2_000_000  # spec/config/status files: a big design is ~20 KB
MAX_CSV_BYTES = 256 * 1024 * 1024  # 30 epochs x 10,000 iterations is ~25 MB


WRITTEN = (Status.RUNNING, Status.FINISHED, Status.STOPPED, Status.FAILED)
ENDED = (Status.FINISHED, Status.STOPPED, Status.FAILED, Status.INTERRUPTED)


def _shown(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "…"


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))


def this_owner() -> dict[str, Any]:
    """Who is writing a run: this process on this machine (status.json's ``owner``)."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def owner_alive(owner: Any) -> bool:
    """Whether the process named by a status.json ``owner`` may still be training.

    Unknown owners (runs written before owners were recorded) count as gone; a
    process on another machine (a shared runs folder) is taken at its word.
    """
    if not isinstance(owner, dict) or not _whole(owner.get("pid")) or owner["pid"] <= 0:
        return False
    if owner.get("host") != socket.gethostname():
        return True
    if owner["pid"] == os.getpid():
        return True
    try:
        os.kill(owner["pid"], 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists (someone else's), or cannot be told: do not call it interrupted
    return True


def check_status(raw: Any) -> tuple[dict[str, Any], list[str]]:
    """status.json -> (clean dict with every key, problems)."""
    out: dict[str, Any] = {
        "status": Status.UNKNOWN,
        "reason": None,
        "advice": None,
        "test_loss": None,
        "test_accuracy": None,
        "epochs_done": 0,
        "updated": "",
        "owner": None,
    }
    if not isinstance(raw, dict):
        return out, [f"status.json holds {type(raw).__name__}, not an object"]
    problems = []
    s = raw.get("status")
    if isinstance(s, str) and s in {str(w) for w in WRITTEN}:
        out["status"] = Status(s)
    else:
        problems.append(f"status.json: status is {_shown(s)}, not running/finished/stopped/failed")
    done = raw.get("epochs_done", 0)
    if _whole(done) and done >= 0:
        out["epochs_done"] = done
    else:
        problems.append(f"status.json: epochs_done is {_shown(done)}, not a whole number")
    acc = raw.get("test_accuracy")
    if acc is None or (_number(acc) and 0 <= acc <= 1):
        out["test_accuracy"] = None if acc is None else float(acc)
    else:
        problems.append(f"status.json: test_accuracy is {_shown(acc)}, not a fraction 0..1")
    loss = raw.get("test_loss")
    if loss is None or (_number(loss) and loss >= 0):
        out["test_loss"] = None if loss is None else float(loss)
    else:
        problems.append(f"status.json: test_loss is {_shown(loss)}, not a number")
    for key in ("reason", "advice", "updated"):
        v = raw.get(key)
        if v is None or isinstance(v, str):
            out[key] = v if v is not None else out[key]
        else:
            problems.append(f"status.json: {key} is {_shown(v)}, not text")
    for key in ("best_val_accuracy", "best_test_accuracy"):
        v = raw.get(key)
        if v is None or (_number(v) and 0 <= v <= 1):
            out[key] = None if v is None else float(v)
        else:
            problems.append(f"status.json: {key} is {_shown(v)}, not a fraction 0..1")
    for key, check, words in (
        ("best_epoch", lambda v: _whole(v) and v >= 0, "a whole number"),
        ("elapsed_s", lambda v: _number(v) and v >= 0, "a number of seconds"),
        ("confusion", _matrix, "a table of counts"),
        ("best_confusion", _matrix, "a table of counts"),
    ):
        v = raw.get(key)
        if v is None or check(v):
            out[key] = v
        else:
            problems.append(f"status.json: {key} is {_shown(v)}, not {words}")
    if isinstance(raw.get("owner"), dict):
        out["owner"] = raw["owner"]
    if isinstance(raw.get("started"), dict):
        out["started"] = raw["started"]
    for key, v in raw.items():  # anything else a newer writer adds: passed on as read
        out.setdefault(key, v)
    return out, problems


def _matrix(v: Any) -> bool:
    return (
        isinstance(v, list)
        and len(v) <= 1000
        and all(isinstance(row, list) and all(_whole(x) and x >= 0 for x in row) for row in v)
    )


def _text_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def check_config(raw: Any) -> tuple[dict[str, Any], list[str]]:
    """config.json -> (clean dict: train, dataset, classes, normalization, label; problems)."""
    out: dict[str, Any] = {
        "train": {},
        "dataset": {},
        "classes": [],
        "normalization": {"kind": "none"},
        "label": "",
    }
    if not isinstance(raw, dict):
        return out, [f"config.json holds {type(raw).__name__}, not an object"]
    problems = []
    train = raw.get("train", {})
    if isinstance(train, dict):
        from cnnviz.train.config import ConfigError, TrainConfig

        try:
            out["train"] = TrainConfig.from_dict(train).to_dict()
        except (ConfigError, TypeError, ValueError) as e:
            problems.append(f"config.json: the training settings are damaged ({_short(e)})")
            out["train"] = _typed_settings(train)
    else:
        problems.append(f"config.json: train is {_shown(train)}, not an object")
    ds = raw.get("dataset", {})
    if isinstance(ds, dict):
        clean, bad = _check_dataset(ds)
        out["dataset"] = clean
        problems += bad
    else:
        problems.append(f"config.json: dataset is {_shown(ds)}, not an object")
    classes = raw.get("classes", [])
    if _text_list(classes) and len(classes) <= 100_000:
        out["classes"] = list(classes)
    else:
        problems.append("config.json: classes is not a list of class names")
    norm = raw.get("normalization") or {"kind": "none"}
    nclean, bad = _check_normalization(norm)
    out["normalization"] = nclean
    problems += bad
    label = raw.get("label", "")
    if isinstance(label, str):
        out["label"] = label
    else:
        problems.append(f"config.json: label is {_shown(label)}, not text")
    challenge = raw.get("challenge")  # the challenge the run trained under (absent: none)
    if isinstance(challenge, str) and 0 < len(challenge) <= 40 and challenge.isascii():
        out["challenge"] = challenge
    elif challenge is not None:
        problems.append(f"config.json: challenge is {_shown(challenge)}, not a challenge id")
    return out, problems


def _short(e: Exception) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text if len(text) <= 160 else text[:157] + "…"


def _typed_settings(train: dict) -> dict[str, Any]:
    """The settings of a damaged ``train`` that still have their field's type (others dropped)."""
    from dataclasses import fields

    from cnnviz.train.config import TrainConfig

    out: dict[str, Any] = {}
    for f in fields(TrainConfig):
        v, default = train.get(f.name), getattr(TrainConfig(), f.name)
        if isinstance(default, bool):
            ok = isinstance(v, bool)
        elif isinstance(default, str):  # the StrEnum choices
            ok = isinstance(v, str)
        elif isinstance(default, int):
            ok = _whole(v)
        else:
            ok = _number(v)
        if ok:
            out[f.name] = v
    return out


def _check_dataset(ds: dict) -> tuple[dict[str, Any], list[str]]:
    out: dict[str, Any] = {}
    problems = []
    name = ds.get("name", "")
    if isinstance(name, str):
        out["name"] = name
    else:
        problems.append(f"config.json: dataset name is {_shown(name)}, not text")
    for key in ("channels", "train_size", "val_size", "test_size"):
        v = ds.get(key)
        if v is None:
            continue
        if _whole(v) and v >= 0:
            out[key] = v
        else:
            problems.append(f"config.json: dataset {key} is {_shown(v)}, not a whole number")
    size = ds.get("size")
    if size is not None:
        if isinstance(size, list) and len(size) == 2 and all(_whole(v) and v > 0 for v in size):
            out["size"] = list(size)
        else:
            problems.append(f"config.json: dataset size is {_shown(size)}, not [height, width]")
    return out, problems


def _check_normalization(norm: Any) -> tuple[dict[str, Any], list[str]]:
    from cnnviz.data.kinds import NormKind

    if not isinstance(norm, dict):
        return {"kind": "none"}, [f"config.json: normalization is {_shown(norm)}, not an object"]
    kind = norm.get("kind", "none")
    if not isinstance(kind, str) or kind not in {str(k) for k in NormKind}:
        return {"kind": "none"}, [f"config.json: normalization kind is {_shown(kind)}"]
    out: dict[str, Any] = {"kind": kind}
    for key in ("mean", "std"):
        v = norm.get(key)
        if v is None:
            continue
        if isinstance(v, list) and len(v) <= 64 and all(_number(x) for x in v):
            out[key] = [float(x) for x in v]
        else:
            return {"kind": "none"}, [f"config.json: normalization {key} is not a list of numbers"]
    return out, []


def check_metrics(df: Any, name: str, fields: tuple[str, ...], key: str) -> tuple[Any, list[str]]:
    """A metrics CSV as read by pandas -> (only numeric columns of ``fields``, problems).

    ``key`` (iteration / epoch) must be there; a column that holds text is a problem
    and is dropped; rows whose key is not a number are dropped.
    """
    import pandas as pd

    problems = []
    if key not in df.columns:
        return pd.DataFrame(columns=list(fields)), [f"{name} has no {key} column"]
    out = pd.DataFrame(index=df.index)
    for col in fields:
        if col not in df.columns:
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        bad = int(values.isna().sum() - df[col].isna().sum())
        if bad:
            problems.append(f"{name}: {bad} value(s) of {col} are not numbers")
        out[col] = values.astype(float)
    out = out[out[key].notna()].reset_index(drop=True)
    out[key] = out[key].astype("int64")
    return out, problems
