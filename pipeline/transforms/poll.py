"""PollFeeds: on every tick, fetch the feeds that are due and pass on their new entries.

Input: ``PBegin``. Output: one ``FeedBatch`` per changed feed body (its entries
not seen before) and ``Failure`` records on the ``failures`` tag. Side
effects: HTTP requests; poll metrics; feed state in the search engine. Per-feed
state lives in Beam state keyed by a stable shard of the feed URL (so it
follows the feed when the runner moves work) and in the engine (so it
survives restarts).

The tick source depends on the runner. Everywhere but Flink it is Beam's
``PeriodicImpulse``, a splittable DoFn that defers its remainder once per tick.
Not on FlinkRunner: the portable Flink runner keeps every self-checkpoint
residual of a Python SDF in keyed state and never clears it (apache/beam issue
27648; present in the 2.62.0 job server used here, measured at ~4 KB of
checkpoint per tick — see deploy/FLINK_DATAFLOW.md). There the tick is Java's
``GenerateSequence`` run natively by the Flink runner (see ``FlinkTicks``):
its checkpoint is its position, and its watermark follows the clock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.pvalue import PBegin
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec
from apache_beam.transforms.window import TimestampedValue

from pipeline import config, lifecycle, metrics
from pipeline.config import load_feeds
from pipeline.errors import ConfigError, SearchError
from pipeline.model import Article, Failure, Feed, FeedBatch, FeedCommit, FetchResult
from pipeline.sinks.feedstate import FeedStateStore, feeds_index
from pipeline.sources import fetch as fetching
from pipeline.sources import fetcher as fetcher_mod
from pipeline.sources.fetcher import FetcherConfig
from pipeline.sources.parse import ParsedFeed, parse_feed
from pipeline.sources.schedule import (
    DEFAULT_MAX_STRETCH,
    PollState,
    due_feeds,
    plan_shards,
    remember_seen,
    settle_poll,
)
from pipeline.transforms import beam_metrics
from pipeline.transforms.secrets import public_settings, with_secrets

log = logging.getLogger(__name__)
FAILURES = "failures"  # tag of the dead-letter side output
MAX_TIMESTAMP_S = 2**62 / 1e6  # far future, well inside Beam's timestamp range


def count_poll(m: metrics.Metrics, outcome: str, feed: Feed) -> None:
    m.feed_polls.labels(outcome=outcome).inc()
    beam_metrics.inc(f"feed_polls_{outcome}")
    if outcome in ("ok", "unchanged", "not_modified"):
        m.last_success.labels(feed_group=feed.tags[0] if feed.tags else "default").set(time.time())


class FetchDueFeeds(beam.DoFn):
    """Keyed by shard: start the shard's due fetches; parse the completed ones; emit their new entries.

    State is one dict per shard (feed URL → PollState). A tick never waits for
    a slow feed: it starts what capacity allows (:mod:`pipeline.sources.fetcher`),
    waits at most ``collect_wait_s`` for quick answers, and handles whatever has
    completed since the last tick. A changed body is parsed here and only the
    entries this feed has not shown before go on, as one :class:`FeedBatch`
    (no per-article state that grows with history).

    With ``search`` set, state also lives in the engine (:mod:`pipeline.sinks.feedstate`):
    feeds missing from runner state (a restart, a new feed) are loaded from it,
    and schedules are written back after each tick, so a restart is warm.
    """

    STATE = ReadModifyWriteStateSpec("poll_states", PickleCoder())

    def __init__(self, fetcher: FetcherConfig, collect_wait_s: float = 1.0,
                 max_stretch: float = DEFAULT_MAX_STRETCH, search: config.SearchSettings | None = None) -> None:
        self.fetcher_config = fetcher
        self.collect_wait_s = collect_wait_s
        self.max_stretch = max_stretch
        self.search = public_settings(search) if search else None

    def setup(self) -> None:
        self.fetcher = fetcher_mod.shared(self.fetcher_config)
        self.m = metrics.get()
        self.store: FeedStateStore | None = None
        if self.search is not None:
            from pipeline.sinks.search import SearchWriter

            self.store = FeedStateStore(SearchWriter(with_secrets(self.search), max_attempts=3),
                                        feeds_index(self.search.index))
        self.unsaved: dict[str, dict[str, tuple[Feed, PollState]]] = {}

    def process(self, element: tuple[str, tuple[Feed, ...]],
                state: Any = beam.DoFn.StateParam(STATE)) -> Iterator[Any]:
        shard, feeds = element
        try:
            yield from self._tick(shard, feeds, state)
        finally:
            lifecycle.tick_completed(shard)

    def _restore(self, shard: str, urls: list[str]) -> dict[str, PollState]:
        if self.store is None or not urls:
            return {}
        try:
            restored = self.store.load(urls)
        except SearchError as exc:  # the engine is down: poll as new feeds; create-only writes stay exact
            log.warning("feed state not loaded (%s); polling %d feed(s) from scratch", exc, len(urls),
                        extra={"shard": shard})
            return {}
        if restored:
            log.info("restored the state of %d feed(s) from the search engine", len(restored),
                     extra={"shard": shard})
        return restored

    def _tick(self, shard: str, feeds: tuple[Feed, ...], state: Any) -> Iterator[Any]:
        stored: dict[str, PollState] = state.read() or {}
        missing = [f.url for f in feeds if f.url not in stored]
        restored = self._restore(shard, missing)
        current = {f.url: stored.get(f.url) or restored.get(f.url) or PollState() for f in feeds}
        by_url = {f.url: f for f in feeds}
        dirty = len(stored) != len(current) or bool(missing)
        if not lifecycle.draining():
            for feed in due_feeds(feeds, current, time.time()):
                st = current[feed.url]
                if self.fetcher.start(shard, feed, st.etag, st.last_modified, st.url) == fetcher_mod.FULL:
                    break  # the rest stay due: the next tick starts them
            self.fetcher.wait(shard, self.collect_wait_s)
        polled: dict[str, tuple[Feed, PollState]] = self.unsaved.pop(shard, {})
        for result in self.fetcher.take(shard):
            configured = by_url.get(result.feed.url)
            if configured is None:
                continue  # removed from the configuration while it was being fetched
            feed = configured
            self.m.fetch_duration.observe(result.duration_s)
            before = current[feed.url]
            new_state, outcome, parse = settle_poll(before, result, feed.interval_s, time.time(),
                                                    max_stretch=self.max_stretch)
            _log_changes(feed, before, new_state, result)
            if parse:
                lifecycle.touch()
                new_state, batch, failures = parse_new_entries(feed, result, new_state, self.m)
                for failure in failures:
                    yield beam.pvalue.TaggedOutput(FAILURES, failure)
                yield batch
            else:
                count_poll(self.m, outcome, feed)
                if outcome not in ("not_modified", "unchanged", "gone"):
                    log.warning("feed poll failed: %s", result.error,
                                extra={"feed_url": feed.url, "outcome": outcome, "status": result.status,
                                       "consecutive_failures": new_state.failures,
                                       "retry_in_s": round(new_state.next_due - time.time(), 1)})
            current[feed.url] = new_state
            polled[feed.url] = (feed, new_state)
            dirty = True
        if dirty:
            state.write(current)
        self._save(shard, polled)

    def _save(self, shard: str, polled: dict[str, tuple[Feed, PollState]]) -> None:
        if self.store is None or not polled:
            return
        try:
            if self.store.save_schedules(list(polled.values()), time.time()) == 0:
                return
        except SearchError as exc:
            log.warning("feed schedules not saved (%s); trying again next tick", exc, extra={"shard": shard})
        self.unsaved[shard] = polled  # the latest state of each feed, written with the next tick's


def parse_counted(feed: Feed, result: FetchResult, m: metrics.Metrics) -> tuple[ParsedFeed, list[Failure]]:
    """Parse a fetched body and count what happened (poll outcome, entries, failures, parser used);
    returns the parse and the dead-letter records (the whole document's first, when it is unusable)."""
    parsed = parse_feed(result.body or b"", feed, dict(result.headers))
    beam_metrics.inc("feeds_read")
    m.feeds_parsed.labels(parser=parsed.parser or "none", fallback=parsed.fallback or "none").inc()
    failures = list(parsed.failures)
    if parsed.error:
        reason = parsed.reason or "parse_error"
        count_poll(m, reason, feed)
        beam_metrics.inc(f"failure_{reason}")
        m.entry_failures.labels(reason=reason).inc()
        log.warning("feed unusable: %s", parsed.error, extra={"feed_url": feed.url, "reason": reason})
        failures.insert(0, Failure("parse", reason, parsed.error, feed.url,
                                   (result.body or b"")[:2000].decode("utf-8", "replace")))
    else:
        count_poll(m, "ok", feed)
    m.entries_parsed.inc(parsed.entries)
    beam_metrics.inc("entries_parsed", parsed.entries)
    for failure in parsed.failures:
        m.entry_failures.labels(reason=failure.reason).inc()
        beam_metrics.inc(f"failure_{failure.reason}")
    if parsed.failures:
        log.info("feed had %d unusable entries", len(parsed.failures),
                 extra={"feed_url": feed.url, "reasons": sorted({f.reason for f in parsed.failures})})
    return parsed, failures


def parse_new_entries(feed: Feed, result: FetchResult, state: PollState, m: metrics.Metrics
                      ) -> tuple[PollState, FeedBatch, list[Failure]]:
    """Parse a changed body; keep the entries the feed has not shown before; count what happened."""
    parsed, failures = parse_counted(feed, result, m)
    seen = set(state.seen_ids)
    fresh: dict[str, Article] = {}
    for article in parsed.articles:
        if article.article_id not in seen and article.article_id not in fresh:
            fresh[article.article_id] = article
    skipped = len(parsed.articles) - len(fresh)
    if skipped:
        m.duplicates.inc(skipped)
        beam_metrics.inc("articles_duplicate", skipped)
    beam_metrics.inc("articles_unique", len(fresh))
    seen_ids = remember_seen(state.seen_ids, [a.article_id for a in parsed.articles])
    new_state = replace(state, seen_ids=seen_ids)
    commit = FeedCommit(feed.url, new_state.etag, new_state.last_modified, new_state.body_hash, seen_ids)
    return new_state, FeedBatch(feed, tuple(fresh.values()), commit, fetched_at=result.fetched_at), failures


def _log_changes(feed: Feed, before: PollState, after: PollState, result: FetchResult) -> None:
    """The poll results an operator must hear about once, not on every poll."""
    if after.gone and not before.gone:
        log.warning("feed is gone (HTTP 410): asking again once a day", extra={"feed_url": feed.url})
    elif before.gone and not after.gone:
        log.info("feed is back after having been gone", extra={"feed_url": feed.url})
    if after.url and after.url != before.url:
        log.info("feed moved permanently: fetching it from its new address from now on",
                 extra={"feed_url": feed.url, "new_url": after.url, "status": result.status})


class PlanShards(beam.DoFn):
    """Tick → (shard key, feeds): the configured feeds in shards, re-read from ``config_path`` when it changes.

    Edits to feeds.yaml (added, removed, changed feeds) take effect on the next
    tick; an invalid edit is reported once and the last good list stays in use.
    The number of shards is fixed when the job starts.
    """

    def __init__(self, feeds: Sequence[Feed], shards: int, config_path: str | None = None) -> None:
        self.feeds = list(feeds)
        self.shards = shards
        self.config_path = config_path

    def setup(self) -> None:
        self.plan = plan_shards(self.feeds, self.shards)
        self.mtime: float | None = None
        if self.config_path:
            with contextlib.suppress(OSError):
                self.mtime = os.stat(self.config_path).st_mtime

    def _reload(self) -> None:
        assert self.config_path is not None
        try:
            mtime = os.stat(self.config_path).st_mtime
        except OSError as exc:
            if self.mtime is not None:
                log.error("feeds file unreadable (%s); polling the last good list", exc,
                          extra={"config": self.config_path})
            self.mtime = None
            return
        if mtime == self.mtime:
            return
        self.mtime = mtime
        try:
            feeds = load_feeds(self.config_path)
        except ConfigError as exc:
            log.error("feeds file not reloaded: %s; polling the last good list", exc,
                      extra={"config": self.config_path})
            return
        old = {f.url for f in self.feeds}
        new = {f.url for f in feeds}
        self.feeds, self.plan = feeds, plan_shards(feeds, self.shards)
        log.info("feeds file reloaded: %d feed(s), %d added, %d removed", len(feeds), len(new - old),
                 len(old - new), extra={"config": self.config_path})

    def process(self, _tick: Any) -> Iterator[tuple[str, tuple[Feed, ...]]]:
        if self.config_path:
            self._reload()
        yield from self.plan


def on_flink(pipeline: beam.Pipeline) -> bool:
    """Whether ``pipeline`` runs on Beam's (portable) FlinkRunner."""
    from apache_beam.runners.portability.flink_runner import FlinkRunner

    return isinstance(pipeline.runner, FlinkRunner)


def impulse_count(tick_s: float, stop_after_s: float | None) -> int:
    """Ticks the Flink impulse emits before it ends (0: it never ends)."""
    return max(1, int(stop_after_s // tick_s) + 1) if stop_after_s else 0


GENERATE_SEQUENCE_URN = "beam:external:java:generate_sequence:v1"
EXPANSION_JAR_ENV = "NEWSMON_FLINK_EXPANSION_JAR"
# Where deploy/local/install.sh writes the expansion-service launcher, relative to the job server jar.
EXPANSION_JAR_FROM_JOB_SERVER = os.path.join("..", "flink-expansion", "flink-expansion-service.jar")


def expansion_jar(pipeline: beam.Pipeline, environ: dict[str, str] | None = None) -> str | None:
    """The Java expansion-service launcher for the Flink tick: $NEWSMON_FLINK_EXPANSION_JAR, else the one
    deploy/local/install.sh writes beside ``--flink_job_server_jar``'s directory; None when there is none."""
    env = os.environ if environ is None else environ
    if env.get(EXPANSION_JAR_ENV):
        return env[EXPANSION_JAR_ENV]
    from apache_beam.options.pipeline_options import FlinkRunnerOptions

    server_jar = pipeline.options.view_as(FlinkRunnerOptions).flink_job_server_jar if pipeline.options else None
    if server_jar:
        candidate = os.path.normpath(os.path.join(os.path.dirname(server_jar), EXPANSION_JAR_FROM_JOB_SERVER))
        if os.path.isfile(candidate):
            return candidate
    return None


class StampNow(beam.DoFn):
    """A tick (a Flink impulse record, or a sequence number) → the wall-clock time, at that time."""

    def process(self, _tick: Any) -> Iterator[TimestampedValue]:
        now = time.time()
        yield TimestampedValue(now, now)


class FlinkTicks(beam.PTransform):
    """PBegin → one wall-clock timestamp every ``tick_s`` on FlinkRunner.

    With a Java expansion service (``expansion_jar``): Java's unbounded
    ``GenerateSequence`` at one element per tick, expanded as a primitive Read
    (``use_deprecated_read``), which the Flink runner runs natively in its
    ``UnboundedSourceWrapper``: it checkpoints only its position and emits
    watermarks (element timestamps are the time of generation), so event time
    advances. Without one (or for a bounded run): Flink's streaming impulse,
    which checkpoints nothing but emits no watermark."""

    def __init__(self, tick_s: float, count: int = 0, jar: str | None = None) -> None:
        super().__init__()
        self.tick_s, self.count, self.jar = tick_s, count, jar

    def expand(self, pbegin: PBegin) -> Any:
        from apache_beam.io.flink.flink_streaming_impulse_source import FlinkStreamingImpulseSource

        if self.jar and not self.count:
            from apache_beam.transforms.external import (
                ExternalTransform,
                ImplicitSchemaPayloadBuilder,
                JavaJarExpansionService,
            )

            service = JavaJarExpansionService(self.jar, append_args=["--experiments=use_deprecated_read"])
            payload = ImplicitSchemaPayloadBuilder(
                {"start": 0, "period": max(1, round(self.tick_s * 1000)), "elements_per_period": 1})
            return (pbegin
                    | "Sequence" >> ExternalTransform(GENERATE_SEQUENCE_URN, payload, service)
                    | "Stamp" >> beam.ParDo(StampNow()))
        if self.jar is None:
            log.warning("no Java expansion service for the Flink tick (%s, or %s from the job server jar): "
                        "ticking from Flink's streaming impulse, which gives no event-time watermark — "
                        "spike windows will not close", EXPANSION_JAR_ENV, EXPANSION_JAR_FROM_JOB_SERVER)

        source = FlinkStreamingImpulseSource()
        source.config = {}  # the class keeps its config in a class attribute shared by all instances
        source.set_interval_ms(max(1, round(self.tick_s * 1000))).set_message_count(self.count)
        return pbegin | "Impulse" >> source | "Stamp" >> beam.ParDo(StampNow())


class PollFeeds(beam.PTransform):
    """PBegin → FeedBatch (new entries of changed feeds), plus Failure on the ``failures`` tag.

    A tick every ``tick_s`` (PeriodicImpulse; Java's GenerateSequence on
    FlinkRunner, see the module docstring); each shard of feeds starts its due
    fetches and handles the completed ones. Side effects: HTTP requests, poll
    metrics, feed state in the engine when ``search`` is set."""

    def __init__(self, feeds: Sequence[Feed], tick_s: float = 5.0, stop_after_s: float | None = None,
                 timeout_s: float = fetching.DEFAULT_TIMEOUT_S, max_bytes: int = fetching.DEFAULT_MAX_BYTES,
                 concurrency: int = 64, shards: int | None = None, per_host: int = 2, host_gap_s: float = 0.5,
                 max_stretch: float = DEFAULT_MAX_STRETCH, search: config.SearchSettings | None = None,
                 config_path: str | None = None) -> None:
        super().__init__()
        self.feeds = list(feeds)
        self.tick_s = tick_s
        self.stop_after_s = stop_after_s
        self.fetcher = FetcherConfig(workers=concurrency, per_host=per_host, host_gap_s=host_gap_s,
                                     timeout_s=timeout_s, max_bytes=max_bytes)
        self.max_stretch = max_stretch
        self.search = search
        self.config_path = config_path
        # Enough shards to spread over a cluster's workers, few enough that each holds many feeds.
        self.shards = shards or max(1, min(64, len(self.feeds) // 50 or 1))

    def expand(self, pbegin: PBegin) -> Any:
        start = time.time()
        stop = start + self.stop_after_s if self.stop_after_s else MAX_TIMESTAMP_S
        # Quick answers go out in the tick that asked; slower ones with the next tick.
        collect_wait_s = min(1.0, self.tick_s / 2)
        tick: beam.PTransform = (
            FlinkTicks(self.tick_s, impulse_count(self.tick_s, self.stop_after_s), expansion_jar(pbegin.pipeline))
            if on_flink(pbegin.pipeline)
            else PeriodicImpulse(start_timestamp=start, stop_timestamp=stop, fire_interval=self.tick_s))
        return (
            pbegin
            | "Tick" >> tick
            | "AllShards" >> beam.ParDo(PlanShards(self.feeds, self.shards, self.config_path)).with_output_types(
                beam.typehints.KV[str, tuple[Feed, ...]])
            | "FetchDue" >> beam.ParDo(FetchDueFeeds(self.fetcher, collect_wait_s, self.max_stretch,
                                                     self.search)).with_outputs(FAILURES, main="batches")
        )
