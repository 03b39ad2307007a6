"""The training as it runs on a Ray worker: an actor driving ``engine.fit`` in a thread.

``RayExecutor`` makes one ``TrainingActor`` per training, with the CPUs and share
of a GPU it asks for, and a few concurrent method calls (``max_concurrency``), so
``poll``, ``pause``, ``resume``, ``stop`` and ``snapshot`` are served while ``fit``
runs in the actor's own thread::

    actor.ready(recipe)                # a standby: imports the training, draws the data ahead
    actor.start(data, spec, config)    # returns at once; fit runs in a thread
    actor.poll(paused, stop_reason)    # -> [("begin", config, facts) | ("event", Event, weights)]
    actor.snapshot()                   # state_dict bytes, taken between mini-batches

``poll`` carries the server's wishes (pause, stop) and is its heartbeat: an actor
that has not been polled for ``idle_s`` seconds (the server was killed, or lost
the network) stops the training and exits, so no actor outlives its server by
more than that. A *standby* actor (started ahead, waiting for the next training) is
polled the same way by its executor, so it ends with the server too. Weights travel
as ``torch.save`` bytes at each epoch's end and at the end (``weights_only`` loading
on the server); nothing is written on the worker.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import torch

from cnnviz.train.control import Control
from cnnviz.train.events import EpochEnded, Event, FitEnded
from cnnviz.train.status import Status

WATCHDOG_TICK_S = 0.5


def state_bytes(model: torch.nn.Module) -> bytes:
    """The model's weights as ``torch.save`` bytes (CPU tensors, a plain state_dict)."""
    buf = io.BytesIO()
    torch.save({k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}, buf)
    return buf.getvalue()


def load_state_bytes(data: bytes) -> dict[str, torch.Tensor]:
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


class _Outbox:
    """The engine's ``Writer`` on the worker: keeps what the server needs to write the run."""

    def __init__(self) -> None:
        self.items: list[tuple] = []
        self.weights: bytes | None = None  # for the event being recorded
        self.lock = threading.Lock()

    def begin(self, config: dict, prepared: Any) -> None:
        norm = prepared.normalization
        facts = {
            "dataset": prepared.dataset,
            "classes": list(prepared.classes),
            "input_shape": list(prepared.input_shape),
            "train_size": prepared.train_size,
            "val_size": prepared.val_size,
            "test_size": prepared.test_size,
            "normalization": norm.to_dict() if hasattr(norm, "to_dict") else None,
        }
        with self.lock:
            self.items.append(("begin", config, facts))

    def record(self, event: Event, model: Any = None) -> None:
        keep = isinstance(event, EpochEnded) or (
            isinstance(event, FitEnded) and event.status != Status.FAILED
        )  # a failed run's weights may be NaN: the server keeps the last good epoch's
        self.weights = state_bytes(model) if keep and model is not None else None

    def event(self, event: Event) -> None:
        with self.lock:
            self.items.append(("event", event, self.weights))
            self.weights = None

    def take(self) -> list[tuple]:
        with self.lock:
            items, self.items = self.items, []
        return items


