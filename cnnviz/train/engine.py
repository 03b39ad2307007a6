"""Training as a plain generator of events: ``fit(model, data, config) -> Iterator[Event]``.

No threads, no streamlit: the CLI drives it in a for loop, ``cnnviz.jobs`` drives
it in a thread. The loop is the course's loop, written to be as fast as a bare
PyTorch one::

    for epoch in range(epochs):                       # one epoch = one pass over the training set
        for idx in permutation.split(batch_size):     # one iteration = one mini-batch
            logits = model(normalize(x[idx]))         # forward pass
            loss = cross_entropy(logits, y[idx])      # softmax is inside the loss
            optimizer.zero_grad(); loss.backward()    # backward pass
            optimizer.step()

Data is moved to the device once by ``prepare`` (kept as uint8, a quarter of the
memory of float32; normalization is one fused multiply-add per mini-batch). No
DataLoader: batches are slices of a pre-generated permutation. On CPU every
BatchEnded carries that batch's loss; on a GPU the loss is read one batch late so
the GPU never waits for Python.

Every path ends with exactly one ``FitEnded``: finished (with test accuracy),
stopped (``control`` said so), or failed (NaN/inf loss, out of memory, or any
error, with the reason and advice). ``check_fit`` (see ``cnnviz.fitcheck``) finds a
network that does not fit the data before training starts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.data.pipeline import iterations_per_epoch
from cnnviz.train.config import ConfigError, LrSchedule, OptimizerKind, TrainConfig
from cnnviz.train.events import (
    BatchEnded,
    EpochEnded,
    EpochStarted,
    Event,
    FitEnded,
    FitStarted,
    GradientsRecorded,
)
from cnnviz.train.gradient_recorder import GradientRecorder
from cnnviz.train.memory import is_out_of_memory
from cnnviz.train.prepared import Prepared, prepare
from cnnviz.train.run_files import RunWriteError
from cnnviz.train.status import Status

NAN_ADVICE = (
    "Lower the learning rate, e.g. {lr:g} → {lower:g}, or add BatchNorm2d after each Conv2d."
)
OOM_ADVICE = "Use a smaller mini-batch (e.g. {b} → {half}) or a smaller network (fewer channels, or a MaxPool2d earlier)."
EVAL_BATCH = 1024  # the most images per forward pass when evaluating


class Control(Protocol):
    """What fit needs from a controller (``cnnviz.jobs.Control`` is one)."""

    def checkpoint(self) -> bool: ...  # blocks while paused; True = stop now

    @property
    def stop_requested(self) -> bool: ...


class Writer(Protocol):
    """What fit needs from a run writer (``cnnviz.runs.RunWriter`` is one)."""

    def begin(self, config: dict, prepared: Prepared) -> None: ...

    def record(self, event: Event, model: nn.Module | None = None) -> None: ...


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ConfigError(
            "This network has no weights to learn. Add a Conv2d or Linear layer on the Design page."
        )
    wd = config.weight_decay
    if config.optimizer == OptimizerKind.SGD:
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=wd)
    if config.optimizer == OptimizerKind.ADAMW:
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=wd)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=wd)


class _Stopped(Exception):
    pass


class _Diverged(Exception):
    pass


class _Best:
    """The best validation epoch so far (its weights kept in memory) and early stopping."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.epoch: int | None = None
        self.accuracy: float | None = None
        self.state: dict[str, torch.Tensor] | None = None
        self.since = 0  # epochs since the best one

    def epoch_ended(self, epoch: int, val_accuracy: float | None, model: nn.Module) -> None:
        if val_accuracy is None:
            return
        if self.accuracy is None or val_accuracy > self.accuracy:
            self.epoch, self.accuracy, self.since = epoch, val_accuracy, 0
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.since += 1

    def out_of_patience(self) -> bool:
        return bool(self.patience) and self.since >= self.patience

    def early_reason(self, epoch: int) -> str:
        return (
            f"Early stopping after epoch {epoch}: the validation accuracy has not improved for "
            f"{self.patience} epoch{'s' if self.patience != 1 else ''} (best: epoch {self.epoch}, "
            f"{100 * (self.accuracy or 0):.1f}%, kept as best.pt)."
        )


