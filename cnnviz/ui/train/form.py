"""The Train page's form in the session: its widget keys in one place, read and loaded as settings.

The settings widgets (``cnnviz.ui.train.settings``) keep each ``TrainConfig``
field under ``train.cfg.<field>``; the data section (``cnnviz.ui.train.data``)
keeps its choices under ``train.data.<name>`` (dataset, image size and count,
validation split, mini-batch, shuffle). Whatever fills the form from elsewhere
(*Train again with one change*, the teacher's design sent to the class) or reads
it (the teacher's Send to class) goes through ``TrainForm``::

    TrainForm().read()                          # {"epochs": 5, "optimizer": "adam", ...}
    TrainForm().load({"epochs": 7}, preset="")  # the settings form shows these next
    TrainForm().load_run(run.train, run.dataset)
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import fields
from typing import Any

import streamlit as st

from cnnviz.train.config import TrainConfig

CFG = "train.cfg."  # the settings' widget keys: CFG + a TrainConfig field (and "preset")
DATA = "train.data."  # the data section's widget keys
# TrainConfig's fields that the data section draws (not the settings form)
PIPELINE = ("batch_size", "val_fraction", "shuffle")


class TrainForm:
    """The Train form's values in a session (``st.session_state``, or any mapping in tests)."""

    def __init__(self, store: MutableMapping[str, Any] | None = None) -> None:
        self._s = st.session_state if store is None else store

    def read(self) -> dict[str, Any]:
        """Every ``TrainConfig`` setting the form holds now, as plain values."""
        out = {}
        for f in fields(TrainConfig):
            v = self._s.get(CFG + f.name)
            if isinstance(v, bool | int | float | str):
                out[f.name] = v
        return out

    def load(self, settings: Mapping[str, Any], *, preset: str = "") -> None:
        """Put ``settings`` (a ``TrainConfig``'s dict, or part of it) into the form; the
        settings form keeps them rather than ``preset``'s."""
        self._s[CFG + "preset"] = preset
        for k, v in settings.items():
            if k != "preset":
                self._s[CFG + k] = v

    def load_run(self, train: Mapping[str, Any], dataset: Mapping[str, Any]) -> None:
        """A saved run's settings and data choices (its ``config.json``), for training again."""
        from cnnviz.data.registry import DATASETS

        known = TrainConfig.__dataclass_fields__
        self.load({k: v for k, v in train.items() if k in known and k not in PIPELINE})
        name = str(dataset.get("name", ""))
        if name in DATASETS:
            info = DATASETS[name]
            self._s[DATA + "name"] = name
            size = (dataset.get("size") or [None])[0]
            if size in (list(info.sizes) or [info.size[0]]):
                self._s[DATA + f"size.{name}"] = size
            n = int(dataset.get("train_size", 0)) + int(dataset.get("val_size", 0))
            if n >= 10:
                self._s[DATA + f"n.{name}"] = min(n, info.n_train or n)
        if "val_fraction" in train:
            self._s[DATA + "val"] = int(round(100 * float(train["val_fraction"]) / 5) * 5)
        if "batch_size" in train:
            self._s[DATA + "batch"] = int(train["batch_size"])
        if "shuffle" in train:
            self._s[DATA + "shuffle"] = bool(train["shuffle"])


__all__ = ["CFG", "DATA", "PIPELINE", "TrainForm"]
