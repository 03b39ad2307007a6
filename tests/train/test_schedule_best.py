"""Learning-rate schedules, early stopping, best.pt and the test confusion matrix, on real fits."""

from __future__ import annotations

import json

import pytest
import torch

from cnnviz.train.config import ConfigError, LrSchedule, TrainConfig
from cnnviz.train.engine import build_seeded, evaluate, fit
from cnnviz.train.events import EpochEnded, FitEnded
from cnnviz.train.prepared import prepare
from cnnviz.train.run_files import BEST_WEIGHTS
from cnnviz.train.status import Status
from cnnviz.train.store import RunWriter, open_run
from tests.helpers import TINY_SPEC, tiny_bundle


def _fit(config: TrainConfig, tmp_path=None, bundle=None) -> tuple[list, RunWriter | None]:
    writer = RunWriter(TINY_SPEC, label="t", root=tmp_path) if tmp_path is not None else None
    model = build_seeded(TINY_SPEC, config.seed)
    events = list(fit(model, bundle or tiny_bundle(), config, writer=writer))
    return events, writer


def _torch_lrs(schedule_cls, epochs: int, lr: float, **kw) -> list[float]:
    """The reference: torch's own scheduler on a lone parameter, stepped once per epoch."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = schedule_cls(opt, **kw)
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("kind", [LrSchedule.NONE, LrSchedule.STEP, LrSchedule.COSINE])
def test_each_epoch_records_the_learning_rate_its_schedule_gives(kind):
    cfg = TrainConfig(epochs=4, batch_size=64, lr=0.05, optimizer="sgd", device="cpu")
    events, _ = _fit(cfg.with_(lr_schedule=kind))
    lrs = [e.lr for e in events if isinstance(e, EpochEnded)]
    if kind == LrSchedule.NONE:
        want = [0.05] * 4
    elif kind == LrSchedule.STEP:
        want = _torch_lrs(torch.optim.lr_scheduler.MultiStepLR, 4, 0.05, milestones=[2, 3])
        assert want[0] > want[2] > want[3]
    else:
        want = _torch_lrs(torch.optim.lr_scheduler.CosineAnnealingLR, 4, 0.05, T_max=4)
    assert lrs == pytest.approx(want)


def test_early_stopping_ends_a_run_whose_validation_accuracy_stops_improving(tmp_path):
    # a learning rate so small the weights barely move: the validation accuracy never beats epoch 1
    cfg = TrainConfig(epochs=10, batch_size=64, lr=1e-9, device="cpu", patience=2)
    events, writer = _fit(cfg, tmp_path)
    epochs = [e for e in events if isinstance(e, EpochEnded)]
    end = events[-1]
    assert isinstance(end, FitEnded) and end.status == Status.FINISHED
    assert len(epochs) == 3 and end.stopped_early and end.best_epoch == 1
    assert "has not improved for 2 epochs" in end.reason and "best: epoch 1" in end.reason
    status = json.loads((writer.path / "status.json").read_text())
    assert status["stopped_early"] is True and status["epochs_done"] == 3


def test_without_patience_every_epoch_runs(tmp_path):
    cfg = TrainConfig(epochs=4, batch_size=64, lr=1e-9, device="cpu")
    events, _ = _fit(cfg, tmp_path)
    assert len([e for e in events if isinstance(e, EpochEnded)]) == 4
    assert not events[-1].stopped_early and events[-1].reason is None


def test_best_pt_holds_the_best_validation_epoch_and_its_test_accuracy(tmp_path):
    # a learning rate large enough to wander: the best validation epoch need not be the last
    cfg = TrainConfig(epochs=5, batch_size=16, lr=0.05, device="cpu", optimizer="sgd", seed=3)
    bundle = tiny_bundle(n_train=128, seed=2)
    events, writer = _fit(cfg, tmp_path, bundle)
    epochs = [e for e in events if isinstance(e, EpochEnded)]
    end = events[-1]
    best = max(epochs, key=lambda e: (e.val_accuracy, -e.epoch))
    assert end.best_epoch == best.epoch
    run = open_run(writer.path)
    assert run.has_best and (writer.path / BEST_WEIGHTS).is_file()
    data = prepare(bundle, cfg)
    model = run.load_model(BEST_WEIGHTS)
    _, val_acc = evaluate(model, data, data.val_x, data.val_y)
    _, test_acc = evaluate(model, data, data.test_x, data.test_y)
    assert val_acc == pytest.approx(best.val_accuracy)
    assert end.best_test_accuracy == pytest.approx(test_acc)
    status = run.status
    assert status["best_epoch"] == best.epoch
    assert status["best_val_accuracy"] == pytest.approx(best.val_accuracy)


def test_test_confusion_matrix_counts_every_test_image_as_pytorch_predicts(tmp_path):
    cfg = TrainConfig(epochs=2, batch_size=32, lr=0.01, device="cpu")
    bundle = tiny_bundle()
    events, writer = _fit(cfg, tmp_path, bundle)
    end = events[-1]
    conf = torch.tensor(end.confusion)
    assert conf.shape == (4, 4) and int(conf.sum()) == len(bundle.test_y)
    assert float(conf.diag().sum()) / float(conf.sum()) == pytest.approx(end.test_accuracy)
    model = open_run(writer.path).load_model()
    data = prepare(bundle, cfg)
    with torch.no_grad():
        pred = model(data.normalize(data.test_x)).argmax(1)
    for t in range(4):
        for p in range(4):
            assert conf[t, p] == int(((data.test_y == t) & (pred == p)).sum())


def test_patience_needs_a_validation_split():
    with pytest.raises(ConfigError, match="patience needs a validation split"):
        TrainConfig.from_dict({"patience": 2, "val_fraction": 0.0})
    assert TrainConfig.from_dict({"patience": 0, "val_fraction": 0.0}).patience == 0
    with pytest.raises(ConfigError, match="lr_schedule must be one of"):
        TrainConfig.from_dict({"lr_schedule": "linear"})
