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
import threading
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

from pipeline.core import config
from pipeline.core.config import load_feeds
from pipeline.core.errors import ConfigError, SearchError
from pipeline.core.model import Article, Failure, Feed, FeedBatch, FeedCommit, FetchResult
from pipeline.sinks.feedstate import FeedStateStore, feeds_index
from pipeline.sinks.search import SearchWriter
from pipeline.sources import fetcher as fetcher_mod
from pipeline.sources import limits
from pipeline.sources import seen as seen_mod
from pipeline.sources.fetcher import FetcherConfig
from pipeline.sources.parse import ParsedFeed, parse_feed
from pipeline.sources.schedule import (
    DEFAULT_MAX_STRETCH,
    DEFAULT_TICK_S,
    PollState,
    after_unusable_body,
    due_feeds,
    plan_shards,
    remember_seen,
    settle_poll,
    shard_key,
)
from pipeline.telemetry import lifecycle
from pipeline.transforms.secrets import WriterFactory, public_settings, with_secrets
from pipeline.transforms.telemetry import Telemetry, TelemetryFactory, process_telemetry

log = logging.getLogger(__name__)
FAILURES = "failures"  # tag of the dead-letter side output
MAX_TIMESTAMP_S = 2**62 / 1e6  # far future, well inside Beam's timestamp range


def feed_state_writer(settings: config.SearchSettings) -> SearchWriter:
    """The poller's engine writer: a few attempts, then the tick goes on (state is saved next tick)."""
    return SearchWriter(settings, max_attempts=3)


class RecentStates:
    """The newest poll state of each feed this process settled: a guard against stale runner state.

    Prism 2.77 was seen, under load, handing a shard's tick the state from
    before the shard's previous bundle (the 10k-feed soak: a few shards in 7
    minutes, each re-polling the feeds that bundle had settled). The tick takes,
    feed by feed, whichever of runner state and this is newer (by last poll).
    On a cluster runner each worker keeps its own; runner state stays the record.
    """

    def __init__(self) -> None:
        self._states: dict[str, PollState] = {}
        self._lock = threading.Lock()

    def put(self, feed_url: str, state: PollState) -> None:
        with self._lock:
            self._states[feed_url] = state

    def newer(self, states: dict[str, PollState]) -> dict[str, PollState]:
        """The states of ``states``' feeds known here with a later poll than theirs."""
        with self._lock:
            return {
                url: mine
                for url, st in states.items()
                if (mine := self._states.get(url)) is not None and mine.last_poll > st.last_poll
            }


