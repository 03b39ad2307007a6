"""Joining a Ray cluster, or starting a local instance, for the Ray executor.

- ``local``: ``ray.init()`` starts a Ray instance (GCS, raylet, workers) inside this
  process. Ray ties those child processes to the *thread* that started them (they
  get ``PR_SET_PDEATHSIG``, which the kernel fires when that thread exits), so the
  instance is started on a thread that lives as long as this process: it starts
  Ray, then waits until the process ends (or the instance was shut down and a new
  one is asked for). Started on a short-lived thread, the instance died the moment
  the thread returned ("Failed to connect to GCS within 60 seconds").
- an address (``auto``, ``host:6379``, ``ray://host:10001``): a quick TCP check
  first (a refusal beats Ray's long wait for a dead head node), then ``ray.init``
  on a helper thread with a time limit.

A cluster that runs with token authentication (Ray does by default once a token
exists: ``~/.ray/auth_token``) refuses a server that does not send its token. Ray
then only says it "failed to connect"; a failed connection is therefore checked
once more with one unauthenticated call to the head node's GCS, and a refusal is a
``ClusterRefused`` that says what to set (``RAY_AUTH_MODE=token`` and the token).
Ray sends the token by itself only for ``auto`` with a token file here; for an
explicit address it needs ``RAY_AUTH_MODE=token``.
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import Any

from cnnviz.settings.env import raw
from cnnviz.train.executors.settings import ClusterRefused, ClusterUnreachable

log = logging.getLogger(__name__)

LOCAL_CONNECT_TIMEOUT_S = 180.0  # starting a local instance on a busy machine is slow
REMOTE_CONNECT_TIMEOUT_S = 30.0
PACKAGE_DIR = Path(__file__).resolve().parents[2]  # the cnnviz package, shipped to workers
AUTH_MARKERS = ("InvalidAuthToken", "Unauthenticated", "UNAUTHENTICATED", "AuthenticationError")


def connect(address: str) -> None:
    """Join the cluster at ``address`` (or start a local instance); else ``ClusterUnreachable``."""
    try:
        import ray
    except ImportError:
        raise ClusterUnreachable(
            address, "the ray package is not installed here: pip install -r requirements-ray.txt"
        ) from None
    if address == "local":
        # "local", not None: ray.init() with no address joins a cluster `ray start` left here
        _LOCAL.start({"address": "local", "include_dashboard": False, "log_to_driver": False})
        return
    probe(address)  # a quick refusal beats ray's two-minute wait for a dead head node
    if ray.is_initialized():
        return  # this process is connected already (one cluster per process)
    kwargs: dict[str, Any] = {
        "address": address,
        "log_to_driver": False,
        # the workers import cnnviz from this copy: they need only Python, torch and ray
        "runtime_env": {"py_modules": [str(PACKAGE_DIR)]},
    }
    box: dict[str, BaseException] = {}

    def init() -> None:
        try:
            ray.init(**kwargs)
        except BaseException as e:  # ray exits (SystemExit) when the GCS never answers
            box["error"] = e

    t = threading.Thread(target=init, name="cnnviz-ray-connect", daemon=True)
    t.start()
    t.join(REMOTE_CONNECT_TIMEOUT_S)
    if t.is_alive():
        raise _failure(address, f"no answer within {REMOTE_CONNECT_TIMEOUT_S:.0f} s")
    if "error" in box:
        raise _failure(address, short(box["error"])) from None


class _LocalInstance:
    """The local Ray instance of this process, on a thread that outlives every caller."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()  # ray.init returned (or raised)
        self._release = threading.Event()  # the instance was shut down: let its thread end
        self._error: BaseException | None = None

    def start(self, kwargs: dict[str, Any], timeout_s: float = LOCAL_CONNECT_TIMEOUT_S) -> None:
        import ray

        with self._lock:
            if ray.is_initialized():
                return  # started here before, or this process joined some Ray already
            if self._thread is None or self._ready.is_set():
                # first start, or the last one failed or was shut down since: a new thread
                # (the old one, if it still waits, may end now: its instance is gone)
                self._release.set()
                self._ready, self._release, self._error = threading.Event(), threading.Event(), None
                self._thread = threading.Thread(
                    target=self._run,
                    args=(kwargs, self._ready, self._release),
                    name="cnnviz-ray-local",
                    daemon=True,
                )
                self._thread.start()
            ready = self._ready
        # an earlier start that is still under way is waited for again, not started twice
        if not ready.wait(timeout_s):
            raise ClusterUnreachable("local", f"no local Ray instance within {timeout_s:.0f} s")
        if self._error is not None:
            raise ClusterUnreachable("local", short(self._error))

    def _run(
        self, kwargs: dict[str, Any], ready: threading.Event, release: threading.Event
    ) -> None:
        import ray

        try:
            ray.init(**kwargs)
        except BaseException as e:  # ray exits (SystemExit) when its GCS never answers
            self._error = e
            ready.set()
            return
        ready.set()
        # Ray's processes die with this thread: it waits as long as the instance is in use
        release.wait()


