"""Telemetry: one call per pipeline event, feeding its Prometheus metric and its Beam counter.

The DoFns never touch metric objects themselves: each event (a feed polled,
a body parsed, articles deduplicated or classified, documents indexed, a
record dead-lettered, ...) is one method here, which updates the metric of
:mod:`pipeline.telemetry.metrics` and, for counters, the Beam counter named after it
(:func:`pipeline.telemetry.metrics.beam_name`). Histograms and gauges are Prometheus
only (Beam's are integer-valued and no runner UI needs them).

Injectable: a DoFn takes a :data:`TelemetryFactory` (default
:func:`process_telemetry`, the process's registry) and calls it in
``setup`` (metric objects hold locks: they are made where they are used,
never pickled); tests pass a module-level function returning a
``Telemetry`` on a fresh ``CollectorRegistry``. With ``PROMETHEUS_MULTIPROC_DIR``
set (worker processes) the metrics write to that directory as before: the
facade only calls prometheus_client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import Counter

from pipeline.core.model import Feed
from pipeline.core.topics import UNTAGGED
from pipeline.telemetry import metrics
from pipeline.transforms import beam_metrics

__all__ = ["SUCCESSFUL_POLLS", "Telemetry", "TelemetryFactory", "process_telemetry"]

SUCCESSFUL_POLLS = ("ok", "unchanged", "not_modified")


class Telemetry:
    """The events the pipeline counts, on one :class:`pipeline.telemetry.metrics.Metrics` (and Beam)."""

    def __init__(self, m: metrics.Metrics | None = None) -> None:
        self.m = m if m is not None else metrics.get()
        # (metric, labels) → (Prometheus child, Beam counter): looked up once, not per event.
        self._series: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[Any, Any]] = {}

    def _count(self, family: Counter, metric: str, n: int = 1, **labels: str) -> None:
        key = (metric, tuple(labels.items()))
        series = self._series.get(key)
        if series is None:
            child = family.labels(**labels) if labels else family
            series = self._series[key] = (child, beam_metrics.counter(metric, **labels))
        series[0].inc(n)
        series[1].inc(n)

    # -- polling and parsing ------------------------------------------------
    def polled(self, feed: Feed, outcome: str) -> None:
        """One poll of ``feed`` ended with ``outcome`` (:data:`pipeline.telemetry.metrics.POLL_OUTCOMES`)."""
        self._count(self.m.feed_polls, metrics.FEED_POLLS, outcome=outcome)
        if outcome in SUCCESSFUL_POLLS:
            self.m.last_success.labels(feed_group=feed.tags[0] if feed.tags else "default").set(time.time())

    def fetched(self, seconds: float) -> None:
        self.m.fetch_duration.observe(seconds)

    def parsed(self, parser: str | None, fallback: str | None, entries: int) -> None:
        """A feed document was parsed (``parser`` None: it was unusable) and had ``entries`` entries."""
        self._count(self.m.feeds_parsed, metrics.FEEDS_PARSED, parser=parser or "none", fallback=fallback or "none")
        self._count(self.m.entries_parsed, metrics.ENTRIES_PARSED, entries)

    def unread(self, reason: str) -> None:
        """A backfill could not read a file or fetch a URL (``reason``: ``unreadable`` or the fetch outcome)."""
        self._count(self.m.feeds_unread, metrics.FEEDS_UNREAD, reason=reason)

    def rejected(self, reason: str, n: int = 1) -> None:
        """Entries (or a whole document) rejected while parsing."""
        self._count(self.m.entry_failures, metrics.ENTRY_FAILURES, n, reason=reason)

    # -- articles -----------------------------------------------------------
    def deduplicated(self, n: int) -> None:
        """``n`` articles dropped as already seen."""
        self._count(self.m.duplicates, metrics.ARTICLES_DUPLICATE, n)

    def classified(self, relevant: bool, n: int = 1) -> None:
        self._count(self.m.classified, metrics.ARTICLES_CLASSIFIED, n, relevant=str(relevant).lower())

    def relevant(self, topics: Iterable[str]) -> None:
        """One relevant article, counted once under each of its topics (``none`` when untagged)."""
        for topic in tuple(topics) or (UNTAGGED,):
            self._count(self.m.relevant, metrics.RELEVANT_ARTICLES, topic=topic)

    def story(self, outcome: str, n: int = 1) -> None:
        """Articles put in a story (``outcome``: :data:`pipeline.telemetry.metrics.STORY_OUTCOMES`)."""
        self._count(self.m.stories, metrics.STORY_ASSIGNMENTS, n, outcome=outcome)

    # -- writing ------------------------------------------------------------
    def indexed(self, created: int, existing: int, seconds: float) -> None:
        """One bulk write: documents created, already there, and how long it took."""
        self.m.index_duration.observe(seconds)
        self._count(self.m.indexed, metrics.DOCUMENTS_INDEXED, created, result="created")
        self._count(self.m.indexed, metrics.DOCUMENTS_INDEXED, existing, result="exists")

    def latency(self, since: str, seconds: float) -> None:
        """End-to-end latency of one indexed article, ``since`` ``seen`` or ``published``."""
        self.m.e2e_latency.labels(since=since).observe(max(0.0, seconds))

    def index_failed(self, reason: str) -> None:
        """The engine refused one document for good."""
        self._count(self.m.index_errors, metrics.INDEX_ERRORS, reason=reason)

    def dead_lettered(self, stage: str, n: int = 1) -> None:
        self._count(self.m.deadletters, metrics.DEADLETTERS, n, stage=stage)

    # -- alerting -----------------------------------------------------------
    def window_judged(self, topic: str, ratio: float | None, stories: int) -> None:
        """A topic's window was judged: its ratio to the baseline (None: no baseline yet) and stories."""
        if ratio is not None:
            self.m.spike_ratio.labels(topic=topic).set(ratio)
        self.m.spike_stories.labels(topic=topic).set(stories)


TelemetryFactory = Callable[[], Telemetry]

_process: Telemetry | None = None
_lock = threading.Lock()


def process_telemetry() -> Telemetry:
    """The process's telemetry, on the default registry (:func:`pipeline.telemetry.metrics.get`)."""
    global _process  # noqa: PLW0603 - one per process, like the registry it counts on
    with _lock:
        if _process is None:
            _process = Telemetry(metrics.get())
        return _process
