"""The pipeline graph, built in one place for ``newsmon run`` and ``newsmon backfill``.

``build_streaming``: PollFeeds (fetch, parse, new entries per feed) →
ClassifyBatches → GroupStories (story ids) → IndexBatches (create-only, then the feed state commit) →
DetectSpikes on what the engine newly created. ``build_backfill``: a bounded
reader of files/URLs → ``process_feeds`` (parse → dedupe → classify → index).
Both share the parser, the detector and the bulk writer. Tests call these
with a ``TestPipeline``.
"""

from __future__ import annotations

import glob
import json
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import apache_beam as beam
from apache_beam.pvalue import PCollection
from apache_beam.transforms.resources import ResourceHint

from pipeline.alerting.spikes import DEFAULT_RULE, SpikeRule
from pipeline.core import config, text
from pipeline.core.errors import ConfigError
from pipeline.core.model import ClassifiedArticle, Failure, Feed, FetchResult, project
from pipeline.sources import fetch as fetching
from pipeline.sources import limits
from pipeline.sources.schedule import DEFAULT_MAX_STRETCH, DEFAULT_TICK_S
from pipeline.transforms.alerts import DetectSpikes
from pipeline.transforms.articles import ClassifyArticles, ClassifyBatches, DedupeArticles, ParseEntries
from pipeline.transforms.index import IndexAlerts, IndexArticles, IndexBatches, WriteDeadLetters
from pipeline.transforms.poll import FAILURES, PollFeeds
from pipeline.transforms.stories import CountStories, GroupArticleStories, GroupStories
from pipeline.transforms.telemetry import TelemetryFactory, process_telemetry

FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".feed", ".gz", ".json", ".txt", ".html", ".htm", "")
SKIP_NAMES = {"README.md", "SOURCES.md", "LICENSE", "LICENSES"}


def expand_inputs(specs: Sequence[str]) -> list[str]:
    """Files (directories recursively, globs expanded) and URLs, in a stable order."""
    out: list[str] = []
    for spec in specs:
        if spec.startswith(("http://", "https://")):
            out.append(spec)
            continue
        matches = sorted(glob.glob(spec, recursive=True)) if glob.has_magic(spec) else [spec]
        if not matches:
            raise ConfigError(f"--input {spec}: matches no file — fix: check the path or glob")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                out.extend(str(p) for p in sorted(path.rglob("*")) if p.is_file() and _is_feed_file(p))
            elif path.is_file():
                out.append(str(path))
            else:
                raise ConfigError(f"--input {spec}: {match} does not exist — fix: check the path")
    return out


def _is_feed_file(path: Path) -> bool:
    return (
        path.name not in SKIP_NAMES
        and not path.name.startswith((".", "LICENSE"))
        and not any(part in SKIP_NAMES for part in path.parts)
        and path.suffix.lower() in FEED_SUFFIXES
    )


class ReadFeedDocument(beam.DoFn):
    """A file path or URL → FetchResult (files are read whole, within the size cap); what cannot be read
    goes to the ``failures`` tag and is counted as unread."""

    def __init__(
        self, max_bytes: int = limits.DEFAULT_MAX_BYTES, telemetry: TelemetryFactory = process_telemetry
    ) -> None:
        self.max_bytes = max_bytes
        self.telemetry_factory = telemetry

    def setup(self) -> None:
        self.pool = fetching.make_pool()
        self.telemetry = self.telemetry_factory()

    def process(self, location: str) -> Iterator[Any]:
        if location.startswith(("http://", "https://")):
            result = fetching.fetch_feed(self.pool, Feed(url=location, name=""), max_bytes=self.max_bytes)
            if result.outcome != "ok":
                self.telemetry.unread(result.outcome)
                yield beam.pvalue.TaggedOutput(FAILURES, Failure("fetch", result.outcome, result.error or "", location))
                return
            yield result
            return
        feed = Feed(url=Path(location).resolve().as_uri(), name="")
        try:
            size = os.path.getsize(location)
            if size > self.max_bytes:
                raise ValueError(f"file is {size} bytes, over the {self.max_bytes}-byte cap")
            body = text.decompress(Path(location).read_bytes(), self.max_bytes)
        except (OSError, ValueError) as exc:
            self.telemetry.unread("unreadable")
            yield beam.pvalue.TaggedOutput(FAILURES, Failure("read", "unreadable", str(exc), feed.url))
            return
        yield FetchResult(feed=feed, outcome="ok", body=body, status=200, fetched_at=time.time())


def export_line(item: ClassifiedArticle) -> str:
    """One JSON line per unique article, relevant or not: :func:`pipeline.core.model.project`, keys sorted."""
    return json.dumps(project(item), ensure_ascii=False, sort_keys=True)


def process_feeds(
    fetched: PCollection,
    *,
    search: config.SearchSettings | None,
    deadletter_path: str,
    read_failures: PCollection | None = None,
) -> PCollection:
    """FetchResult → ClassifiedArticle (unique); indexes them when ``search`` is set."""
    parsed = fetched | "ParseEntries" >> ParseEntries()
    failures = parsed[FAILURES]
    if read_failures is not None:
        failures = (failures, read_failures) | "AllFailures" >> beam.Flatten()
    failures | "WriteDeadLetters" >> WriteDeadLetters(deadletter_path, search)
    classified = parsed["articles"] | "DedupeArticles" >> DedupeArticles() | "ClassifyArticles" >> ClassifyArticles()
    if search is not None:
        classified | "GroupStories" >> GroupArticleStories(search) | "IndexArticles" >> IndexArticles(search)
    return classified