class _EpochMeter:
    """Turns one epoch's per-batch (loss, correct) tensors into BatchEnded events and epoch means."""

    def __init__(self, epoch: int, ipe: int, paused: list[float], elapsed: Any) -> None:
        self.epoch, self.ipe, self.paused, self.elapsed = epoch, ipe, paused, elapsed
        self.start, self.paused_at_start = time.perf_counter(), paused[0]
        self.seen, self.loss_total, self.correct_total = 0, 0.0, 0

    def ended(self, item: tuple[int, int, torch.Tensor, torch.Tensor]) -> BatchEnded:
        b, size, loss_t, correct_t = item
        loss_v, correct_v = loss_t.item(), int(correct_t.item())  # the only syncs per batch
        it = (self.epoch - 1) * self.ipe + b
        if not math.isfinite(loss_v):
            raise _Diverged(
                f"The loss became {'NaN (not a number)' if math.isnan(loss_v) else 'infinite'} at iteration {it} (epoch {self.epoch}, batch {b}): "
                "the weights blew up."
            )
        self.seen += size
        self.loss_total += loss_v * size
        self.correct_total += correct_v
        busy = time.perf_counter() - self.start - (self.paused[0] - self.paused_at_start)
        rate = self.seen / max(busy, 1e-9)
        return BatchEnded(self.epoch, it, b, loss_v, correct_v / size, rate, self.elapsed())

    def means(self) -> tuple[float, float]:
        n = max(self.seen, 1)
        return self.loss_total / n, self.correct_total / n


def evaluate(
    model: nn.Module,
    data: Prepared,
    x: torch.Tensor,
    y: torch.Tensor,
    control: Any = None,
    batch_size: int = 256,
    confusion: torch.Tensor | None = None,
) -> tuple[float, float]:
    """Mean loss and accuracy over (x, y) under eval mode and no_grad; the model's mode is restored.

    ``confusion``: a (classes, classes) int64 tensor on the device; each image adds 1 at
    [true class, predicted class].
    """
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=data.device)
    correct = torch.zeros((), device=data.device, dtype=torch.long)
    try:
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                if control is not None and control.stop_requested:
                    raise _Stopped
                logits = model(data.normalize(x[i : i + batch_size]))  # (B, classes)
                yb = y[i : i + batch_size]
                loss_sum += F.cross_entropy(logits, yb, reduction="sum")
                pred = logits.argmax(1)
                correct += (pred == yb).sum()
                k = confusion.shape[0] if confusion is not None else 0
                if confusion is not None and logits.shape[1] == k:
                    confusion += torch.bincount(yb * k + pred, minlength=k * k).view(k, k)
    finally:
        model.train(was_training)
    n = max(len(x), 1)
    return loss_sum.item() / n, correct.item() / n


