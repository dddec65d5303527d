"""Fetches that run beside the pipeline's bundles, so no feed waits for another.

A poll tick must not wait for its slowest feed: a bundle that waits for every
fetch of its shard holds back the indexing of everything already fetched, and
on Prism a bundle that never ends stops the whole job. :class:`Fetcher` owns a
worker process's fetching threads, connection pools and per-host limits. A
tick *starts* the fetches of its due feeds, waits a moment for fast ones, and
*takes* whatever has completed, from this tick or earlier ones. Every fetch
ends by its hard deadline (:mod:`.deadline`), so a thread is never pinned.

Started feeds wait in a queue per host; a dispatcher thread hands them to the
fetching threads as soon as their host has a free slot and its gap has passed
(:class:`~pipeline.sources.hosts.HostLimiter`), so one host's feeds are fetched
back to back at the polite rate while other hosts go on in parallel. At most
``capacity`` feeds are queued or running; beyond that ``start`` answers
``FULL`` and the feed stays due for the next tick.

One :class:`Fetcher` per process and configuration (:func:`shared`), because
the per-host caps must hold across all the shards a process runs.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pipeline.core.model import Feed, FetchResult
from pipeline.sources import fetch as fetching
from pipeline.sources import limits
from pipeline.sources.hosts import HostLimiter, host_of
from pipeline.telemetry import lifecycle

STARTED, IN_FLIGHT, FULL = "started", "in_flight", "full"


@dataclass(frozen=True)
class FetcherConfig:
    workers: int = limits.DEFAULT_WORKERS  # fetches at once in this process
    per_host: int = limits.DEFAULT_PER_HOST
    host_gap_s: float = limits.DEFAULT_HOST_GAP_S
    timeout_s: float = limits.DEFAULT_TIMEOUT_S
    max_bytes: int = limits.DEFAULT_MAX_BYTES
    queue_factor: int = limits.DEFAULT_QUEUE_FACTOR  # queued + running at most workers × this

    @property
    def capacity(self) -> int:
        return self.workers * self.queue_factor


@dataclass(frozen=True)
class _Job:
    key: str
    feed: Feed
    etag: str | None
    last_modified: str | None
    url: str | None


FetchFn = Callable[[Feed, str | None, str | None, str | None], FetchResult]


class Fetcher:
    """Queues fetches per host, runs them politely, and hands out the completed ones by shard key."""

    def __init__(self, config: FetcherConfig, fetch: FetchFn | None = None) -> None:
        self.config = config
        self.limiter = HostLimiter(config.per_host, config.host_gap_s)
        self._executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="fetch")
        self._pool = fetching.make_pool(per_host=max(config.per_host, 1))
        self._fetch = fetch or self._http_fetch
        self._cond = threading.Condition()
        self._known: dict[str, str] = {}  # feed URL -> shard key, from start until taken
        self._pending: dict[str, int] = defaultdict(int)  # shard key -> fetches not yet completed
        self._done: dict[str, list[FetchResult]] = defaultdict(list)
        self._queues: dict[str, deque[_Job]] = {}  # host -> feeds waiting for it
        self._executing = 0
        self._closed = False
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="fetch-dispatch", daemon=True)
        self._dispatcher.start()

    def _http_fetch(self, feed: Feed, etag: str | None, last_modified: str | None, url: str | None) -> FetchResult:
        return fetching.fetch_feed(
            self._pool, feed, etag, last_modified, self.config.timeout_s, self.config.max_bytes, url=url
        )

    def start(
        self, key: str, feed: Feed, etag: str | None = None, last_modified: str | None = None, url: str | None = None
    ) -> str:
        """Queue ``feed`` for shard ``key``: ``STARTED``, ``IN_FLIGHT`` (already queued or running) or
        ``FULL`` (the process has as much queued as it may; ask again next tick)."""
        with self._cond:
            if feed.url in self._known:
                return IN_FLIGHT
            if len(self._known) >= self.config.capacity:
                return FULL
            self._known[feed.url] = key
            self._pending[key] += 1
            self._queues.setdefault(host_of(url or feed.url), deque()).append(_Job(key, feed, etag, last_modified, url))
            self._cond.notify_all()
        lifecycle.fetches_started()
        return STARTED

    def _dispatch_loop(self) -> None:
        with self._cond:
            while not self._closed:
                wake = self._dispatch_locked()
                # At least once a second: a drain that started elsewhere must empty the queues.
                timeout = 1.0 if wake is None else min(1.0, max(0.0, wake - time.monotonic()))
                self._cond.wait(timeout=timeout)

    def _drop_queued_locked(self) -> None:
        """Draining: feeds not started yet stay due for the next run instead of delaying the stop."""
        dropped = 0
        for queue in self._queues.values():
            for job in queue:
                self._known.pop(job.feed.url, None)
                self._pending[job.key] -= 1
                dropped += 1
        self._queues.clear()
        if dropped:
            lifecycle.fetches_finished(dropped)
            self._cond.notify_all()

    def _dispatch_locked(self) -> float | None:
        """Hand queued feeds to free threads; returns when a gap next opens (None: wait for news)."""
        if lifecycle.draining():
            self._drop_queued_locked()
            return None
        wake: float | None = None
        for host in list(self._queues):
            queue = self._queues[host]
            while queue and self._executing < self.config.workers:
                if not self.limiter.try_acquire(host):
                    ready = self.limiter.ready_at(host)
                    if ready is not None:  # waiting for the gap, not for a slot
                        wake = ready if wake is None else min(wake, ready)
                    break
                job = queue.popleft()
                self._executing += 1
                self._executor.submit(self._run, host, job)
            if not queue:
                del self._queues[host]
        return wake

    def _run(self, host: str, job: _Job) -> None:
        try:
            result = self._fetch(job.feed, job.etag, job.last_modified, job.url)
        except Exception as exc:  # fetch_feed does not raise; a bug in it must not lose the feed's turn
            result = FetchResult(feed=job.feed, outcome="connection_error", error=f"{type(exc).__name__}: {exc}")
        finally:
            self.limiter.release(host)
        with self._cond:
            self._executing -= 1
            self._done[job.key].append(result)
            self._pending[job.key] -= 1
            self._cond.notify_all()

    def wait(self, key: str, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for shard ``key``'s queued and running fetches to complete."""
        with self._cond:
            self._cond.wait_for(lambda: self._pending.get(key, 0) == 0, timeout=timeout_s)

    def take(self, key: str) -> list[FetchResult]:
        """The completed fetches of shard ``key`` not taken yet."""
        with self._cond:
            done = self._done.pop(key, [])
            for result in done:
                self._known.pop(result.feed.url, None)
            if not self._pending.get(key):
                self._pending.pop(key, None)
        if done:
            lifecycle.fetches_finished(len(done))
        return done

    def running(self) -> int:
        """Feeds queued or being fetched."""
        with self._cond:
            return len(self._known)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
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
