"""Fetches that run beside the pipeline's bundles, so no feed waits for another.

A poll tick must not wait for its slowest feed: a bundle that waits for every
fetch of its shard holds back the indexing of everything already fetched, and
on Prism a bundle that never ends stops the whole job. :class:`Fetcher` owns a
worker process's fetching threads, connection pools and per-host limits. A
tick *starts* the fetches of its due feeds (as many as capacity and the
per-host caps allow; the rest stay due for the next tick), waits a moment
for fast ones, and *takes* whatever has completed, from this tick or earlier
ones. Every fetch ends by its hard deadline (:mod:`.deadline`), so a thread is
never pinned by a socket.

One :class:`Fetcher` per process and configuration (:func:`shared`), because
the per-host caps must hold across all the shards a process runs.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pipeline import lifecycle
from pipeline.model import Feed, FetchResult
from pipeline.sources import fetch as fetching
from pipeline.sources.hosts import HostLimiter, host_of

STARTED, IN_FLIGHT, HOST_BUSY, FULL, DRAINING = "started", "in_flight", "host_busy", "full", "draining"


@dataclass(frozen=True)
class FetcherConfig:
    workers: int = 64  # fetches at once in this process
    per_host: int = 2
    host_gap_s: float = 0.5
    timeout_s: float = fetching.DEFAULT_TIMEOUT_S
    max_bytes: int = fetching.DEFAULT_MAX_BYTES


FetchFn = Callable[[Feed, str | None, str | None, str | None], FetchResult]


class Fetcher:
    """Starts fetches without waiting for them and hands out the completed ones by shard key."""

    def __init__(self, config: FetcherConfig, fetch: FetchFn | None = None) -> None:
        self.config = config
        self.limiter = HostLimiter(config.per_host, config.host_gap_s)
        self._executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="fetch")
        self._pool = fetching.make_pool(per_host=max(config.per_host, 1))
        self._fetch = fetch or self._http_fetch
        self._cond = threading.Condition()
        self._running: dict[str, str] = {}  # feed URL -> shard key, from start until taken
        self._pending: dict[str, int] = defaultdict(int)  # shard key -> fetches not yet completed
        self._done: dict[str, list[FetchResult]] = defaultdict(list)

    def _http_fetch(self, feed: Feed, etag: str | None, last_modified: str | None, url: str | None) -> FetchResult:
        return fetching.fetch_feed(self._pool, feed, etag, last_modified, self.config.timeout_s,
                                   self.config.max_bytes, url=url)

    def start(self, key: str, feed: Feed, etag: str | None = None, last_modified: str | None = None,
              url: str | None = None) -> str:
        """Start fetching ``feed`` for shard ``key``; says whether it started or why not."""
        with self._cond:
            if feed.url in self._running:
                return IN_FLIGHT
            if len(self._running) >= self.config.workers:
                return FULL
            host = host_of(url or feed.url)
            if not self.limiter.try_acquire(host):
                return HOST_BUSY
            self._running[feed.url] = key
            self._pending[key] += 1
        lifecycle.fetches_started()
        self._executor.submit(self._run, key, host, feed, etag, last_modified, url)
        return STARTED

    def _run(self, key: str, host: str, feed: Feed, etag: str | None, last_modified: str | None,
             url: str | None) -> None:
        try:
            result = self._fetch(feed, etag, last_modified, url)
        except Exception as exc:  # fetch_feed does not raise; a bug in it must not lose the feed's turn
            result = FetchResult(feed=feed, outcome="connection_error", error=f"{type(exc).__name__}: {exc}")
        finally:
            self.limiter.release(host)
        with self._cond:
            self._done[key].append(result)
            self._pending[key] -= 1
            self._cond.notify_all()

    def wait(self, key: str, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for shard ``key``'s running fetches to complete."""
        with self._cond:
            self._cond.wait_for(lambda: self._pending.get(key, 0) == 0, timeout=timeout_s)

    def take(self, key: str) -> list[FetchResult]:
        """The completed fetches of shard ``key`` not taken yet."""
        with self._cond:
            done = self._done.pop(key, [])
            for result in done:
                self._running.pop(result.feed.url, None)
            if not self._pending.get(key):
                self._pending.pop(key, None)
        if done:
            lifecycle.fetches_finished(len(done))
        return done

    def running(self) -> int:
        with self._cond:
            return len(self._running)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._pool.clear()


_shared: dict[FetcherConfig, Fetcher] = {}
_shared_lock = threading.Lock()


def shared(config: FetcherConfig) -> Fetcher:
    """The process's fetcher for ``config`` (made on first use)."""
    with _shared_lock:
        fetcher = _shared.get(config)
        if fetcher is None:
            fetcher = _shared[config] = Fetcher(config)
        return fetcher
