"""Politeness per host: at most ``per_host`` requests at once and ``gap_s`` between two starts.

Shared by every feed shard of a worker process, so feeds of one publisher
spread over many shards still reach that publisher ``per_host`` at a time.
On a cluster each worker process holds its own limiter: the cap is then per
worker (documented in the README).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    """The politeness key of a URL: its host name (ports of one host count as one host)."""
    return (urlsplit(url).hostname or "").lower()


class HostLimiter:
    """Thread-safe per-host admission: ``try_acquire`` says whether a request may start now."""

    def __init__(self, per_host: int = 2, gap_s: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.per_host = per_host
        self.gap_s = max(0.0, gap_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._active: dict[str, int] = {}
        self._last_start: dict[str, float] = {}

    def try_acquire(self, host: str) -> bool:
        with self._lock:
            now = self._clock()
            if self._active.get(host, 0) >= self.per_host:
                return False
            last = self._last_start.get(host)
            if last is not None and now - last < self.gap_s:
                return False
            self._active[host] = self._active.get(host, 0) + 1
            self._last_start[host] = now
            return True

    def ready_at(self, host: str) -> float | None:
        """When the gap lets the next request to ``host`` start, if a slot is free (None: no slot free,
        or no gap to wait for)."""
        with self._lock:
            if self._active.get(host, 0) >= self.per_host:
                return None
            last = self._last_start.get(host)
            return None if last is None else last + self.gap_s

    def release(self, host: str) -> None:
        with self._lock:
            left = self._active.get(host, 0) - 1
            if left > 0:
                self._active[host] = left
            else:
                self._active.pop(host, None)

    def active(self, host: str) -> int:
        with self._lock:
            return self._active.get(host, 0)
