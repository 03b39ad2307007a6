"""The engine, a job and the run store on a CUDA GPU (skipped without one)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from cnnviz.train.config import TrainConfig
from cnnviz.train.engine import build_seeded, fit
from cnnviz.train.events import BatchEnded
from cnnviz.train.job import Job
from cnnviz.train.prepared import prepare
from cnnviz.train.request import TrainRequest
from cnnviz.train.status import Status
from cnnviz.train.store import RunWriter, open_run
from tests.helpers import TINY_SPEC, MakesNaN, tiny_bundle

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
# no flips: a flip swaps the classes of tiny_bundle
CFG = TrainConfig(epochs=3, batch_size=32, lr=0.01, device="cuda", augment_crop=1)


def test_data_stays_on_the_gpu_and_every_batch_is_reported(tmp_path: Path):
    data = prepare(tiny_bundle(), CFG)
    assert data.train_x.is_cuda and data.test_y.is_cuda and data.scale.is_cuda
    model = build_seeded(TINY_SPEC, 0)
    writer = RunWriter(TINY_SPEC, root=tmp_path)
    events = list(fit(model, data, CFG, writer=writer))
    batches = [e for e in events if isinstance(e, BatchEnded)]
    # losses are read one batch late on a GPU: none may be lost
    assert [b.iteration for b in batches] == list(range(1, 25))
    assert events[-1].status == Status.FINISHED and events[-1].test_accuracy > 0.5
    assert next(model.parameters()).is_cuda
    loaded = open_run(writer.path).load_model()
    x = torch.randn(3, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(loaded(x), model.eval()(x.cuda()).cpu(), atol=1e-5)


def test_nan_is_caught_on_the_gpu():
    end = list(fit(MakesNaN(), tiny_bundle(), CFG))[-1]
    assert end.status == Status.FAILED and "learning rate" in end.advice


def test_job_snapshot_is_on_the_cpu():
    job = Job(TrainRequest(TINY_SPEC, tiny_bundle(), CFG))
    job.start()
    assert job.wait(60) and str(job.status) == "finished"
    snap = job.snapshot_model()
    assert not next(snap.parameters()).is_cuda
