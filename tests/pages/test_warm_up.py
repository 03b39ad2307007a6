"""The default images load in the background once per server, before the first visit to Train."""

from __future__ import annotations

import threading

from cnnviz.data.catalog import DEFAULT_DATASET
from cnnviz.ui import warm
from cnnviz.ui.train import data as train_data


def test_warm_up_loads_the_default_dataset_once_and_the_page_finds_it(monkeypatch):
    monkeypatch.setenv("CNNVIZ_TRAIN_IMAGES", "60")
    monkeypatch.delenv("CNNVIZ_WARM_UP", raising=False)
    monkeypatch.setattr(warm, "_started", False)
    calls = []
    real = train_data.load_choice
    monkeypatch.setattr(
        train_data, "load_choice", lambda *a, **k: calls.append((a, k)) or real(*a, **k)
    )
    before = {t.ident for t in threading.enumerate()}
    warm.start()
    warm.start()  # every rerun calls it: one load only
    workers = [t for t in threading.enumerate() if t.ident not in before]
    assert [t.name for t in workers] == [warm.THREAD]
    workers[0].join(120)
    assert calls == [((DEFAULT_DATASET,), {"n_train": 60})]
    key = (DEFAULT_DATASET, "", None, None, 60, 12)  # as the Train page asks for 60 images
    assert key in train_data._BUNDLES
    bundle, message = real(DEFAULT_DATASET, n_train=60)  # what the page loads: the same object
    assert message is None and len(bundle.train_y) == 60
    assert bundle is train_data._BUNDLES.get(key, lambda: None)


def test_warm_up_is_off_with_the_switch(monkeypatch):
    monkeypatch.setenv("CNNVIZ_WARM_UP", "0")
    monkeypatch.setattr(warm, "_started", False)
    assert warm.start() is None
    assert not [t for t in threading.enumerate() if t.name == warm.THREAD]
