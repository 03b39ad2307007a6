"""The server's warm-up: torch, the Train page's modules and the default images, in the background.

The first page a student sees (Design) needs no torch, and nothing ``app.py`` or the
Design page imports loads it: the router calls ``start()`` after the page's script has
run, and a daemon thread, started once per server process, imports torch and the Train
page's modules, then loads the default dataset. The first visit to Train, usually
seconds later, finds all of it ready.

``CNNVIZ_WARM_UP=0`` turns it off (tests that check what a page imports by itself).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

from cnnviz.settings.env import flag

log = logging.getLogger(__name__)

THREAD = "cnnviz-warm-up"
# the page's last messages and the browser's requests go out first: importing torch holds
# the interpreter in stretches (up to ~0.3 s measured on a loaded 2-core machine)
DELAY_S = 1.0
# what views/train.py imports (tests/test_quick_start.py keeps the two in step)
TRAIN_MODULES = (
    "torch",
    "cnnviz.train.engine",
    "cnnviz.ui.jobs",
    "cnnviz.ui.state",
    "cnnviz.ui.challenge",
    "cnnviz.ui.classroom.jobs",
    "cnnviz.ui.runs.change",
    "cnnviz.ui.runs.extras",
    "cnnviz.ui.train.data",
    "cnnviz.ui.train.live",
    "cnnviz.ui.train.network",
    "cnnviz.ui.train.settings",
    "cnnviz.ui.train.start",
)

_lock = threading.Lock()
_started = False


def enabled() -> bool:
    return flag("CNNVIZ_WARM_UP", True)


def start() -> threading.Thread | None:
    """Start the warm-up once per process (every run calls it: a flag check after the first);
    the thread, or None when it already ran or is turned off."""
    global _started
    if not enabled():
        return None
    with _lock:
        if _started:
            return None
        _started = True
    thread = threading.Thread(target=_warm, name=THREAD, daemon=True)
    thread.start()
    return thread


def _warm() -> None:
    time.sleep(DELAY_S)
    for name in TRAIN_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # the page imports it again and shows what went wrong
            log.exception("warm-up: importing %s failed", name)
    from cnnviz.ui.jobs import registry

    registry()  # gives torch this server's thread count, now that it is loaded
    from cnnviz.ui.train import data as train_data

    train_data.warm_default()
