"""The Train form's session keys behind one object: what is loaded is what is read back."""

from __future__ import annotations

from cnnviz.train.config import TrainConfig
from cnnviz.ui.train.form import CFG, DATA, TrainForm


def test_a_runs_settings_load_into_the_form_and_read_back_as_a_train_config():
    store: dict = {}
    train = TrainConfig(epochs=7, lr=0.005, batch_size=16, val_fraction=0.2, seed=3).to_dict()
    dataset = {"name": "shapes", "size": [28, 28], "train_size": 80, "val_size": 20}
    TrainForm(store).load_run(train, dataset)
    read = TrainForm(store).read()
    assert TrainConfig.from_dict({**train, **read}) == TrainConfig.from_dict(train)
    assert read["epochs"] == 7 and read["lr"] == 0.005 and "batch_size" not in read
    assert store[CFG + "preset"] == ""  # the form keeps these, not a preset's
    assert store[DATA + "name"] == "shapes" and store[DATA + "n.shapes"] == 100
    assert store[DATA + "batch"] == 16 and store[DATA + "val"] == 20


def test_the_teachers_settings_load_with_their_preset():
    store: dict = {}
    TrainForm(store).load({"epochs": 4, "optimizer": "sgd", "preset": "x"}, preset="lenet5")
    assert store[CFG + "preset"] == "lenet5" and TrainForm(store).read() == {
        "epochs": 4,
        "optimizer": "sgd",
    }