class Lane(ResourceHint):
    """Which lane of ``newsmon run --sdk-workers N`` a transform belongs to.

    Beam gives transforms with other resource hints an environment of their
    own, and Prism starts one SDK worker per environment: the hint is how the
    lanes land in separate worker processes. Runners ignore hints they do not
    know (Flink and Dataflow scale by key instead, and run one lane)."""

    urn = "newsmon:resources:lane:v1"


ResourceHint.register_resource_hint("newsmon_lane", Lane)


def lane_label(name: str, lane: int) -> str:
    """Lane 0 keeps the plain step names (savepoints and dashboards know them); others are suffixed."""
    return name if lane == 0 else f"{name}Lane{lane}"


def build_streaming(
    p: beam.Pipeline,
    feeds: Sequence[Feed],
    search: config.SearchSettings,
    *,
    tick_s: float = DEFAULT_TICK_S,
    stop_after_s: float | None = None,
    fetch_timeout_s: float = limits.DEFAULT_TIMEOUT_S,
    max_feed_bytes: int = limits.DEFAULT_MAX_BYTES,
    spike_rule: SpikeRule = DEFAULT_RULE,
    fetch_concurrency: int = limits.DEFAULT_WORKERS,
    feed_shards: int | None = None,
    per_host: int = limits.DEFAULT_PER_HOST,
    host_gap_s: float = limits.DEFAULT_HOST_GAP_S,
    max_stretch: float = DEFAULT_MAX_STRETCH,
    config_path: str | None = None,
    lanes: int = 1,
) -> PCollection:
    """The streaming job: poll → new entries per feed → classify → index + commit feed state → spikes.

    Only entries a feed has not shown before go past the poller (per-feed seen
    ids, durable in the engine); articles carry the timestamp of the poll that
    found them, and the spike windows count what the engine newly created, when.

    With ``lanes`` > 1 the feed shards are dealt over that many copies of the
    poll → classify → index chain, each in its own environment (see :class:`Lane`),
    so that a runner with one worker per environment (Prism) runs them in
    parallel processes. A feed's shard, and so its lane, is fixed: each
    worker's per-process memory (seen ids, settled feed states) stays whole.
    Dead letters and spike detection take all lanes together."""
    if lanes < 1:
        raise ConfigError(f"--sdk-workers {lanes}: fix: use 1 or more")
    created_parts: list[PCollection] = []
    failure_parts: list[PCollection] = []
    for lane in range(lanes):
        poll = PollFeeds(
            feeds,
            tick_s=tick_s,
            stop_after_s=stop_after_s,
            timeout_s=fetch_timeout_s,
            max_bytes=max_feed_bytes,
            concurrency=fetch_concurrency,
            shards=feed_shards,
            per_host=per_host,
            host_gap_s=host_gap_s,
            max_stretch=max_stretch,
            search=search,
            config_path=config_path,
            lane=lane,
            lanes=lanes,
        )
        classify, group, index = ClassifyBatches(), GroupStories(search), IndexBatches(search)
        if lane:
            for step in (poll, classify, group, index):
                step.with_resource_hints(newsmon_lane=str(lane))
        polled = p | lane_label("PollFeeds", lane) >> poll
        failure_parts.append(polled[FAILURES])
        created_parts.append(
            polled["batches"]
            | lane_label("ClassifyBatches", lane) >> classify
            | lane_label("GroupStories", lane) >> group
            | lane_label("IndexBatches", lane) >> index
        )
    failures = failure_parts[0] if lanes == 1 else tuple(failure_parts) | "AllFailures" >> beam.Flatten()
    created = created_parts[0] if lanes == 1 else tuple(created_parts) | "AllCreated" >> beam.Flatten()
    failures | "WriteDeadLetters" >> WriteDeadLetters(search.deadletter_path, search)
    created | "CountStories" >> CountStories(search)
    (created | "DetectSpikes" >> DetectSpikes(spike_rule, search) | "IndexAlerts" >> IndexAlerts(search))
    return created


def build_backfill(
    p: beam.Pipeline,
    locations: Sequence[str],
    search: config.SearchSettings | None,
    *,
    export_path: str | None,
    deadletter_path: str,
) -> PCollection:
    read = (
        p
        | "Locations" >> beam.Create(list(locations))
        | "Spread" >> beam.Reshuffle()
        | "Read" >> beam.ParDo(ReadFeedDocument()).with_outputs(FAILURES, main="fetched")
    )
    classified = process_feeds(
        read["fetched"], search=search, deadletter_path=deadletter_path, read_failures=read[FAILURES]
    )
    if export_path:
        (
            classified
            | "ExportLines" >> beam.Map(export_line)
            | "WriteExport" >> beam.io.WriteToText(export_path, shard_name_template="", num_shards=1)
        )
    return classified
