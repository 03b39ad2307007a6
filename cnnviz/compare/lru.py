"""A bounded, thread-safe memo for what is read from run folders.

``LruCache.get(key, make, stamp)`` answers from memory while the entry's ``stamp`` (e.g.
``files_stamp`` of the files it was read from) is the same, else calls ``make()`` and keeps
its answer, dropping the least recently used entry past ``size``. ``counts``, when given,
counts the answers from memory (``hit``) and the calls of ``make`` (``miss``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LruCache(Generic[V]):
    def __init__(
        self,
        size: int,
        counts: dict[str, int] | None = None,
        hit: str = "cached",
        miss: str = "read",
    ) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[Hashable, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._counts, self._hit, self._miss = counts, hit, miss

    def get(self, key: Hashable, make: Callable[[], V], stamp: Hashable = None) -> V:
        with self._lock:
            entry = self._items.get(key)
            if entry is not None and entry[0] == stamp:
                self._items.move_to_end(key)
                self._count(self._hit)
                return entry[1]
        value = make()
        with self._lock:
            self._count(self._miss)
            self._items[key] = (stamp, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def _count(self, name: str) -> None:
        if self._counts is not None:
            self._counts[name] += 1


__all__ = ["LruCache"]
