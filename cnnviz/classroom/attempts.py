"""How often one computer may try: joins, teacher keys and class codes, per client address.

A class server counts, per client (its IP address; an IPv6 address by its /64
network, which one computer may hop around in), what it tried in a sliding
window, in memory (a restart forgets). Past the rule, ``TooMany`` says how long
to wait: "Too many tries from this computer: try again in 40 s."

- ``JOIN``: names that joined, ``CNNVIZ_JOINS_PER_CLIENT`` (3) per 10 minutes;
- ``KEY``: wrong teacher keys, 5 per 5 minutes;
- ``CODE``: wrong class codes, 5 per 5 minutes.

A name refused for being taken or mistyped costs nothing; a wrong key or code does.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from cnnviz.settings.env import integer

LOCAL = "local"  # the client key of this computer (Streamlit gives no address for localhost)


class Try(StrEnum):
    JOIN = "join"
    KEY = "key"
    CODE = "code"


@dataclass(frozen=True)
class Rule:
    times: int
    window_s: float


class TooMany(ValueError):
    """Too many tries from one client; ``wait_s`` until the next one is allowed."""

    def __init__(self, wait_s: float) -> None:
        self.wait_s = max(1, math.ceil(wait_s))
        super().__init__(f"Too many tries from this computer: try again in {self.wait_s} s.")


def client_key(address: str | None) -> str:
    """One key per computer: the IPv4 address, an IPv6 address's /64, or ``LOCAL``."""
    text = str(address or "").strip()
    if not text:
        return LOCAL
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def rules_from_env(environ: dict[str, str] | None = None) -> dict[Try, Rule]:
    joins = integer("CNNVIZ_JOINS_PER_CLIENT", 3, low=1, high=1_000_000, bad="default", env=environ)
    return {Try.JOIN: Rule(joins, 600.0), Try.KEY: Rule(5, 300.0), Try.CODE: Rule(5, 300.0)}


class Attempts:
    """Sliding windows of tries per (kind, client); thread-safe."""

    def __init__(
        self, rules: dict[Try, Rule] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rules = rules or rules_from_env()
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[Try, str], deque[float]] = defaultdict(deque)

    def _window(self, kind: Try, client: str) -> deque[float]:
        rule, now = self.rules[kind], self._clock()
        seen = self._seen[(kind, client)]
        while seen and now - seen[0] >= rule.window_s:
            seen.popleft()
        return seen

    def check(self, kind: Try, client: str) -> None:
        """``TooMany`` when ``client`` has used up its tries of ``kind`` for now."""
        with self._lock:
            seen, rule = self._window(kind, client), self.rules[kind]
            if len(seen) >= rule.times:
                raise TooMany(seen[0] + rule.window_s - self._clock())

    def note(self, kind: Try, client: str) -> None:
        with self._lock:
            self._window(kind, client).append(self._clock())


__all__ = ["LOCAL", "Attempts", "Rule", "TooMany", "Try", "client_key", "rules_from_env"]