_recent = RecentStates()


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
    ``writer`` makes that engine writer (from the settings with secrets) and
    ``telemetry`` the metrics (both called in ``setup``; tests inject fakes).
    """

    STATE = ReadModifyWriteStateSpec("poll_states", PickleCoder())

    def __init__(
        self,
        plan: FeedPlan,
        fetcher: FetcherConfig,
        tick_s: float = DEFAULT_TICK_S,
        collect_wait_s: float = 1.0,
        max_stretch: float = DEFAULT_MAX_STRETCH,
        search: config.SearchSettings | None = None,
        writer: WriterFactory = feed_state_writer,
        telemetry: TelemetryFactory = process_telemetry,
    ) -> None:
        self.plan = plan
        self.fetcher_config = fetcher
        self.tick_s = tick_s
        self.collect_wait_s = collect_wait_s
        self.max_stretch = max_stretch
        self.search = public_settings(search) if search else None
        self.writer_factory = writer
        self.telemetry_factory = telemetry

    def setup(self) -> None:
        self.plan.start()
        self.fetcher = fetcher_mod.shared(self.fetcher_config)
        self.seen = seen_mod.shared()
        self.telemetry = self.telemetry_factory()
        self.store: FeedStateStore | None = None
        if self.search is not None:
            self.store = FeedStateStore(self.writer_factory(with_secrets(self.search)), feeds_index(self.search.index))
        self.unsaved: dict[str, dict[str, tuple[Feed, PollState]]] = {}

    def process(
        self,
        element: tuple[str, None],
        timestamp: Any = beam.DoFn.TimestampParam,
        state: Any = beam.DoFn.StateParam(STATE),
    ) -> Iterator[Any]:
        shard = element[0]
        if self._stale(shard, float(timestamp)):
            return
        try:
            yield from self._tick(shard, self.plan.feeds(shard), state)
        finally:
            lifecycle.tick_completed(shard)

    def _stale(self, shard: str, tick_at: float) -> bool:
        """A tick that waited behind slower ones (the runner queues every tick of a busy shard) is
        dropped when the shard has just ticked: catching up tick by tick would only repeat the work."""
        if time.time() - tick_at < 2 * self.tick_s:
            return False
        last = lifecycle.last_tick(shard)
        return last is not None and time.monotonic() - last < self.tick_s

    def _restore(self, shard: str, urls: list[str]) -> dict[str, PollState]:
        if self.store is None or not urls:
            return {}
        try:
            restored = self.store.load(urls)
        except SearchError as exc:  # the engine is down: poll as new feeds; create-only writes stay exact
            log.warning(
                "feed state not loaded (%s); polling %d feed(s) from scratch", exc, len(urls), extra={"shard": shard}
            )
            return {}
        if restored:
            log.info("restored the state of %d feed(s) from the search engine", len(restored), extra={"shard": shard})
        return self._slim(restored)

    def _slim(self, states: dict[str, PollState]) -> dict[str, PollState]:
        """Runner state without seen ids (they go to the process's cache: :mod:`pipeline.sources.seen`)."""
        for url, st in states.items():
            if st.seen_ids:
                self.seen.put(url, st.seen_ids)
        return {url: replace(st, seen_ids=()) if st.seen_ids else st for url, st in states.items()}

    def _recall_seen(self, shard: str, urls: list[str]) -> None:
        """Fill the cache for feeds about to be parsed that this process does not know (one lookup)."""
        unknown = [u for u in urls if self.seen.get(u) is None]
        if self.store is None or not unknown:
            return
        try:
            self._slim(self.store.load(unknown))
        except SearchError as exc:  # every entry goes on; the create-only write settles them
            log.warning(
                "seen entry ids not loaded (%s); passing on every entry of %d feed(s)",
                exc,
                len(unknown),
                extra={"shard": shard},
            )

    def _tick(self, shard: str, feeds: tuple[Feed, ...], state: Any) -> Iterator[Any]:
        stored: dict[str, PollState] = self._slim(state.read() or {})
        newer = _recent.newer({f.url: stored.get(f.url) or PollState() for f in feeds})
        if newer:
            log.info(
                "runner state of %d feed(s) was older than their last poll here; using the newer",
                len(newer),
                extra={"shard": shard},
            )
            stored.update(newer)
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
        settled = []
        for result in self.fetcher.take(shard):
            configured = by_url.get(result.feed.url)
            if configured is None:
                continue  # removed from the configuration while it was being fetched
            feed = configured
            self.telemetry.fetched(result.duration_s)
            before = current[feed.url]
            new_state, outcome, parse = settle_poll(
                before, result, feed.interval_s, time.time(), max_stretch=self.max_stretch
            )
            _log_changes(feed, before, new_state, result)
            settled.append((feed, result, before, new_state, outcome, parse))
        self._recall_seen(shard, [feed.url for feed, *_, parse in settled if parse])
        for feed, result, before, settled_state, outcome, parse in settled:
            new_state = settled_state
            if parse:
                lifecycle.touch()
                batch, failures, unusable = parse_new_entries(
                    feed, result, new_state, self.telemetry, self.seen.get(feed.url) or ()
                )
                if unusable is not None:  # reached, but not a feed: the feed's health says so
                    new_state = after_unusable_body(before, new_state, *unusable)
                    batch = replace(
                        batch,
                        commit=replace(
                            batch.commit,
                            etag=new_state.etag,
                            last_modified=new_state.last_modified,
                            body_hash=new_state.body_hash,
                        ),
                    )
                if self.store is None:  # nothing commits to an engine: remember at once
                    self.seen.put(feed.url, batch.commit.seen_ids)
                for failure in failures:
                    yield beam.pvalue.TaggedOutput(FAILURES, failure)
                yield batch
            else:
                self.telemetry.polled(feed, outcome)
                if outcome not in ("not_modified", "unchanged", "gone"):
                    log.warning(
                        "feed poll failed: %s",
                        result.error,
                        extra={
                            "feed_url": feed.url,
                            "outcome": outcome,
                            "status": result.status,
                            "consecutive_failures": new_state.failures,
                            "retry_in_s": round(new_state.next_due - time.time(), 1),
                        },
                    )
            current[feed.url] = new_state
            polled[feed.url] = (feed, new_state)
            _recent.put(feed.url, new_state)
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


def parse_counted(feed: Feed, result: FetchResult, telemetry: Telemetry) -> tuple[ParsedFeed, list[Failure]]:
    """Parse a fetched body and count what happened (poll outcome, entries, failures, parser used);
    returns the parse and the dead-letter records (the whole document's first, when it is unusable)."""
    parsed = parse_feed(result.body or b"", feed, dict(result.headers))
    telemetry.parsed(parsed.parser, parsed.fallback, parsed.entries)
    failures = list(parsed.failures)
    if parsed.error:
        reason = parsed.reason or "parse_error"
        telemetry.polled(feed, reason)
        telemetry.rejected(reason)
        log.warning("feed unusable: %s", parsed.error, extra={"feed_url": feed.url, "reason": reason})
        failures.insert(
            0, Failure("parse", reason, parsed.error, feed.url, (result.body or b"")[:2000].decode("utf-8", "replace"))
        )
    else:
        telemetry.polled(feed, "ok")
    by_reason: dict[str, int] = {}
    for failure in parsed.failures:
        by_reason[failure.reason] = by_reason.get(failure.reason, 0) + 1
    for reason, n in by_reason.items():
        telemetry.rejected(reason, n)
    if parsed.failures:
        log.info(
            "feed had %d unusable entries",
            len(parsed.failures),
            extra={"feed_url": feed.url, "reasons": sorted({f.reason for f in parsed.failures})},
        )
    return parsed, failures


def parse_new_entries(
    feed: Feed, result: FetchResult, state: PollState, telemetry: Telemetry, seen_ids: tuple[str, ...] = ()
) -> tuple[FeedBatch, list[Failure], tuple[str, str] | None]:
    """Parse a changed body; keep the entries not among the feed's ``seen_ids``; count what happened.

    ``state`` is the feed's state after this poll (its validators and hash go into the batch's commit).
    The third value is (reason, error) when the body as a whole is not a usable feed, else None."""
    parsed, failures = parse_counted(feed, result, telemetry)
    seen = set(seen_ids)
    fresh: dict[str, Article] = {}
    for article in parsed.articles:
        if article.article_id not in seen and article.article_id not in fresh:
            fresh[article.article_id] = article
    skipped = len(parsed.articles) - len(fresh)
    if skipped:
        telemetry.deduplicated(skipped)
    remembered = remember_seen(seen_ids, [a.article_id for a in parsed.articles])
    commit = FeedCommit(feed.url, state.etag, state.last_modified, state.body_hash, remembered)
    unusable = (parsed.reason or "parse_error", parsed.error) if parsed.error else None
    return FeedBatch(feed, tuple(fresh.values()), commit, fetched_at=result.fetched_at), failures, unusable


def _log_changes(feed: Feed, before: PollState, after: PollState, result: FetchResult) -> None:
    """The poll results an operator must hear about once, not on every poll."""
    if after.gone and not before.gone:
        log.warning("feed is gone (HTTP 410): asking again once a day", extra={"feed_url": feed.url})
    elif before.gone and not after.gone:
        log.info("feed is back after having been gone", extra={"feed_url": feed.url})
    if after.url and after.url != before.url:
        log.info(
            "feed moved permanently: fetching it from its new address from now on",
            extra={"feed_url": feed.url, "new_url": after.url, "status": result.status},
        )


class FeedPlan:
    """The configured feeds by shard, re-read from ``config_path`` when the file changes.

    Edits to feeds.yaml (added, removed, changed feeds) take effect on the next
    tick; an invalid edit is reported once and the last good list stays in use.
    The number of shards is fixed when the job starts. Each worker keeps its
    own copy (it travels with the DoFn), so ticks carry only shard keys.
    """

    def __init__(self, feeds: Sequence[Feed], shards: int, config_path: str | None = None) -> None:
        self.initial = list(feeds)
        self.shards = shards
        self.config_path = config_path
        self.start()

    def start(self) -> None:
        self.all = list(self.initial)
        self.by_shard = dict(plan_shards(self.all, self.shards))
        self.mtime: float | None = None
        self.checked = 0.0
        if self.config_path:
            with contextlib.suppress(OSError):
                self.mtime = os.stat(self.config_path).st_mtime

    def shard_keys(self) -> list[str]:
        return [shard_key(i) for i in range(self.shards)]

    def feeds(self, shard: str) -> tuple[Feed, ...]:
        if self.config_path and time.monotonic() - self.checked >= 1.0:
            self.checked = time.monotonic()
            self._reload()
        return self.by_shard.get(shard, ())

    def _reload(self) -> None:
        assert self.config_path is not None
        try:
            mtime = os.stat(self.config_path).st_mtime
        except OSError as exc:
            if self.mtime is not None:
                log.error(
                    "feeds file unreadable (%s); polling the last good list", exc, extra={"config": self.config_path}
                )
            self.mtime = None
            return
        if mtime == self.mtime:
            return
        self.mtime = mtime
        try:
            feeds = load_feeds(self.config_path)
        except ConfigError as exc:
            log.error(
                "feeds file not reloaded: %s; polling the last good list", exc, extra={"config": self.config_path}
            )
            return
        old = {f.url for f in self.all}
        new = {f.url for f in feeds}
        self.all, self.by_shard = feeds, dict(plan_shards(feeds, self.shards))
        log.info(
            "feeds file reloaded: %d feed(s), %d added, %d removed",
            len(feeds),
            len(new - old),
            len(old - new),
            extra={"config": self.config_path},
        )

    def __getstate__(self) -> dict[str, Any]:  # travels with the DoFn: the configuration, not what was derived
        return {"initial": self.initial, "shards": self.shards, "config_path": self.config_path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.start()


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
                {"start": 0, "period": max(1, round(self.tick_s * 1000)), "elements_per_period": 1}
            )
            return (
                pbegin
                | "Sequence" >> ExternalTransform(GENERATE_SEQUENCE_URN, payload, service)
                | "Stamp" >> beam.ParDo(StampNow())
            )
        if self.jar is None:
            log.warning(
                "no Java expansion service for the Flink tick (%s, or %s from the job server jar): "
                "ticking from Flink's streaming impulse, which gives no event-time watermark — "
                "spike windows will not close",
                EXPANSION_JAR_ENV,
                EXPANSION_JAR_FROM_JOB_SERVER,
            )

        source = FlinkStreamingImpulseSource()
        source.config = {}  # the class keeps its config in a class attribute shared by all instances
        source.set_interval_ms(max(1, round(self.tick_s * 1000))).set_message_count(self.count)
        return pbegin | "Impulse" >> source | "Stamp" >> beam.ParDo(StampNow())


def lane_shards(keys: Sequence[str], lane: int, lanes: int) -> list[str]:
    """The shard keys lane ``lane`` of ``lanes`` polls: every ``lanes``-th, so the lanes share the work."""
    return list(keys[lane::lanes])


class PollFeeds(beam.PTransform):
    """PBegin → FeedBatch (new entries of changed feeds), plus Failure on the ``failures`` tag.

    A tick every ``tick_s`` (PeriodicImpulse; Java's GenerateSequence on
    FlinkRunner, see the module docstring); each shard of feeds starts its due
    fetches and handles the completed ones. Side effects: HTTP requests, poll
    metrics, feed state in the engine when ``search`` is set."""

    def __init__(
        self,
        feeds: Sequence[Feed],
        tick_s: float = DEFAULT_TICK_S,
        stop_after_s: float | None = None,
        timeout_s: float = limits.DEFAULT_TIMEOUT_S,
        max_bytes: int = limits.DEFAULT_MAX_BYTES,
        concurrency: int = limits.DEFAULT_WORKERS,
        shards: int | None = None,
        per_host: int = limits.DEFAULT_PER_HOST,
        host_gap_s: float = limits.DEFAULT_HOST_GAP_S,
        max_stretch: float = DEFAULT_MAX_STRETCH,
        search: config.SearchSettings | None = None,
        config_path: str | None = None,
        lane: int = 0,
        lanes: int = 1,
        writer: WriterFactory = feed_state_writer,
        telemetry: TelemetryFactory = process_telemetry,
    ) -> None:
        super().__init__()
        self.writer, self.telemetry = writer, telemetry
        if not 0 <= lane < lanes:
            raise ValueError(f"lane {lane} of {lanes}")
        self.lane, self.lanes = lane, lanes
        self.feeds = list(feeds)
        self.tick_s = tick_s
        self.stop_after_s = stop_after_s
        self.fetcher = FetcherConfig(
            workers=concurrency, per_host=per_host, host_gap_s=host_gap_s, timeout_s=timeout_s, max_bytes=max_bytes
        )
        self.max_stretch = max_stretch
        self.search = search
        self.config_path = config_path
        # Enough shards to spread over a cluster's workers, few enough that each holds many feeds.
        self.shards = shards or max(1, min(64, len(self.feeds) // 50 or 1))
        self.shards = max(self.shards, lanes)  # every lane polls at least one shard

    def expand(self, pbegin: PBegin) -> Any:
        start = time.time()
        stop = start + self.stop_after_s if self.stop_after_s else MAX_TIMESTAMP_S
        # Quick answers go out in the tick that asked; slower ones with the next tick.
        collect_wait_s = min(1.0, self.tick_s / 2)
        plan = FeedPlan(self.feeds, self.shards, self.config_path)
        tick: beam.PTransform = (
            FlinkTicks(self.tick_s, impulse_count(self.tick_s, self.stop_after_s), expansion_jar(pbegin.pipeline))
            if on_flink(pbegin.pipeline)
            else PeriodicImpulse(start_timestamp=start, stop_timestamp=stop, fire_interval=self.tick_s)
        )
        return (
            pbegin
            | "Tick" >> tick
            | "AllShards"
            >> beam.FlatMap(
                lambda _tick, keys: [(k, None) for k in keys], lane_shards(plan.shard_keys(), self.lane, self.lanes)
            ).with_output_types(beam.typehints.KV[str, None])
            | "FetchDue"
            >> beam.ParDo(
                FetchDueFeeds(
                    plan,
                    self.fetcher,
                    self.tick_s,
                    collect_wait_s,
                    self.max_stretch,
                    self.search,
                    self.writer,
                    self.telemetry,
                )
            ).with_outputs(FAILURES, main="batches")
        )
