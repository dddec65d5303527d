"""PollFeeds: on every tick, fetch the feeds that are due (conditional GET, backoff).

Input: ``PBegin``. Output: ``FetchResult`` for feeds whose body changed since
the last poll. Side effects: HTTP requests; poll metrics. Per-feed validators
and backoff live in Beam state keyed by feed URL, so they follow the feed
when the runner moves work between workers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.pvalue import PBegin, PCollection
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec

from pipeline import metrics
from pipeline.model import Feed, FetchResult
from pipeline.sources import fetch as fetching
from pipeline.sources.schedule import PollState, after_poll, body_digest, is_due
from pipeline.transforms import beam_metrics

log = logging.getLogger(__name__)
MAX_TIMESTAMP_S = 2**62 / 1e6  # far future, well inside Beam's timestamp range


def count_poll(m: metrics.Metrics, outcome: str, feed: Feed) -> None:
    m.feed_polls.labels(outcome=outcome).inc()
    beam_metrics.inc(f"feed_polls_{outcome}")
    if outcome in ("ok", "unchanged", "not_modified"):
        m.last_success.labels(feed_group=feed.tags[0] if feed.tags else "default").set(time.time())


class FetchDueFeed(beam.DoFn):
    """Keyed by feed URL: poll when due, keep ETag/Last-Modified/backoff in state."""

    STATE = ReadModifyWriteStateSpec("poll_state", PickleCoder())

    def __init__(self, timeout_s: float = fetching.DEFAULT_TIMEOUT_S,
                 max_bytes: int = fetching.DEFAULT_MAX_BYTES) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes

    def setup(self) -> None:
        self.pool = fetching.make_pool()
        self.m = metrics.get()

    def process(self, element: tuple[str, Feed],
                state: Any = beam.DoFn.StateParam(STATE)) -> Iterator[FetchResult]:
        _, feed = element
        current: PollState = state.read() or PollState()
        now = time.time()
        if not is_due(current, now):
            return
        result = fetching.fetch_feed(self.pool, feed, current.etag, current.last_modified,
                                     self.timeout_s, self.max_bytes)
        self.m.fetch_duration.observe(result.duration_s)
        new_state = after_poll(current, result, feed.interval_s, time.time())
        if result.outcome == "ok" and result.body is not None:
            digest = body_digest(result.body)
            if digest == current.body_hash:
                # Servers without validators still cost no parse when nothing changed.
                count_poll(self.m, "unchanged", feed)
                state.write(new_state)
                return
            new_state = replace(new_state, body_hash=digest)
            state.write(new_state)
            yield result  # counted as ok/parse_error once parsed
            return
        state.write(new_state)
        count_poll(self.m, result.outcome, feed)
        if result.outcome != "not_modified":
            log.warning("feed poll failed: %s", result.error,
                        extra={"feed_url": feed.url, "outcome": result.outcome, "status": result.status,
                               "consecutive_failures": new_state.failures,
                               "retry_in_s": round(new_state.next_due - time.time(), 1)})

    def teardown(self) -> None:
        self.pool.clear()


class PollFeeds(beam.PTransform):
    """PBegin → FetchResult: PeriodicImpulse every ``tick_s``, each due feed fetched once."""

    def __init__(self, feeds: Sequence[Feed], tick_s: float = 5.0, stop_after_s: float | None = None,
                 timeout_s: float = fetching.DEFAULT_TIMEOUT_S, max_bytes: int = fetching.DEFAULT_MAX_BYTES) -> None:
        super().__init__()
        self.feeds = list(feeds)
        self.tick_s = tick_s
        self.stop_after_s = stop_after_s
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes

    def expand(self, pbegin: PBegin) -> PCollection:
        feeds = self.feeds
        start = time.time()
        stop = start + self.stop_after_s if self.stop_after_s else MAX_TIMESTAMP_S
        return (
            pbegin
            | "Tick" >> PeriodicImpulse(start_timestamp=start, stop_timestamp=stop, fire_interval=self.tick_s)
            | "AllFeeds" >> beam.FlatMap(lambda _tick: [(f.url, f) for f in feeds]).with_output_types(
                beam.typehints.KV[str, Feed])
            | "FetchDue" >> beam.ParDo(FetchDueFeed(self.timeout_s, self.max_bytes))
        )
