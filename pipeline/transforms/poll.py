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
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.pvalue import PBegin, PCollection
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec

from pipeline import lifecycle, metrics
from pipeline.model import Feed, FetchResult
from pipeline.sources import fetch as fetching
from pipeline.sources import fetcher as fetcher_mod
from pipeline.sources.fetcher import FetcherConfig
from pipeline.sources.schedule import DEFAULT_MAX_STRETCH, PollState, due_feeds, plan_shards, settle_poll
from pipeline.transforms import beam_metrics

log = logging.getLogger(__name__)
MAX_TIMESTAMP_S = 2**62 / 1e6  # far future, well inside Beam's timestamp range


def count_poll(m: metrics.Metrics, outcome: str, feed: Feed) -> None:
    m.feed_polls.labels(outcome=outcome).inc()
    beam_metrics.inc(f"feed_polls_{outcome}")
    if outcome in ("ok", "unchanged", "not_modified"):
        m.last_success.labels(feed_group=feed.tags[0] if feed.tags else "default").set(time.time())


class FetchDueFeeds(beam.DoFn):
    """Keyed by shard: start the shard's due fetches, emit the completed ones, keep each feed's state.

    State is one dict per shard (feed URL → PollState). A tick never waits for
    a slow feed: it starts what capacity allows (:mod:`pipeline.sources.fetcher`),
    waits at most ``collect_wait_s`` for quick answers, and emits whatever has
    completed since the last tick. Entries of feeds no longer configured are dropped.
    """

    STATE = ReadModifyWriteStateSpec("poll_states", PickleCoder())

    def __init__(self, fetcher: FetcherConfig, collect_wait_s: float = 1.0,
                 max_stretch: float = DEFAULT_MAX_STRETCH) -> None:
        self.fetcher_config = fetcher
        self.collect_wait_s = collect_wait_s
        self.max_stretch = max_stretch

    def setup(self) -> None:
        self.fetcher = fetcher_mod.shared(self.fetcher_config)
        self.m = metrics.get()

    def process(self, element: tuple[str, tuple[Feed, ...]],
                state: Any = beam.DoFn.StateParam(STATE)) -> Iterator[FetchResult]:
        shard, feeds = element
        try:
            yield from self._tick(shard, feeds, state)
        finally:
            lifecycle.tick_completed(shard)

    def _tick(self, shard: str, feeds: tuple[Feed, ...], state: Any) -> Iterator[FetchResult]:
        stored: dict[str, PollState] = state.read() or {}
        current = {f.url: stored.get(f.url, PollState()) for f in feeds}
        by_url = {f.url: f for f in feeds}
        dirty = len(stored) != len(current)
        if not lifecycle.draining():
            for feed in due_feeds(feeds, current, time.time()):
                st = current[feed.url]
                if self.fetcher.start(shard, feed, st.etag, st.last_modified, st.url) == fetcher_mod.FULL:
                    break  # the rest stay due: the next tick starts them
            self.fetcher.wait(shard, self.collect_wait_s)
        for result in self.fetcher.take(shard):
            configured = by_url.get(result.feed.url)
            if configured is None:
                continue  # removed from the configuration while it was being fetched
            feed = configured
            self.m.fetch_duration.observe(result.duration_s)
            before = current[feed.url]
            new_state, outcome, parse = settle_poll(before, result, feed.interval_s, time.time(),
                                                    max_stretch=self.max_stretch)
            current[feed.url] = new_state
            dirty = True
            _log_changes(feed, before, new_state, result)
            if parse:
                lifecycle.touch()
                yield result  # counted as ok/parse_error once parsed
                continue
            count_poll(self.m, outcome, feed)
            if outcome not in ("not_modified", "unchanged", "gone"):
                log.warning("feed poll failed: %s", result.error,
                            extra={"feed_url": feed.url, "outcome": outcome, "status": result.status,
                                   "consecutive_failures": new_state.failures,
                                   "retry_in_s": round(new_state.next_due - time.time(), 1)})
        if dirty:
            state.write(current)


def _log_changes(feed: Feed, before: PollState, after: PollState, result: FetchResult) -> None:
    """The poll results an operator must hear about once, not on every poll."""
    if after.gone and not before.gone:
        log.warning("feed is gone (HTTP 410): asking again once a day", extra={"feed_url": feed.url})
    elif before.gone and not after.gone:
        log.info("feed is back after having been gone", extra={"feed_url": feed.url})
    if after.url and after.url != before.url:
        log.info("feed moved permanently: fetching it from its new address from now on",
                 extra={"feed_url": feed.url, "new_url": after.url, "status": result.status})


class PollFeeds(beam.PTransform):
    """PBegin → FetchResult (changed bodies only): a PeriodicImpulse every ``tick_s``; each shard of
    feeds starts its due fetches and emits the completed ones. Side effects: HTTP requests, poll metrics."""

    def __init__(self, feeds: Sequence[Feed], tick_s: float = 5.0, stop_after_s: float | None = None,
                 timeout_s: float = fetching.DEFAULT_TIMEOUT_S, max_bytes: int = fetching.DEFAULT_MAX_BYTES,
                 concurrency: int = 64, shards: int | None = None, per_host: int = 2, host_gap_s: float = 0.5,
                 max_stretch: float = DEFAULT_MAX_STRETCH) -> None:
        super().__init__()
        self.feeds = list(feeds)
        self.tick_s = tick_s
        self.stop_after_s = stop_after_s
        self.fetcher = FetcherConfig(workers=concurrency, per_host=per_host, host_gap_s=host_gap_s,
                                     timeout_s=timeout_s, max_bytes=max_bytes)
        self.max_stretch = max_stretch
        # Enough shards to spread over a cluster's workers, few enough that each holds many feeds.
        self.shards = shards or max(1, min(64, len(self.feeds) // 50 or 1))

    def expand(self, pbegin: PBegin) -> PCollection:
        plan = plan_shards(self.feeds, self.shards)
        start = time.time()
        stop = start + self.stop_after_s if self.stop_after_s else MAX_TIMESTAMP_S
        # Quick answers go out in the tick that asked; slower ones with the next tick.
        collect_wait_s = min(1.0, self.tick_s / 2)
        return (
            pbegin
            | "Tick" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop, fire_interval=self.tick_s)
            | "AllShards" >> beam.FlatMap(lambda _tick: plan).with_output_types(
                beam.typehints.KV[str, tuple[Feed, ...]])
            | "FetchDue" >> beam.ParDo(FetchDueFeeds(self.fetcher, collect_wait_s, self.max_stretch))
        )