_LOCAL = _LocalInstance()


def probe(address: str, timeout_s: float = 3.0) -> None:
    """A quick TCP check of ``host:port`` / ``ray://host:port`` (``auto`` is left to ray)."""
    target = address.removeprefix("ray://")
    if address == "auto" or ":" not in target:
        return
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
            pass
    except (OSError, ValueError) as e:
        raise ClusterUnreachable(address, f"{host}:{port} refused or did not answer: {e}") from None


def _failure(address: str, detail: str) -> ClusterUnreachable:
    """Why ``ray.init(address)`` failed: a refused token (``ClusterRefused``) or no answer."""
    refused = auth_refusal(detail) or gcs_refuses_without_token(address)
    if refused:
        return ClusterRefused(address, refused)
    return ClusterUnreachable(address, detail)


def auth_refusal(text: str) -> str | None:
    """The detail to show when ``text`` (an exception's) says the token was refused or missing."""
    if not any(marker in text for marker in AUTH_MARKERS):
        return None
    first = text.strip().splitlines()[0] if text.strip() else text
    return f"{first.split('. ')[0][:200]}; {auth_mode_note()}"


def auth_mode_note() -> str:
    """What this server sends: no token unless RAY_AUTH_MODE=token (``auto`` aside), else which."""
    mode = raw("RAY_AUTH_MODE")
    if mode is None:
        return "RAY_AUTH_MODE is not set here"
    if mode.strip().lower() != "token":
        return f"RAY_AUTH_MODE is {mode!r} here"
    return "RAY_AUTH_MODE is 'token' here: the token here is missing or not the cluster's"


def gcs_refuses_without_token(address: str, timeout_s: float = 3.0) -> str | None:
    """Ask the head node's GCS for its cluster id without a token: its refusal, if it refuses.

    Ray's own failure says only "failed to connect"; the GCS's answer says whether it
    asks for a token. ``None`` when it answers, cannot be asked (``ray://``), or is down.
    """
    if address.startswith("ray://"):
        return None
    try:
        import grpc
        from ray._private.services import canonicalize_bootstrap_address
        from ray.core.generated import gcs_service_pb2, gcs_service_pb2_grpc

        gcs = canonicalize_bootstrap_address(address)
        if not gcs:
            return None
        with grpc.insecure_channel(gcs) as channel:
            stub = gcs_service_pb2_grpc.NodeInfoGcsServiceStub(channel)
            request = gcs_service_pb2.GetClusterIdRequest()
            stub.GetClusterId(request, timeout=timeout_s)
    except Exception as e:  # grpc.RpcError, or this Ray has moved its private modules
        code = getattr(e, "code", None)
        if callable(code) and str(code()) == "StatusCode.UNAUTHENTICATED":
            details = e.details() if callable(getattr(e, "details", None)) else str(e)  # type: ignore[attr-defined]
            return f"{details}; {auth_mode_note()}"
        log.debug("the GCS auth check of %s failed: %s", address, e)
    return None


def short(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(e).__name__}: {first[:160]}" if first else type(e).__name__


__all__ = ["auth_refusal", "connect", "gcs_refuses_without_token", "probe", "short"]
