"""Fetcher scheduling with an injected fetch function: per-host caps, gaps, queues, draining."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest

from pipeline.core.model import Feed, FetchResult
from pipeline.sources.fetcher import IN_FLIGHT, STARTED, Fetcher, FetcherConfig
from pipeline.telemetry import lifecycle


class Recorder:
    """A fetch function that records concurrency per host and blocks until released."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.starts: list[tuple[float, str]] = []
        self.release = threading.Event()

    def __call__(self, feed: Feed, etag: str | None, lm: str | None, url: str | None) -> FetchResult:
        host = feed.url.split("/")[2]
        with self.lock:
            self.active[host] = self.active.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), self.active[host])
            self.starts.append((time.monotonic(), host))
        self.release.wait(10)
        with self.lock:
            self.active[host] -= 1
        return FetchResult(feed=feed, outcome="not_modified")


@pytest.fixture(autouse=True)
def fresh_lifecycle() -> Iterator[None]:
    lifecycle.reset()
    yield
    lifecycle.reset()


def _feeds(host: str, n: int) -> list[Feed]:
    return [Feed(url=f"http://{host}/f{i}", name=str(i)) for i in range(n)]


def test_a_busy_host_queues_its_feeds_while_other_hosts_go_on() -> None:
    rec = Recorder()
    fetcher = Fetcher(FetcherConfig(workers=8, per_host=2, host_gap_s=0.0), fetch=rec)
    try:
        for f in _feeds("a.example", 6) + _feeds("b.example", 2):
            assert fetcher.start("s", f) == STARTED
        assert fetcher.start("s", _feeds("a.example", 1)[0]) == IN_FLIGHT
        deadline = time.monotonic() + 5
        while len(rec.starts) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert rec.peak == {"a.example": 2, "b.example": 2}
        rec.release.set()
        fetcher.wait("s", 10)
        assert len(fetcher.take("s")) == 8
        assert rec.peak["a.example"] == 2  # never more than the cap, even while its queue drained
        assert lifecycle.fetches_in_flight() == 0
    finally:
        rec.release.set()
        fetcher.close()


def test_requests_to_one_host_start_at_least_the_gap_apart() -> None:
    rec = Recorder()
    rec.release.set()
    fetcher = Fetcher(FetcherConfig(workers=4, per_host=4, host_gap_s=0.2), fetch=rec)
    try:
        for f in _feeds("a.example", 4):
            fetcher.start("s", f)
        fetcher.wait("s", 10)
        times = sorted(t for t, _ in rec.starts)
        assert len(times) == 4
        assert min(b - a for a, b in itertools.pairwise(times)) >= 0.19
    finally:
        fetcher.close()


def test_draining_drops_what_has_not_started() -> None:
    rec = Recorder()
    fetcher = Fetcher(FetcherConfig(workers=1, per_host=1, host_gap_s=0.0), fetch=rec)
    try:
        for f in _feeds("a.example", 5):
            fetcher.start("s", f)
        deadline = time.monotonic() + 5
        while not rec.starts and time.monotonic() < deadline:
            time.sleep(0.01)
        lifecycle.start_draining()
        while fetcher.running() > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fetcher.running() == 1  # only the one already being fetched
        rec.release.set()
        fetcher.wait("s", 10)
        assert len(fetcher.take("s")) == 1
        assert lifecycle.fetches_in_flight() == 0
    finally:
        rec.release.set()
        fetcher.close()
