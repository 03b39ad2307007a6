"""The app keeps your place: choices survive page switches and a refresh (the URL), a
preset brings its data and settings to Train, and a fresh tab finds the running training.

A refresh is a new session: here, a new AppTest opened with the first one's URL.
"""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.data.kinds import NormKind
from cnnviz.train.config import OptimizerKind, TrainConfig
from cnnviz.ui import state
from tests.helpers import APP
from tests.helpers import SHAPES28_SPEC as TINY

pytestmark = pytest.mark.usefixtures("small_train_data")


def _app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _go(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _url(at: AppTest) -> dict[str, str]:
    """The query parameters as the browser's address bar would hold them."""
    return {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def _train(at: AppTest) -> AppTest:
    at.session_state["train.data.look"] = False  # the preview is slow to draw in AppTest
    return _go(at, "train")


def _choose(at: AppTest) -> None:
    at.selectbox(key="train.data.size.shapes").set_value(28).run()
    at.number_input(key="train.cfg.epochs").set_value(2).run()
    at.number_input(key="train.cfg.lr").set_value(0.01).run()
    at.radio(key="train.cfg.normalize").set_value(NormKind.NONE).run()
    at.selectbox(key="train.cfg.optimizer").set_value(OptimizerKind.SGD).run()
    at.number_input(key="train.data.n.shapes").set_value(150).run()
    at.slider(key="train.data.val").set_value(20).run()
    assert not at.exception, at.exception


def _chosen(at: AppTest) -> None:
    assert at.selectbox(key="train.data.size.shapes").value == 28
    assert at.number_input(key="train.cfg.epochs").value == 2
    assert at.number_input(key="train.cfg.lr").value == pytest.approx(0.01)
    assert at.radio(key="train.cfg.normalize").value is NormKind.NONE
    assert at.selectbox(key="train.cfg.optimizer").value is OptimizerKind.SGD
    assert at.number_input(key="train.data.n.shapes").value == 150
    assert at.slider(key="train.data.val").value == 20


def test_train_settings_survive_a_page_switch():
    at = _train(_app())
    _choose(at)
    _go(at, "design")
    _go(at, "inspect")
    _go(at, "train")
    _chosen(at)
    assert at.toggle(key="train.data.look").value is False  # the preview stays off too


def test_train_settings_survive_a_refresh_through_the_url():
    at = _train(_app())
    _choose(at)
    url = _url(at)
    assert "normalize:none" in url["cfg"] and "epochs:2" in url["cfg"]
    again = _train(_app(url))  # a refresh: a new session with the same address
    _chosen(again)


def test_a_link_with_unknown_values_falls_back_to_the_defaults():
    at = _train(_app({"cfg": "epochs:many,normalize:sideways,lr:0.02"}))
    assert at.number_input(key="train.cfg.epochs").value == 5  # lecture-7-23's epochs
    assert at.radio(key="train.cfg.normalize").value is TrainConfig().normalize
    assert at.number_input(key="train.cfg.lr").value == pytest.approx(0.02)


def test_presenter_mode_and_the_selected_layer_survive_a_refresh():
    at = _app()
    at.toggle(key=state.TEACHING).set_value(True).run()
    at.radio(key=next(r.key for r in at.radio if r.label.startswith("Layers"))).set_value("3").run()
    url = _url(at)
    assert url.get("present") == "1" and url.get("layer") == "4"
    again = _app(url)
    assert again.session_state[state.TEACHING] is True
    assert again.session_state[state.SELECTED] == "3"  # a path: "3", or "3.1" inside a block


def test_custom_design_takes_trainconfig_defaults_for_every_setting():
    """A design from no preset trains with TrainConfig's own defaults (standardize, not ÷255)."""
    at = _app()
    at.session_state[state.PRESET] = ""
    at.session_state[state.TRAIN_PRESET] = ""
    at.session_state[state.SPEC] = TINY
    _train(at)
    base = TrainConfig()
    for name in ("epochs", "optimizer", "lr", "normalize", "seed", "augment_crop"):
        assert at.session_state[f"train.cfg.{name}"] == getattr(base, name), name
    assert at.radio(key="train.cfg.normalize").value is NormKind.STANDARDIZE


def test_choosing_a_preset_on_design_brings_its_dataset_and_settings_to_train():
    at = _train(_app())
    at.number_input(key="train.cfg.epochs").set_value(9).run()
    _go(at, "design")
    picker = next(s for s in at.selectbox if s.label == "Start from a preset")
    picker.set_value("mnist-basic").run()
    _go(at, "train")
    assert at.selectbox(key="train.data.name").value == "mnist"
    assert at.number_input(key="train.cfg.epochs").value == 3  # the preset's, not the 9 typed
    assert any("MNIST basic CNN" in c.value for c in at.caption)
    # the MNIST network is not offered the Shapes input as its only fix
    assert not [b for b in at.button if "Set the input to [3, 64, 64]" in str(b.label)]


def test_a_fresh_tab_knows_a_training_is_running_and_can_watch_it():
    first = _train(_app({"net": ""}))
    first.session_state[state.SPEC] = TINY
    first.run()
    first.selectbox(key="train.data.size.shapes").set_value(28).run()
    first.number_input(key="train.cfg.epochs").set_value(50).run()
    first.button(key="train.start").click().run()
    job_id = first.session_state[state.JOB]
    fresh = _train(_app())  # a new tab on /train, no ?job=
    texts = " ".join(str(i.value) for i in fresh.info)
    assert "A training is running on this server" in texts and job_id in texts
    fresh.button(key=f"train.attach.{job_id}").click().run()
    assert fresh.session_state[state.JOB] == job_id
    deadline = time.monotonic() + 30
    while not fresh.get("progress") and time.monotonic() < deadline:
        fresh.run()
    assert fresh.get("progress"), "the attached tab shows no progress"
    assert fresh.button(key="train.stop")  # and can stop it


def _design_widget(items, label: str):
    return next(w for w in items if w.label == label)


def test_picking_blank_again_after_editing_starts_over():
    at = _app()
    _design_widget(at.selectbox, "Start from a preset").set_value("blank").run()
    _design_widget(at.button, "+ Add layer").click().run()
    assert len(at.session_state[state.SPEC]["layers"]) == 1
    assert any("pick Blank again" in c.value for c in at.caption)
    _design_widget(at.selectbox, "Start from a preset").set_value("blank").run()
    assert not at.exception, at.exception
    assert at.session_state[state.SPEC]["layers"] == []


def test_design_offers_insert_flatten_when_linear_follows_images():
    at = _app()
    at.session_state[state.SPEC] = {
        "input": [1, 28, 28],
        "layers": [
            {"type": "conv2d", "out_channels": 4, "kernel_size": 3},
            {"type": "relu"},
            {"type": "linear", "out_features": 10},
        ],
    }
    at.run()
    assert any("[B, 4·26·26 = 2,704]" in e.value for e in at.error)
    at.button(key="design.fix.flatten").click().run()
    assert not at.exception, at.exception
    types = [x["type"] for x in at.session_state[state.SPEC]["layers"]]
    assert types == ["conv2d", "relu", "flatten", "linear"]
    assert not [b for b in at.button if b.key == "design.fix.flatten"]


def test_training_images_to_use_is_capped_at_what_the_folder_holds(tmp_path, monkeypatch):
    from tests.data.test_datasets_files import _write_mnist

    monkeypatch.delenv("CNNVIZ_TRAIN_IMAGES")
    _write_mnist(tmp_path, "MNIST")  # 20 training images, not MNIST's 60,000
    at = _app()
    at.session_state["train.data.name"] = "mnist"
    at.session_state["train.data.dir"] = str(tmp_path)
    _train(at)
    box = at.number_input(key="train.data.n.mnist")
    assert box.value == 20 and box.max == 20
    assert any("The files hold 20 training images" in c.value for c in at.caption)


def test_presenter_mode_shows_the_shape_table_as_page_text():
    """At 1024×768 the grid stayed ~13 px with grey layer names and scrolled sideways."""
    at = _app({"present": "1"})
    assert at.session_state[state.TEACHING] is True
    tables = at.table
    assert tables, "no plain table in presenter mode"
    shown = tables[0].value
    assert list(shown.columns) == ["#", "Layer", "Output shape", "Params", "Mult-adds", "Message"]
    assert "Conv2d(3, 6, kernel_size=3)" in shown["Layer"].tolist()
    assert not [d for d in at.dataframe if "Params formula" in getattr(d.value, "columns", [])]
