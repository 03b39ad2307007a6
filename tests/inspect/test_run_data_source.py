"""A run remembers the folder its images came from, so Inspect finds its test images there."""

from __future__ import annotations

import json

from cnnviz.data.registry import load_dataset
from cnnviz.design.presets import PRESETS
from cnnviz.train.config import TrainConfig
from cnnviz.train.job import Job
from cnnviz.train.request import TrainRequest
from cnnviz.train.store import open_run
from cnnviz.ui.inspect import evaluation
from cnnviz.ui.inspect.model import subject_from_run
from tests.data.test_datasets_files import _write_mnist


def test_a_run_trained_from_a_typed_folder_finds_its_test_images(tmp_path):
    folder = tmp_path / "my-data"  # not the default data folder
    arrays = _write_mnist(folder, "MNIST")
    bundle = load_dataset("mnist", data_dir=folder)
    assert bundle.source == str(folder.resolve())
    config = TrainConfig(epochs=1, batch_size=8, val_fraction=0.0, device="cpu")
    job = Job(
        TrainRequest(PRESETS["mnist-basic"].spec, bundle, config, runs_root=tmp_path / "runs")
    ).start()
    assert job.wait(120) and str(job.status) == "finished", job.final
    saved = json.loads((job.run_dir / "config.json").read_text())
    assert saved["dataset"]["source"] == str(folder.resolve())
    run = open_run(job.run_dir)
    subject = subject_from_run(run, run.load_model(), key="k", title="t", note="")
    found, why_not = evaluation.test_split(subject)
    assert why_not is None, why_not
    assert len(found.test_y) == len(arrays["test_y"])  # the folder's 7 test images
