"""engine.fit: event order, learning, a bare PyTorch loop as the reference, every failure path."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.data import pipeline
from cnnviz.data.pipeline import fit_normalization, split_train_val
from cnnviz.train.config import ConfigError, TrainConfig
from cnnviz.train.engine import build_seeded, evaluate, fit
from cnnviz.train.events import BatchEnded, EpochEnded, EpochStarted, FitEnded, FitStarted
from cnnviz.train.prepared import prepare, resolve_device
from cnnviz.train.status import Status
from tests.helpers import TINY_SPEC, MakesNaN, Raises, tiny_bundle

CFG = TrainConfig(epochs=2, batch_size=32, lr=0.01, device="cpu")


def run(model: nn.Module, config: TrainConfig = CFG, **kw) -> list:
    return list(fit(model, tiny_bundle(), config, **kw))


def test_events_come_in_order_and_fit_ended_is_last():
    events = run(build_seeded(TINY_SPEC, 0))
    assert isinstance(events[0], FitStarted)
    s = events[0]
    assert (s.train_size, s.val_size, s.test_size) == (
        230,
        26,
        64,
    )  # round(10% of 256) = 26 held out: 6 per class, and 1 more in two of them
    assert s.iterations_per_epoch == 8  # ceil(230 / 32)
    kinds = [type(e).__name__ for e in events]
    # each layer's gradients after mini-batches 1, 2, 4 and 8 of the first epoch, 8 of the next
    b, g = ["BatchEnded"], ["GradientsRecorded"]
    first = b + g + b + g + b + b + g + b * 3 + b + g
    per_epoch = [["EpochStarted", *batches, "EpochEnded"] for batches in (first, b * 7 + b + g)]
    assert kinds == ["FitStarted", *per_epoch[0], *per_epoch[1], "FitEnded"]
    batches = [e for e in events if isinstance(e, BatchEnded)]
    assert [b.iteration for b in batches] == list(range(1, 17))
    assert [b.batch for b in batches] == list(range(1, 9)) * 2
    assert all(0 <= b.accuracy <= 1 and b.loss > 0 and b.images_per_s > 0 for b in batches)
    end = events[-1]
    assert end.status == Status.FINISHED and 0 <= end.test_accuracy <= 1
    assert end.to_dict()["event"] == "finished"
    assert events[1].to_dict() == {"event": "epoch_started", "epoch": 1}


def test_epoch_loss_is_the_mean_of_its_batch_losses_weighted_by_batch_size():
    events = run(build_seeded(TINY_SPEC, 0))
    batches = [e for e in events if isinstance(e, BatchEnded) and e.epoch == 1]
    sizes = [32] * 7 + [230 - 7 * 32]
    mean = sum(b.loss * n for b, n in zip(batches, sizes, strict=True)) / 230
    first = next(e for e in events if isinstance(e, EpochEnded))
    assert first.train_loss == pytest.approx(mean)


def test_it_learns_an_easy_task():
    model = build_seeded(TINY_SPEC, 0)
    end = run(model, CFG.with_(epochs=4, optimizer="adam"))[-1]
    assert end.status == Status.FINISHED
    assert end.test_accuracy >= 0.9  # chance is 0.25
    # trained channels-last on the CPU, handed back as an ordinary NCHW model
    assert all(p.is_contiguous() for p in model.parameters())


def test_same_weights_as_a_bare_pytorch_loop():
    """The engine does exactly the course's loop: compare with one written out by hand."""
    cfg = TrainConfig(
        epochs=2, batch_size=20, optimizer="sgd", lr=0.05, momentum=0.9, seed=3, device="cpu",
        normalize="standardize", val_fraction=0.1,
    )  # fmt: skip
    bundle = tiny_bundle()
    model = build_seeded(TINY_SPEC, 3)
    ref = copy.deepcopy(model)
    list(fit(model, bundle, cfg))

    tx, ty, _, _ = split_train_val(bundle.train_x, bundle.train_y, 0.1, 3)
    norm = fit_normalization("standardize", tx)
    x = norm.apply(tx)
    opt = torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9)
    torch.manual_seed(3)
    g = torch.Generator().manual_seed(3)
    for _ in range(2):
        perm = torch.randperm(len(x), generator=g)
        for idx in perm.split(20):
            loss = F.cross_entropy(ref(x[idx]), ty[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    for (k, a), b in zip(model.state_dict().items(), ref.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-5), k


def test_nan_loss_fails_with_learning_rate_advice():
    events = run(MakesNaN())
    end = events[-1]
    assert end.status == Status.FAILED
    assert "NaN (not a number)" in end.reason
    assert "learning rate" in end.advice and "BatchNorm2d" in end.advice
    assert sum(isinstance(e, FitEnded) for e in events) == 1


def test_huge_learning_rate_diverges_and_is_caught():
    cfg = CFG.with_(optimizer="sgd", lr=10.0, momentum=0.9, normalize="none", epochs=3)
    deep_linear = {
        "input": [1, 8, 8],
        "layers": [{"type": "flatten"}]
        + [{"type": "linear", "out_features": n} for n in (64, 64, 4)],
    }
    end = run(build_seeded(deep_linear, 0), cfg)[-1]
    assert end.status == Status.FAILED and "10 → 1" in end.advice


def test_an_error_in_the_model_fails_with_the_reason():
    events = run(Raises(RuntimeError("boom"), after=2))
    assert isinstance(events[-1], FitEnded) and events[-1].status == Status.FAILED
    assert "boom" in events[-1].reason
    assert sum(isinstance(e, BatchEnded) for e in events) == 2


def test_out_of_memory_fails_with_batch_size_advice():
    end = run(Raises(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")))[-1]
    assert end.status == Status.FAILED and "Out of memory" in end.reason
    assert "32 → 16" in end.advice


def test_network_that_does_not_fit_the_images_fails_with_advice():
    spec = {**TINY_SPEC, "input": [1, 16, 16]}  # Linear expects 4·8·8 features, gets 4·4·4
    end = run(build_seeded(spec, 0))[-1]
    assert end.status == Status.FAILED and "Design" in end.advice


class StopAt:
    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0
        self.stop_reason = "asked to stop"

    def checkpoint(self) -> bool:
        self.calls += 1
        return self.calls >= self.n

    @property
    def stop_requested(self) -> bool:
        return self.calls >= self.n


def test_stop_ends_with_fit_ended_stopped():
    events = run(build_seeded(TINY_SPEC, 0), control=StopAt(4))
    assert sum(isinstance(e, BatchEnded) for e in events) == 3
    assert events[-1].status == Status.STOPPED and events[-1].reason == "asked to stop"
    assert events[-1].test_accuracy is None


class Recorder(nn.Module):
    """Wraps a network and notes (training mode, grad enabled) at every forward pass."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.seen: set[tuple[bool, bool]] = set()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.add((self.training, torch.is_grad_enabled()))
        return self.inner(x)


def test_validation_and_test_run_in_eval_mode_without_gradients():
    model = Recorder(build_seeded(TINY_SPEC, 0))
    run(model)
    assert model.seen == {(True, True), (False, False)}
    assert model.training  # restored after the last evaluation


@pytest.mark.parametrize("training", [True, False])
def test_evaluate_restores_the_mode(training: bool):
    model = build_seeded(TINY_SPEC, 0).train(training)
    data = prepare(tiny_bundle(), CFG)
    loss, acc = evaluate(model, data, data.test_x, data.test_y)
    assert model.training is training and loss > 0 and 0 <= acc <= 1


def test_prepare_fits_normalization_on_the_training_split_only():
    bundle = tiny_bundle()
    data = prepare(bundle, CFG.with_(normalize="standardize", val_fraction=0.25))
    tx, _, vx, _ = split_train_val(bundle.train_x, bundle.train_y, 0.25, CFG.seed)
    assert data.normalization.mean == pytest.approx(fit_normalization("standardize", tx).mean)
    assert (data.train_size, data.val_size) == (len(tx), len(vx))
    assert data.train_x.dtype == torch.uint8  # kept small; normalised per mini-batch
    assert torch.allclose(
        data.normalize(data.test_x), data.normalization.apply(data.test_x), atol=1e-5
    )


def test_augmentation_and_no_validation_split_work(monkeypatch):
    calls = []
    real = pipeline.augment_batch

    def spy(x, **kw):
        out = real(x, **kw)
        calls.append((kw["flip"], kw["crop_padding"], bool((out != x).any())))
        return out

    monkeypatch.setattr(pipeline, "augment_batch", spy)
    cfg = CFG.with_(augment_flip=True, augment_crop=2, val_fraction=0)
    events = run(build_seeded(TINY_SPEC, 0), cfg)
    started = next(e for e in events if isinstance(e, FitStarted))
    # every training mini-batch (and only those) went through flip + padded crop, and changed
    assert len(calls) == started.epochs * started.iterations_per_epoch
    assert all(flip and pad == 2 for flip, pad, _ in calls)
    assert sum(changed for *_, changed in calls) >= len(calls) - 1
    ended = [e for e in events if isinstance(e, EpochEnded)]
    assert events[-1].status == Status.FINISHED
    assert ended[0].val_loss is None and ended[0].val_accuracy is None
    assert isinstance(events[1], EpochStarted)


class FailingWriter:
    def begin(self, config, prepared):
        pass

    def record(self, event, model=None):
        if isinstance(event, EpochEnded | FitEnded):
            raise OSError("No space left on device")


def test_a_failing_run_folder_still_ends_with_one_fit_ended():
    events = run(build_seeded(TINY_SPEC, 0), writer=FailingWriter())
    assert events[-1].status == Status.FAILED and "No space left" in events[-1].reason
    assert sum(isinstance(e, FitEnded) for e in events) == 1


def test_bad_config_fails_cleanly_instead_of_raising():
    bad = TrainConfig(epochs=0, device="cpu")
    events = run(build_seeded(TINY_SPEC, 0), bad)
    assert len(events) == 1 and events[0].status == Status.FAILED and "epochs" in events[0].reason


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    mps = getattr(torch.backends, "mps", None)
    first = "cuda" if torch.cuda.is_available() else "mps" if mps and mps.is_available() else "cpu"
    assert resolve_device("auto").type == first  # cuda, then mps, then cpu
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_seeded_build_gives_the_same_start():
    a, b = build_seeded(TINY_SPEC, 7), build_seeded(TINY_SPEC, 7)
    c = build_seeded(TINY_SPEC, 8)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(next(a.parameters()), next(c.parameters()))
