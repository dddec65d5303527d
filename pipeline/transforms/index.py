"""IndexArticles and WriteDeadLetters: the pipeline's writers.

IndexArticles buffers documents in ``process`` and flushes in bulk when the
buffer is full and in ``finish_bundle``; the article id (assigned at parse
time, before any shuffle) is the document id, so a retried bundle rewrites
nothing. Secrets are read from the environment in ``setup``, never pickled
into the job graph. Each writer takes a ``writer`` factory (settings with
secrets → :class:`SearchWriter`; default the real one) and a ``telemetry``
factory, both called in ``setup``, so tests can run them with a fake engine
client and a fresh registry.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.pvalue import PCollection
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import Timestamp
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.core import config
from pipeline.core.dates import from_iso, to_iso, utc_now
from pipeline.core.model import ClassifiedArticle, Failure, FeedBatch
from pipeline.sinks.deadletter import DeadLetterFile
from pipeline.sinks.document import ALERTS_INDEX, to_document
from pipeline.sinks.feedstate import FeedStateStore, feeds_index
from pipeline.sinks.search import BulkReport, SearchWriter
from pipeline.sources import seen
from pipeline.telemetry import lifecycle
from pipeline.transforms.secrets import WriterFactory, public_settings, with_secrets
from pipeline.transforms.telemetry import Telemetry, TelemetryFactory, process_telemetry

log = logging.getLogger(__name__)


class _BulkIndexDoFn(beam.DoFn):
    """Buffers article documents and writes them in bulk (create-only); shared by the two indexers."""

    def __init__(
        self,
        settings: config.SearchSettings,
        batch_size: int = 500,
        max_batch_bytes: int = 5 * 1024 * 1024,
        writer: WriterFactory = SearchWriter,
        telemetry: TelemetryFactory = process_telemetry,
    ) -> None:
        self.settings = public_settings(settings)
        self.batch_size = batch_size
        self.max_batch_bytes = max_batch_bytes
        self.writer_factory = writer
        self.telemetry_factory = telemetry

    def setup(self) -> None:
        settings = with_secrets(self.settings)
        self.writer = self.writer_factory(settings)
        self.deadletter = DeadLetterFile(settings.deadletter_path)
        self.telemetry = self.telemetry_factory()
        self.buffer: list[tuple[dict[str, Any], str]] = []
        self.buffer_bytes = 0

    def start_bundle(self) -> None:
        self.buffer = []
        self.buffer_bytes = 0

    def _flush(self) -> None:
        if not self.buffer:
            return
        with lifecycle.working():
            self._flush_buffer()

    def _flush_buffer(self) -> set[str]:
        """Write the buffer; returns the ids of the documents the engine created."""
        batch, self.buffer, self.buffer_bytes = self.buffer, [], 0
        started = time.monotonic()
        report = self.writer.write([doc for doc, _ in batch])
        self.telemetry.indexed(report.created, report.existing, time.monotonic() - started)
        now = time.time()
        failed_ids = {doc["article_id"] for doc, _, _ in report.failed}
        for doc, seen_at in batch:
            if doc["article_id"] in failed_ids:
                continue
            self.telemetry.latency("seen", now - from_iso(seen_at).timestamp())
            if not doc.get("published_at_estimated"):
                self.telemetry.latency("published", now - from_iso(doc["published_at"]).timestamp())
        failures = report_refused(
            report,
            "index",
            self.telemetry,
            "document rejected by the search engine: %s: %s",
            ("article_id", "feed_url"),
        )
        if failures:
            self.deadletter.write(failures)
            report_unstored(
                self.writer.write_deadletters([f.to_dict() | {"at": to_iso(utc_now())} for f in failures]),
                self.telemetry,
            )
            self.telemetry.dead_lettered("index", len(failures))
        return set(report.created_ids)

    def _add(self, item: ClassifiedArticle) -> None:
        self.buffer.append((to_document(item, to_iso(utc_now())), item.article.seen_at))
        self.buffer_bytes += len(item.article.body) + len(item.article.summary) + 1000


def report_refused(
    report: BulkReport, stage: str, telemetry: Telemetry, message: str, keys: tuple[str, ...]
) -> list[Failure]:
    """The documents a write report says the engine refused for good → dead-letter failures of ``stage``.

    Each is counted by reason and logged with ``message`` (``%s`` for reason and detail) and the document's
    ``keys`` as log fields; the failure carries the document's ``feed_url`` (``""`` when it has none, as
    alerts do) and the document as JSON. Filing the failures is the caller's.
    """
    failures = []
    for doc, reason, detail in report.failed:
        telemetry.index_failed(reason)
        log.warning(message, reason, detail, extra={key: doc.get(key) for key in keys})
        failures.append(Failure(stage, reason, detail, doc.get("feed_url", ""), _json(doc)))
    return failures


def report_unstored(report: BulkReport, telemetry: Telemetry) -> None:
    """Dead letters the ``news-deadletter`` index refused for good: counted and logged (they are in the file)."""
    for record, reason, detail in report.failed:
        telemetry.index_failed(reason)
        log.warning(
            "dead letter not stored in the search engine (kept in the dead-letter file): %s: %s",
            reason,
            detail,
            extra={"feed_url": record.get("feed_url"), "stage": record.get("stage")},
        )


class IndexDoFn(_BulkIndexDoFn):
    """ClassifiedArticle → (side effect) search documents; yields nothing."""

    def process(self, item: ClassifiedArticle) -> Iterator[None]:
        lifecycle.touch()
        self._add(item)
        if len(self.buffer) >= self.batch_size or self.buffer_bytes >= self.max_batch_bytes:
            self._flush()
        return iter(())

    def finish_bundle(self) -> None:
        self._flush()


def _json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False)


class IndexBatchDoFn(_BulkIndexDoFn):
    """FeedBatch → ClassifiedArticle (relevant ones the engine newly created), in event time of the poll.

    Buffers the documents of several batches and writes them in bulk; only
    after a write has settled every document of a batch (created, already
    there, or dead-lettered) is the batch's feed state committed to the engine
    (:mod:`pipeline.sinks.feedstate`). Relevant-article counters and the spike
    detector downstream see created documents only: restarts, replays and other
    feeds' copies of an article count nothing.
    """

    def setup(self) -> None:
        super().setup()
        self.store = FeedStateStore(self.writer, feeds_index(self.settings.index))
        self.seen = seen.shared()
        self.pending: list[tuple[FeedBatch, Timestamp]] = []

    def start_bundle(self) -> None:
        super().start_bundle()
        self.pending = []

    def process(self, batch: FeedBatch, timestamp: Any = beam.DoFn.TimestampParam) -> Iterator[Any]:
        lifecycle.touch()
        for item in batch.classified:
            if item.classification.relevant or self.settings.index_all:
                self._add(item)
        self.pending.append((batch, timestamp))
        if len(self.buffer) >= self.batch_size or self.buffer_bytes >= self.max_batch_bytes:
            yield from self._settle(windowed=False)

    def finish_bundle(self) -> Iterator[Any]:
        yield from self._settle(windowed=True)

    def _settle(self, windowed: bool) -> Iterator[Any]:
        pending, self.pending = self.pending, []
        if not pending and not self.buffer:
            return
        with lifecycle.working():
            created = self._flush_buffer() if self.buffer else set()
            commits = [batch.commit for batch, _ in pending]
            for commit in commits:  # every entry of these bodies is in the engine now
                self.seen.put(commit.feed_url, commit.seen_ids)
            if self.store.commit(commits, time.time()):
                log.warning("feed state of %d feed(s) not committed; they are re-read after a restart", len(commits))
        for batch, ts in pending:
            for item in batch.classified:
                if item.article.article_id in created and item.classification.relevant:
                    self.telemetry.relevant(item.classification.topics)
                    yield WindowedValue(item, ts, (GlobalWindow(),)) if windowed else item


class IndexBatches(beam.PTransform):
    """FeedBatch → ClassifiedArticle: index, commit feed state, pass on what the engine newly created."""

    def __init__(
        self,
        settings: config.SearchSettings,
        batch_size: int = 500,
        writer: WriterFactory = SearchWriter,
        telemetry: TelemetryFactory = process_telemetry,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.batch_size = batch_size
        self.writer, self.telemetry = writer, telemetry

    def expand(self, batches: PCollection) -> PCollection:
        return batches | "BulkAndCommit" >> beam.ParDo(
            IndexBatchDoFn(self.settings, self.batch_size, writer=self.writer, telemetry=self.telemetry)
        )


class IndexArticles(beam.PTransform):
    """ClassifiedArticle → nothing; writes relevant (or all) articles in bulk, create-only. Documents the
    engine refuses go to the dead-letter (file and index), counted by reason."""

    def __init__(
        self,
        settings: config.SearchSettings,
        batch_size: int = 500,
        writer: WriterFactory = SearchWriter,
        telemetry: TelemetryFactory = process_telemetry,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.batch_size = batch_size
        self.writer, self.telemetry = writer, telemetry

    def expand(self, items: PCollection) -> PCollection:
        if not self.settings.index_all:
            items = items | "OnlyRelevant" >> beam.Filter(lambda c: c.classification.relevant)
        return items | "Bulk" >> beam.ParDo(
            IndexDoFn(self.settings, self.batch_size, writer=self.writer, telemetry=self.telemetry)
        )


class IndexAlertsDoFn(beam.DoFn):
    """Alert document → the ``news-alerts`` index (create-only on the alert id) and a log line."""

    def __init__(
        self,
        settings: config.SearchSettings,
        writer: WriterFactory = SearchWriter,
        telemetry: TelemetryFactory = process_telemetry,
    ) -> None:
        self.settings = public_settings(settings)
        self.writer_factory = writer
        self.telemetry_factory = telemetry

    def setup(self) -> None:
        self.writer = self.writer_factory(with_secrets(self.settings))
        self.deadletter = DeadLetterFile(self.settings.deadletter_path)
        self.telemetry = self.telemetry_factory()

    def start_bundle(self) -> None:
        self.pending: list[dict[str, Any]] = []

    def process(self, alert: dict[str, Any]) -> Iterator[None]:
        log.warning(
            "topic spike: %s",
            alert["topic"],
            extra={
                "topic": alert["topic"],
                "count": alert["count"],
                "baseline": alert["baseline"],
                "ratio": alert["ratio"],
                "window_end": alert["window_end"],
                "alert_id": alert["alert_id"],
            },
        )
        self.pending.append(alert)
        return iter(())

    def finish_bundle(self) -> None:
        if self.pending:
            report = self.writer.write_raw(ALERTS_INDEX, self.pending, id_field="alert_id")
            failures = report_refused(  # refused for good: kept in the dead-letter file
                report,
                "alert",
                self.telemetry,
                "alert document rejected by the search engine: %s: %s",
                ("alert_id", "topic"),
            )
            if failures:
                self.deadletter.write(failures)
                self.telemetry.dead_lettered("alert", len(failures))
        self.pending = []


class IndexAlerts(beam.PTransform):
    """Alert dict → nothing; writes spike alerts next to the coverage for Kibana users (an alert the engine
    refuses for good is counted, logged and kept in the dead-letter file)."""

    def __init__(
        self,
        settings: config.SearchSettings,
        writer: WriterFactory = SearchWriter,
        telemetry: TelemetryFactory = process_telemetry,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.writer = writer
        self.telemetry = telemetry

    def expand(self, alerts: PCollection) -> PCollection:
        return alerts | "Write" >> beam.ParDo(IndexAlertsDoFn(self.settings, self.writer, self.telemetry))


class DeadLetterDoFn(beam.DoFn):
    def __init__(
        self,
        path: str,
        search: config.SearchSettings | None = None,
        writer: WriterFactory = SearchWriter,
        telemetry: TelemetryFactory = process_telemetry,
    ) -> None:
        self.path = path
        self.search = public_settings(search) if search else None
        self.writer_factory = writer
        self.telemetry_factory = telemetry

    def setup(self) -> None:
        self.file = DeadLetterFile(self.path)
        self.writer = self.writer_factory(with_secrets(self.search)) if self.search else None
        self.telemetry = self.telemetry_factory()

    def start_bundle(self) -> None:
        self.pending: list[Failure] = []

    def process(self, failure: Failure) -> Iterator[None]:
        self.pending.append(failure)
        return iter(())

    def finish_bundle(self) -> None:
        self.file.write(self.pending)
        if self.writer is not None and self.pending:
            now = to_iso(utc_now())
            report_unstored(
                self.writer.write_deadletters([f.to_dict() | {"at": now} for f in self.pending]), self.telemetry
            )
        by_stage: dict[str, int] = {}
        for f in self.pending:
            by_stage[f.stage] = by_stage.get(f.stage, 0) + 1
        for stage, n in by_stage.items():
            self.telemetry.dead_lettered(stage, n)
        self.pending = []


class WriteDeadLetters(beam.PTransform):
    """Failure → JSON lines appended to the dead-letter file (and the news-deadletter index when set);
    counted by stage."""

    def __init__(
        self,
        path: str,
        search: config.SearchSettings | None = None,
        writer: WriterFactory = SearchWriter,
        telemetry: TelemetryFactory = process_telemetry,
    ) -> None:
        super().__init__()
        self.path = path
        self.search = search
        self.writer, self.telemetry = writer, telemetry

    def expand(self, failures: PCollection) -> PCollection:
        return failures | "Append" >> beam.ParDo(DeadLetterDoFn(self.path, self.search, self.writer, self.telemetry))