class TrainingActor:
    """One training on a worker. Made through ``ray.remote(...)`` by ``RayExecutor``."""

    def __init__(self, idle_s: float = 60.0, threads: int = 1) -> None:
        torch.set_num_threads(max(int(threads), 1))  # the CPUs this actor was given
        self.idle_s = float(idle_s)
        self.control = Control()
        self.outbox = _Outbox()
        self.model: torch.nn.Module | None = None
        self.last_poll = time.monotonic()
        # one thread draws the data and trains on them: torch ops on a second thread (a
        # standby drawing in the call's thread, then training in another) trained 25% slower
        self._fit_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cnnviz-fit")
        self._fit: Future | None = None  # the training, once started
        self._ended = threading.Event()
        self._drawn: tuple[tuple, Any] | None = None  # (data key, bundle) drawn by ready()
        threading.Thread(target=self._watchdog, name="cnnviz-watchdog", daemon=True).start()

    # -- the server's calls -------------------------------------------------------------
    def ready(self, recipe: dict | None = None) -> dict:
        """Get ready for a training: import it, and draw ``recipe``'s data (a standby's work).

        A standby actor is started before anyone asks for it, so that the next training
        starts without waiting for a new Python process, torch's import or, when the data
        is the built-in set most trainings use, drawing it.
        """
        import cnnviz.train.engine  # noqa: F401 (the import is the work)
        from cnnviz.train.executors.ray_data import data_key, unpack

        self.last_poll = time.monotonic()

        def draw() -> None:
            have = self._drawn[0] if self._drawn is not None else None
            if self._fit is None and have != tuple(recipe["key"]):  # type: ignore[index]
                self._drawn = None  # the old set goes before the new one is drawn
                bundle = unpack(recipe)  # type: ignore[arg-type]
                self._drawn = (data_key(bundle), bundle)

        if recipe is not None and "load" in recipe and self._fit is None:  # not behind a fit
            self._fit_thread.submit(draw).result()
        return {"node": _node_ip(), "pid": os.getpid(), "drawn": self._drawn is not None}

    def start(self, data: Any, spec: dict, config: dict, model: Any = None) -> dict:
        """Prepare and train in a thread of this actor; returns where it runs at once."""
        from cnnviz.train.config import TrainConfig
        from cnnviz.train.engine import build_seeded

        self.last_poll = time.monotonic()
        cfg = TrainConfig.from_dict(config)
        self.model = model if model is not None else build_seeded(spec, cfg.seed)
        self._fit = self._fit_thread.submit(self._work, data, cfg)
        return {"node": _node_ip(), "pid": os.getpid(), "gpus": _gpu_ids()}

    def poll(self, paused: bool = False, stop_reason: str | None = None) -> list[tuple]:
        """Apply the server's wishes and hand over what happened since the last poll."""
        self.last_poll = time.monotonic()
        if stop_reason is not None:
            self.control.stop(stop_reason)
        elif paused:
            self.control.pause()
        else:
            self.control.resume()
        return self.outbox.take()

    def pause(self) -> None:
        self.last_poll = time.monotonic()
        self.control.pause()

    def resume(self) -> None:
        self.last_poll = time.monotonic()
        self.control.resume()

    def stop(self, reason: str | None = None) -> None:
        self.last_poll = time.monotonic()
        self.control.stop(reason)

    def snapshot(self, timeout_s: float = 5.0) -> bytes | None:
        """The current weights as bytes, copied between mini-batches (None before start)."""
        if self.model is None:
            return None
        box: dict[str, bytes] = {}
        ready = threading.Event()

        def copy_weights() -> None:
            box["w"] = state_bytes(self.model)  # type: ignore[arg-type]
            ready.set()

        if self._fit is not None and not self._ended.is_set():
            self.control.between_batches(copy_weights)
            ready.wait(timeout_s)
        if not ready.is_set():  # ended, or busy validating: the weights are not changing
            copy_weights()
        return box["w"]

    def exit(self) -> None:
        import ray

        ray.actor.exit_actor()

    # -- on the worker --------------------------------------------------------------------
    def _work(self, data: Any, cfg: Any) -> None:
        from cnnviz.train.engine import fit
        from cnnviz.train.executors.ray_data import unpack

        try:
            bundle = self._take_drawn(data)
            if bundle is None:
                bundle = unpack(data)
            del data
            for ev in fit(self.model, bundle, cfg, control=self.control, writer=self.outbox):
                self.outbox.event(ev)
        except BaseException as e:  # fit ends every path itself; this is the last line of defence
            self.outbox.weights = None
            self.outbox.event(FitEnded(Status.FAILED, f"{type(e).__name__}: {e}"))
        finally:
            self._ended.set()

    def _take_drawn(self, data: Any) -> Any:
        """The bundle ``ready`` drew, when ``data`` is the recipe for it (None otherwise)."""
        if not (isinstance(data, dict) and "load" in data):
            return None
        drawn, self._drawn = self._drawn, None  # on the fit thread, after any drawing
        if drawn is not None and tuple(drawn[0]) == tuple(data["key"]):
            return drawn[1]
        return None

    def _watchdog(self) -> None:
        """Stop and exit when the server has not polled for ``idle_s`` seconds."""
        while time.monotonic() - self.last_poll < self.idle_s:
            time.sleep(WATCHDOG_TICK_S)
        self.control.stop(
            f"Stopped because the server stopped asking about it for {self.idle_s:.0f} s."
        )
        if self._fit is not None:
            with contextlib.suppress(Exception):
                self._fit.result(timeout=10.0)
        try:
            import ray

            ray.get_runtime_context().current_actor.exit.remote()
            time.sleep(5.0)
        finally:
            os._exit(0)  # exit_actor did not end the process: end it anyway


def _node_ip() -> str:
    try:
        import ray

        return str(ray.util.get_node_ip_address())
    except Exception:  # not on Ray (tests of the actor class alone)
        return "localhost"


def _gpu_ids() -> list[Any]:
    try:
        import ray

        return list(ray.get_gpu_ids())
    except Exception:
        return []


__all__ = ["TrainingActor", "load_state_bytes", "state_bytes"]
