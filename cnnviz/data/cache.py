"""A small process-wide cache for loaded datasets, outside Streamlit's caches.

``SharedCache(max_entries).get(key, load)`` returns the cached value for
``key`` or calls ``load()`` once (other sessions asking for the same key wait
for that one load instead of starting their own) and keeps the newest
``max_entries`` values. A failed load is not cached.

Streamlit's ``st.cache_resource`` would be the obvious home, but any client can
clear it for everyone (``clear_cache`` over the websocket); a dataset every
session shares must not be dropped, and reloaded by every session at once,
because one visitor asked.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SharedCache(Generic[V]):
    """Thread-safe LRU cache with one load per key at a time."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max(1, int(max_entries))
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._loading: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        while True:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
                gate = self._loading.get(key)
                if gate is None:
                    gate = self._loading[key] = threading.Lock()
                    gate.acquire()
                    break
            with gate:  # someone else is loading this key: wait for them, then look again
                pass
        try:
            value = load()
            with self._lock:
                self._values[key] = value
                self._values.move_to_end(key)
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._loading[key]
            gate.release()

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)