def make_scheduler(opt: torch.optim.Optimizer, config: TrainConfig) -> Any:
    """The learning-rate schedule, stepped once per epoch (None for a constant rate).

    step: ×0.1 after half of the epochs and again after three quarters; cosine: from the
    learning rate down to 0 along half a cosine, the last epoch running at the smallest rate.
    """
    if config.lr_schedule == LrSchedule.STEP:
        marks = sorted({max(1, config.epochs // 2), max(1, (3 * config.epochs) // 4)})
        return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=marks, gamma=0.1)
    if config.lr_schedule == LrSchedule.COSINE:
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.epochs)
    return None


def _test(
    model: nn.Module, data: Prepared, control: Any, eval_bsz: int
) -> tuple[float, float, list[list[int]]]:
    k = len(data.classes)
    conf = torch.zeros((k, k), dtype=torch.long, device=data.device)
    loss, acc = evaluate(model, data, data.test_x, data.test_y, control, eval_bsz, conf)
    return loss, acc, conf.cpu().tolist()


def _augment(xb: torch.Tensor, config: TrainConfig, gen: torch.Generator) -> torch.Tensor:
    from cnnviz.data.pipeline import augment_batch

    return augment_batch(
        xb, flip=config.augment_flip, crop_padding=config.augment_crop, generator=gen
    )


def fit(
    model: nn.Module,
    data: Any,
    config: TrainConfig,
    *,
    control: Control | None = None,
    writer: Writer | None = None,
    record_gradients: bool = True,
) -> Iterator[Event]:
    """Train ``model`` on ``data`` (a Prepared, or a DataBundle to prepare) and yield events; FitEnded is last.

    ``record_gradients``: each layer's weights and gradients, a few times in the first
    epoch and at every epoch's end, as ``GradientsRecorded`` events (off: none).
    """
    t0 = time.perf_counter()
    paused = [0.0]  # seconds spent paused, not counted as training time

    def elapsed() -> float:
        return time.perf_counter() - t0 - paused[0]

    def checkpoint() -> None:
        if control is None:
            return
        t = time.perf_counter()
        stop = control.checkpoint()
        paused[0] += time.perf_counter() - t
        if stop:
            raise _Stopped

    def record(ev: Event) -> Event:
        if writer is not None:
            writer.record(ev, model)
        return ev

    end: FitEnded
    try:
        config = config.validated()
        data = data if isinstance(data, Prepared) else prepare(data, config)
        # Dropout draws from torch's global generator; the weights' init is the caller's
        # (build_seeded). Shuffling and augmentation get their own generators.
        torch.manual_seed(config.seed)
        model.to(data.device).train()
        if data.channels_last:
            model.to(memory_format=torch.channels_last)  # conv weights NHWC, like the batches
        opt = make_optimizer(model, config)
        schedule = make_scheduler(opt, config)
        best = _Best(config.patience)
        gen = torch.Generator().manual_seed(config.seed)  # shuffling, on the CPU
        aug_gen = torch.Generator(device=data.device).manual_seed(config.seed)
        augment = config.augment_flip or config.augment_crop > 0
        lag = data.device.type != "cpu"  # read losses one batch late on a GPU
        n, bsz = data.train_size, config.batch_size
        ipe = iterations_per_epoch(n, bsz)
        eval_bsz = min(EVAL_BATCH, max(2 * bsz, 32))  # no gradients kept: twice the batch fits
        recorder = GradientRecorder(model, ipe) if record_gradients else None
        if writer is not None:
            writer.begin(config.to_dict(), data)
        yield record(
            FitStarted(config.epochs, ipe, n, data.val_size, data.test_size, bsz, str(data.device))
        )
        for epoch in range(1, config.epochs + 1):
            yield record(EpochStarted(epoch))
            model.train()
            perm = torch.randperm(n, generator=gen) if config.shuffle else torch.arange(n)
            perm = perm.to(data.device)
            meter = _EpochMeter(epoch, ipe, paused, elapsed)
            pending: list[tuple[int, int, torch.Tensor, torch.Tensor]] = []

            for b in range(1, ipe + 1):
                checkpoint()
                idx = perm[(b - 1) * bsz : b * bsz]
                xb = data.train_x[idx]  # (B, C, H, W) uint8
                if augment:
                    xb = _augment(xb, config, aug_gen)
                xb = data.normalize(xb)
                yb = data.train_y[idx]
                logits = model(xb)  # forward pass: (B, classes)
                loss = F.cross_entropy(logits, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()  # backward pass
                grads = recorder.take(epoch, b) if recorder and recorder.due(epoch, b) else None
                opt.step()
                item = (b, len(idx), loss.detach(), (logits.detach().argmax(1) == yb).sum())
                if lag:
                    pending.append(item)
                    if len(pending) > 1:
                        yield record(meter.ended(pending.pop(0)))
                else:
                    yield record(meter.ended(item))
                if grads:
                    yield record(GradientsRecorded(epoch, grads[0].iteration, tuple(grads)))
            for item in pending:
                yield record(meter.ended(item))
            val_loss = val_acc = None
            if data.val_size:
                val_loss, val_acc = evaluate(model, data, data.val_x, data.val_y, control, eval_bsz)
            lr = opt.param_groups[0]["lr"]
            yield record(EpochEnded(epoch, *meter.means(), val_loss, val_acc, elapsed(), lr))
            best.epoch_ended(epoch, val_acc, model)
            if schedule is not None:
                schedule.step()
            if best.out_of_patience():
                break
        test_loss = test_acc = best_acc = conf = best_conf = None
        if data.test_size:
            test_loss, test_acc, conf = _test(model, data, control, eval_bsz)
            if best.state is not None and best.epoch != epoch:
                last = {k: v.detach().clone() for k, v in model.state_dict().items()}
                model.load_state_dict(best.state)
                _, best_acc, best_conf = _test(model, data, control, eval_bsz)
                model.load_state_dict(last)  # the run ends with the last epoch's weights
            elif best.state is not None:
                best_acc, best_conf = test_acc, conf
        early = best.out_of_patience() and epoch < config.epochs
        end = FitEnded(
            Status.FINISHED,
            best.early_reason(epoch) if early else None,
            None,
            test_loss,
            test_acc,
            elapsed(),
            best.epoch,
            best_acc,
            early,
            conf,
            best_conf,
        )
    except _Stopped:
        reason = getattr(control, "stop_reason", None) or "Stopped before the last epoch finished."
        end = FitEnded(Status.STOPPED, reason, None, elapsed_s=elapsed())
    except _Diverged as e:
        lr = config.lr if isinstance(config, TrainConfig) else 0.01
        end = FitEnded(
            Status.FAILED, str(e), NAN_ADVICE.format(lr=lr, lower=lr / 10), elapsed_s=elapsed()
        )
    except (torch.OutOfMemoryError, MemoryError) as e:
        end = _oom(e, config, elapsed())
    except ConfigError as e:
        end = FitEnded(Status.FAILED, str(e), None, elapsed_s=elapsed())
    except RunWriteError as e:  # the disk is full: say so, with the folder and what to do
        end = FitEnded(Status.FAILED, str(e), e.advice or None, elapsed_s=elapsed())
    except Exception as e:  # the worker must never die silently
        if is_out_of_memory(e):
            end = _oom(e, config, elapsed())
        else:
            end = FitEnded(
                Status.FAILED, f"{type(e).__name__}: {e}", _advice_for(e), elapsed_s=elapsed()
            )
    if isinstance(data, Prepared) and data.channels_last:
        model.to(memory_format=torch.contiguous_format)  # hand back an ordinary (NCHW) model
    try:
        record(end)
    except RunWriteError as e:  # the final weights did not fit on the disk: the run failed
        end = FitEnded(Status.FAILED, str(e), e.advice or None, elapsed_s=end.elapsed_s)
    except Exception as e:  # the folder is gone: still report how training ended
        end = FitEnded(
            end.status,
            f"{end.reason or ''} (the run folder could not be written: {e})".strip(),
            end.advice,
            end.test_loss,
            end.test_accuracy,
            end.elapsed_s,
        )
    yield end


def _oom(e: BaseException, config: Any, elapsed_s: float) -> FitEnded:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    b = config.batch_size if isinstance(config, TrainConfig) else 64
    return FitEnded(
        Status.FAILED,
        f"Out of memory ({str(e).splitlines()[0] if str(e) else type(e).__name__}).",
        OOM_ADVICE.format(b=b, half=max(b // 2, 1)),
        elapsed_s=elapsed_s,
    )


def _advice_for(e: Exception) -> str | None:
    text = str(e)
    if "shapes cannot be multiplied" in text or ("Expected" in text and "channels" in text):
        return "The network does not fit these images: check its input and last layer on the Design page."
    return None


def build_seeded(spec: dict, seed: int) -> nn.Module:
    """``build_model(spec)`` with the weights initialised from ``seed`` (same seed, same start)."""
    from cnnviz.design.build import build_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(spec)


__all__ = ["build_seeded", "evaluate", "fit", "make_optimizer", "make_scheduler"]
