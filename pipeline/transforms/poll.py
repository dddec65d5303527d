"""PollFeeds: on every tick, fetch the feeds that are due (conditional GET, backoff).

Input: ``PBegin``. Output: ``FetchResult`` for feeds whose body changed since
the last poll. Side effects: HTTP requests; poll metrics. Per-feed validators
and backoff live in Beam state keyed by a stable shard of the feed URL, so they follow the feed
when the runner moves work between workers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.pvalue import PBegin, PCollection
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec

from pipeline import lifecycle, metrics
from pipeline.model import Feed, FetchResult
from pipeline.sources import fetch as fetching
from pipeline.sources.schedule import PollState, is_due, plan_shards, settle_poll
from pipeline.transforms import beam_metrics

log = logging.getLogger(__name__)
MAX_TIMESTAMP_S = 2**62 / 1e6  # far future, well inside Beam's timestamp range


def count_poll(m: metrics.Metrics, outcome: str, feed: Feed) -> None:
    m.feed_polls.labels(outcome=outcome).inc()
    beam_metrics.inc(f"feed_polls_{outcome}")
    if outcome in ("ok", "unchanged", "not_modified"):
        m.last_success.labels(feed_group=feed.tags[0] if feed.tags else "default").set(time.time())


class FetchDueFeeds(beam.DoFn):
    """Keyed by shard: fetch the shard's due feeds concurrently, keep each feed's validators in state.

    State is one dict per shard (feed URL → PollState), so a shard's feeds are
    fetched together by a thread pool of ``concurrency`` connections while the
    runner spreads shards over workers. Entries of feeds no longer configured
    are dropped.
    """

    STATE = ReadModifyWriteStateSpec("poll_states", PickleCoder())

    def __init__(self, timeout_s: float = fetching.DEFAULT_TIMEOUT_S,
                 max_bytes: int = fetching.DEFAULT_MAX_BYTES, concurrency: int = 16) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.concurrency = concurrency

    def setup(self) -> None:
        self.pool = fetching.make_pool(maxsize=self.concurrency)
        self.executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="fetch")
        self.m = metrics.get()

    def _fetch(self, feed: Feed, state: PollState) -> FetchResult:
        return fetching.fetch_feed(self.pool, feed, state.etag, state.last_modified, self.timeout_s, self.max_bytes)

    def process(self, element: tuple[str, tuple[Feed, ...]],
                state: Any = beam.DoFn.StateParam(STATE)) -> Iterator[FetchResult]:
        shard, feeds = element
        lifecycle.tick_completed(shard)
        if lifecycle.draining():
            return
        stored: dict[str, PollState] = state.read() or {}
        current = {f.url: stored.get(f.url, PollState()) for f in feeds}
        now = time.time()
        due = [f for f in feeds if is_due(current[f.url], now)]
        if not due:
            if len(stored) != len(current):
                state.write(current)
            return
        for feed, result in zip(due, self.executor.map(lambda f: self._fetch(f, current[f.url]), due), strict=True):
            self.m.fetch_duration.observe(result.duration_s)
            new_state, outcome, parse = settle_poll(current[feed.url], result, feed.interval_s, time.time())
            current[feed.url] = new_state
            if parse:
                yield result  # counted as ok/parse_error once parsed
                continue
            count_poll(self.m, outcome, feed)
            if outcome not in ("not_modified", "unchanged"):
                log.warning("feed poll failed: %s", result.error,
                            extra={"feed_url": feed.url, "outcome": outcome, "status": result.status,
                                   "consecutive_failures": new_state.failures,
                                   "retry_in_s": round(new_state.next_due - time.time(), 1)})
        state.write(current)

    def teardown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.pool.clear()


class PollFeeds(beam.PTransform):
    """PBegin → FetchResult: PeriodicImpulse every ``tick_s``; each shard of feeds fetches its due feeds."""

    def __init__(self, feeds: Sequence[Feed], tick_s: float = 5.0, stop_after_s: float | None = None,
                 timeout_s: float = fetching.DEFAULT_TIMEOUT_S, max_bytes: int = fetching.DEFAULT_MAX_BYTES,
                 concurrency: int = 16, shards: int | None = None) -> None:
        super().__init__()
        self.feeds = list(feeds)
        self.tick_s = tick_s
        self.stop_after_s = stop_after_s
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.concurrency = concurrency
        # Enough shards to spread over a cluster's workers, few enough that each holds many feeds.
        self.shards = shards or max(1, min(64, len(self.feeds) // 50 or 1))

    def expand(self, pbegin: PBegin) -> PCollection:
        plan = plan_shards(self.feeds, self.shards)
        start = time.time()
        stop = start + self.stop_after_s if self.stop_after_s else MAX_TIMESTAMP_S
        return (
            pbegin
            | "Tick" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop, fire_interval=self.tick_s)
            | "AllShards" >> beam.FlatMap(lambda _tick: plan).with_output_types(
                beam.typehints.KV[str, tuple[Feed, ...]])
            | "FetchDue" >> beam.ParDo(FetchDueFeeds(self.timeout_s, self.max_bytes, self.concurrency))
        )
