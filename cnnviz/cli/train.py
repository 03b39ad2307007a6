"""``python -m cnnviz train SPEC --dataset NAME ...``: the page's engine and run store, from a terminal.

SPEC is a preset name or a spec JSON file. Options left unset take the preset's
``train=`` defaults (then TrainConfig's). The built-in Shapes set is drawn at the
network's input size when that is 1 or 3 channels; other sets load at their own
size unless ``--size``/``--channels`` say otherwise. A network that does not fit
the data is refused with the problem and its fix; ``--fix`` applies the fixes.

Output: a line per epoch and the run folder at the end; with ``--json`` one JSON
object per line (every event, each with ``"event"``), the last one
``{"event": "finished" | "stopped" | "failed", "test_accuracy": ..., "run_dir": ...}``.
Ctrl-C stops cleanly after the current mini-batch (the run is kept); a second one aborts.
``--executor ray [--ray-address ADDR]`` trains in an actor on a Ray cluster (see
``cnnviz.train.executors``); the run is saved here all the same.
Exit codes: 0 finished, 1 training failed or the network does not fit, 2 bad
argument / file / dataset, 3 the Ray cluster cannot be reached, 130 stopped by Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import queue
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from cnnviz.cli.exits import ExitCode, UsageError
from cnnviz.cli.specs import load_spec
from cnnviz.data.kinds import NormKind
from cnnviz.train.config import DeviceKind, LrSchedule, OptimizerKind
from cnnviz.train.executors.settings import ExecutorKind
from cnnviz.train.status import Status


def add_arguments(p: argparse.ArgumentParser) -> None:
    from cnnviz.design.presets import PRESETS

    p.add_argument(
        "spec", metavar="SPEC", help=f"a preset ({', '.join(PRESETS)}) or a spec JSON file"
    )
    p.add_argument(
        "--dataset", metavar="NAME", help="dataset name (default: the preset's, else shapes)"
    )
    p.add_argument(
        "--data-dir", metavar="DIR", help="torchvision root (default $CNNVIZ_DATA_DIR or ./data)"
    )
    p.add_argument(
        "--download", action="store_true", help="download a torchvision dataset if missing"
    )
    p.add_argument("--size", type=int, metavar="PX", help="resize images to PX×PX")
    p.add_argument("--channels", type=int, choices=(1, 3), help="convert images to 1 or 3 channels")
    p.add_argument("--epochs", type=int, metavar="N", help="passes over the training set")
    p.add_argument("--batch-size", type=int, metavar="B", help="mini-batch size")
    p.add_argument("--optimizer", choices=[str(o) for o in OptimizerKind])
    p.add_argument("--lr", type=float, metavar="LR", help="learning rate")
    p.add_argument("--momentum", type=float, metavar="M", help="SGD momentum, e.g. 0.9")
    p.add_argument("--weight-decay", type=float, metavar="W", help="L2 penalty, e.g. 0.0001")
    p.add_argument("--normalize", choices=[str(n) for n in NormKind])
    p.add_argument(
        "--lr-schedule",
        choices=[str(s) for s in LrSchedule],
        help="step: ×0.1 at ½ and ¾ of the epochs; cosine: down to 0 at the last epoch",
    )
    p.add_argument(
        "--patience",
        type=int,
        metavar="N",
        help="early stopping: stop after N epochs without a better validation accuracy (0 = off)",
    )
    p.add_argument(
        "--val-fraction", type=float, metavar="F", help="share of training images held out"
    )
    p.add_argument(
        "--augment-flip", action="store_true", default=None, help="random horizontal flips"
    )
    p.add_argument(
        "--augment-crop", type=int, metavar="PX", help="random crop after padding PX pixels"
    )
    p.add_argument(
        "--device", choices=[str(d) for d in DeviceKind], help="auto: cuda, then mps, then cpu"
    )
    p.add_argument(
        "--no-shuffle",
        dest="shuffle",
        action="store_false",
        default=None,
        help="keep the training images in order (default: a new shuffle every epoch)",
    )
    p.add_argument(
        "--seed", type=int, metavar="S", help="same seed, same weights, order and result"
    )
    p.add_argument(
        "--runs-dir", metavar="DIR", help="where runs are saved ($CNNVIZ_RUNS_DIR or ./runs)"
    )
    p.add_argument(
        "--fix", action="store_true", help="adapt the network to the data when it does not fit"
    )
    p.add_argument(
        "--executor",
        choices=[str(k) for k in ExecutorKind],
        help="where to train: thread (this process, the default) or ray ($CNNVIZ_EXECUTOR)",
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="with --executor ray: auto, ray://host:10001, host:6379 or local ($CNNVIZ_RAY_ADDRESS)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--limit-train", type=int, help=argparse.SUPPRESS)  # tests and quick tries
    p.add_argument("--limit-test", type=int, help=argparse.SUPPRESS)


def config_from_args(args: argparse.Namespace, defaults: dict) -> Any:
    from cnnviz.train.config import ConfigError, TrainConfig

    given = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)}
    try:
        return TrainConfig.from_dict(defaults, **given)
    except ConfigError as e:
        raise UsageError(str(e)) from None


def load_data(args: argparse.Namespace, spec: dict, dataset: str, seed: int) -> Any:
    from cnnviz.data.errors import DatasetUnavailable
    from cnnviz.data.kinds import Source
    from cnnviz.data.registry import DATASETS, load_dataset

    info = DATASETS.get(dataset)
    if info is None:
        raise UsageError(f"no dataset called {dataset!r}: choose one of {', '.join(DATASETS)}")
    size, channels = args.size, args.channels
    shape = spec.get("input") or []
    if (
        info.source == Source.BUILTIN
        and len(shape) == 3
        and shape[0] in (1, 3)
        and shape[1] == shape[2]
    ):
        channels = channels or shape[0]
        size = size or shape[1]
    try:
        return load_dataset(
            dataset, data_dir=args.data_dir, download=args.download, size=size, channels=channels,
            n_train=args.limit_train, n_test=args.limit_test, seed=seed,
        )  # fmt: skip
    except (DatasetUnavailable, ValueError) as e:
        raise UsageError(str(e)) from None


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def run(args: argparse.Namespace) -> int:
    from cnnviz.design.presets import PRESETS

    out = _Output(args.json)
    try:
        spec = load_spec(args.spec)
        preset = PRESETS.get(args.spec)
        label = preset.name if preset else Path(args.spec).stem
        config = config_from_args(args, dict(preset.train) if preset else {})
        dataset = args.dataset or (preset.dataset if preset and preset.dataset else "shapes")
        bundle = load_data(args, spec, dataset, config.seed)
    except UsageError as e:
        return out.error(str(e), ExitCode.USAGE)
    return _train(spec, bundle, config, label, args, out)


def fit_spec(spec: dict, bundle: Any, fix: bool, note: Any = print) -> tuple[dict, str | None]:
    """``(spec, None)`` when the network fits the data (after ``--fix``'s fixes), else why not."""
    from cnnviz.train.fitcheck import apply_fix, check_fit

    for _ in range(5):
        problems = [p for p in check_fit(spec, bundle) if p.blocking]
        if not problems or not fix or problems[0].fix is None:
            break
        note(f"fix: {problems[0].fix_label} ({problems[0].message})")
        spec = apply_fix(spec, problems[0].fix)
    if not problems:
        return spec, None
    hint = " Run again with --fix to apply the fixes." if any(p.fix for p in problems) else ""
    return spec, (
        " ".join(p.message + (f" Fix: {p.fix_label}." if p.fix else "") for p in problems) + hint
    )


def _train(
    spec: dict, bundle: Any, config: Any, label: str, args: argparse.Namespace, out: _Output
) -> int:
    from cnnviz.classroom.entries import QueueRefused
    from cnnviz.design.spec import SpecError
    from cnnviz.train.config import ConfigError
    from cnnviz.train.events import EpochEnded, FitEnded, FitStarted
    from cnnviz.train.executors.settings import ClusterUnreachable, SettingError
    from cnnviz.train.request import TrainRequest
    from cnnviz.train.run_files import RunWriteError

    spec, problem = fit_spec(spec, bundle, args.fix, out.note)
    if problem:
        return out.error(problem, ExitCode.INVALID)
    try:
        gate = command_gate(args, standby=0)  # one training, then the command ends
    except SettingError as e:
        return out.error(str(e), ExitCode.USAGE)
    events: queue.Queue = queue.Queue()
    try:
        job = gate.submit(
            TrainRequest(spec, bundle, config, label=label, runs_root=args.runs_dir),
            on_event=events.put,
        ).job
    except SpecError as e:
        return out.error(str(e), ExitCode.INVALID)
    except ClusterUnreachable as e:
        return out.error(str(e), ExitCode.UNAVAILABLE)
    except (ConfigError, QueueRefused) as e:  # the memory it needs, a setting out of range
        return out.error(str(e), ExitCode.USAGE)
    except RunWriteError as e:  # the disk is full: nothing was left behind
        return out.error(f"{e} {e.advice}", ExitCode.INVALID)
    assert job is not None  # outside class mode the gate starts it at once
    if job.note:
        out.note(job.note)
    control, run_dir = job.control, job.run_dir
    previous = signal.signal(signal.SIGINT, _interrupt(control)) if _main_thread() else None
    end = None
    try:
        for ev in _job_events(job, events, out):
            out.event(ev)
            if isinstance(ev, FitStarted):
                out.line(
                    f"Training {label} on {bundle.name}: {ev.train_size:,} training / {ev.val_size:,} validation / "
                    f"{ev.test_size:,} test images, {ev.iterations_per_epoch} iterations per epoch "
                    f"(mini-batch {ev.batch_size}), {config.optimizer} lr {config.lr:g}, device {ev.device}"
                )
            elif isinstance(ev, EpochEnded):
                out.line(
                    f"epoch {ev.epoch}/{config.epochs}  train loss {ev.train_loss:.4f} acc {_pct(ev.train_accuracy)}"
                    f"  val loss {'—' if ev.val_loss is None else f'{ev.val_loss:.4f}'} acc {_pct(ev.val_accuracy)}"
                    f"  {ev.elapsed_s:.1f} s"
                )
            elif isinstance(ev, FitEnded):
                end = ev
        job.wait(60)  # the worker's last writes after its final event
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    assert end is not None
    summary = {**end.to_dict(), "run_dir": str(run_dir)}
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        text = (
            f"{end.status}: test accuracy {_pct(end.test_accuracy)}"
            if end.status == Status.FINISHED
            else f"{end.status}: {end.reason}"
        )
        print(f"{text} after {end.elapsed_s:.1f} s", flush=True)
        if end.status == Status.FINISHED and end.reason:
            print(end.reason, flush=True)
        if end.best_epoch is not None and end.best_test_accuracy is not None:
            print(
                f"best validation epoch {end.best_epoch}: test accuracy "
                f"{_pct(end.best_test_accuracy)} with its weights (best.pt)",
                flush=True,
            )
        if end.advice:
            print(f"advice: {end.advice}", flush=True)
        print(f"run saved in {run_dir}", flush=True)
    return {
        Status.FINISHED: ExitCode.OK,
        Status.STOPPED: ExitCode.STOPPED,
        Status.FAILED: ExitCode.INVALID,
    }[Status(end.status)]


def _in_thread(events: Iterator[Any]) -> Iterator[Any]:
    """Drive the generator in a worker thread, as the page's Job does, and pass its events on.

    Besides keeping Ctrl-C responsive, this matters for speed: torch's OpenMP threads
    busy-wait in the main thread's team, which on a crowded CPU (a classroom server, a
    shared machine) made training several times slower than the same loop in a thread.
    """
    q: queue.Queue = queue.Queue(maxsize=1024)
    done = object()

    def work() -> None:
        try:
            for ev in events:
                q.put(ev)
        except BaseException as e:  # fit ends every path itself; pass on anything else
            q.put(e)
        finally:
            q.put(done)

    threading.Thread(target=work, name="cnnviz-train", daemon=True).start()
    while True:
        try:
            item = q.get(timeout=0.2)  # short waits: the main thread stays free for Ctrl-C
        except queue.Empty:
            continue
        if item is done:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def command_gate(args: argparse.Namespace, *, standby: int | None = None) -> Any:
    """The submission gate of one command: one training at a time, no class limits.

    The executor is ``--executor`` / ``--ray-address`` (else the environment's)."""
    from cnnviz.classroom.submit import Gate
    from cnnviz.train.executors import make_executor
    from cnnviz.train.executors.settings import ExecutorSettings
    from cnnviz.train.jobs import JobRegistry

    given: dict[str, Any] = {"kind": args.executor, "address": args.ray_address}
    if standby is not None:
        given["standby"] = standby
    settings = ExecutorSettings.from_env(**given)  # SettingError
    return Gate(JobRegistry(max_live=1, executor=make_executor(settings)))


def _job_events(job: Any, q: queue.Queue, out: _Output) -> Iterator[Any]:
    """Pass on the started ``job``'s events (``q``, filled by the worker) as they come."""
    from cnnviz.train.events import FitEnded
    from cnnviz.train.job import Placement

    said_waiting = False
    while True:
        job.touch()  # watched: the command waits for it
        try:
            ev = q.get(timeout=0.2)  # short waits: the main thread stays free for Ctrl-C
        except queue.Empty:
            if not said_waiting and job.placement == Placement.PENDING:
                place = job.queue_place
                out.note(
                    f"waiting for a worker on {job.where}"
                    + (f" (place {place} in the queue)" if place else "")
                )
                said_waiting = True
            continue
        yield ev
        if isinstance(ev, FitEnded):
            return


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _interrupt(control: Any) -> Any:
    def handler(signum: int, frame: Any) -> None:
        if control.stop_requested:
            raise KeyboardInterrupt
        control.stop("Stopped with Ctrl-C.")
        print(
            "\nstopping after this mini-batch (Ctrl-C again to abort)", file=sys.stderr, flush=True
        )

    return handler


class _Output:
    """Human lines, or JSON lines (every event) with --json."""

    def __init__(self, as_json: bool) -> None:
        self.json = as_json

    def event(self, ev: Any) -> None:
        from cnnviz.train.events import FitEnded

        if self.json and not isinstance(ev, FitEnded):  # the last line adds run_dir
            print(json.dumps(ev.to_dict()), flush=True)

    def line(self, text: str) -> None:
        if not self.json:
            print(text, flush=True)

    def note(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def error(self, message: str, code: int) -> int:
        if self.json:
            print(
                json.dumps(
                    {"event": "failed", "status": "failed", "reason": message, "run_dir": None}
                ),
                flush=True,
            )
        print(f"cnnviz train: {message}", file=sys.stderr, flush=True)
        return code


__all__ = ["add_arguments", "config_from_args", "fit_spec", "load_data", "run"]
