"""IndexArticles and WriteDeadLetters: the pipeline's writers.

IndexArticles buffers documents in ``process`` and flushes in bulk when the
buffer is full and in ``finish_bundle``; the article id (assigned at parse
time, before any shuffle) is the document id, so a retried bundle rewrites
nothing. Secrets are read from the environment in ``setup``, never pickled
into the job graph.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import apache_beam as beam
from apache_beam.pvalue import PCollection

from pipeline import config, lifecycle, metrics
from pipeline.dates import from_iso, to_iso, utc_now
from pipeline.model import ClassifiedArticle, Failure
from pipeline.sinks.deadletter import DeadLetterFile
from pipeline.sinks.document import ALERTS_INDEX, to_document
from pipeline.sinks.search import SearchWriter
from pipeline.transforms import beam_metrics

log = logging.getLogger(__name__)


def public_settings(settings: config.SearchSettings) -> config.SearchSettings:
    """Settings safe to pickle into a job graph (secrets stripped)."""
    return replace(settings, api_key=None, password=None)


def with_secrets(settings: config.SearchSettings) -> config.SearchSettings:
    env = config.search_settings()
    return replace(settings, api_key=env.api_key, password=env.password,
                   username=settings.username or env.username)


class IndexDoFn(beam.DoFn):
    """ClassifiedArticle → (side effect) search documents; yields nothing."""

    def __init__(self, settings: config.SearchSettings, batch_size: int = 500,
                 max_batch_bytes: int = 5 * 1024 * 1024) -> None:
        self.settings = public_settings(settings)
        self.batch_size = batch_size
        self.max_batch_bytes = max_batch_bytes

    def setup(self) -> None:
        settings = with_secrets(self.settings)
        self.writer = SearchWriter(settings)
        self.deadletter = DeadLetterFile(settings.deadletter_path)
        self.m = metrics.get()
        self.buffer: list[tuple[dict[str, Any], str]] = []
        self.buffer_bytes = 0

    def start_bundle(self) -> None:
        self.buffer = []
        self.buffer_bytes = 0

    def process(self, item: ClassifiedArticle) -> Iterator[None]:
        lifecycle.touch()
        doc = to_document(item, to_iso(utc_now()))
        self.buffer.append((doc, item.article.seen_at))
        self.buffer_bytes += len(item.article.body) + len(item.article.summary) + 1000
        if len(self.buffer) >= self.batch_size or self.buffer_bytes >= self.max_batch_bytes:
            self._flush()
        return iter(())

    def finish_bundle(self) -> None:
        self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        with lifecycle.working():
            self._flush_buffer()

    def _flush_buffer(self) -> None:
        batch, self.buffer, self.buffer_bytes = self.buffer, [], 0
        started = time.monotonic()
        report = self.writer.write([doc for doc, _ in batch])
        self.m.index_duration.observe(time.monotonic() - started)
        self.m.indexed.labels(result="created").inc(report.created)
        self.m.indexed.labels(result="exists").inc(report.existing)
        beam_metrics.inc("documents_indexed", report.created)
        beam_metrics.inc("documents_existing", report.existing)
        now = time.time()
        failed_ids = {doc["article_id"] for doc, _, _ in report.failed}
        for doc, seen_at in batch:
            if doc["article_id"] in failed_ids:
                continue
            self.m.e2e_latency.labels(since="seen").observe(max(0.0, now - from_iso(seen_at).timestamp()))
            if not doc.get("published_at_estimated"):
                self.m.e2e_latency.labels(since="published").observe(
                    max(0.0, now - from_iso(doc["published_at"]).timestamp()))
        if report.failed:
            failures = []
            for doc, reason, detail in report.failed:
                self.m.index_errors.labels(reason=reason).inc()
                beam_metrics.inc(f"failure_index_{reason}")
                failures.append(Failure("index", reason, detail, doc.get("feed_url", ""),
                                        _json(doc)))
                log.warning("document rejected by the search engine: %s: %s", reason, detail,
                            extra={"article_id": doc["article_id"], "feed_url": doc.get("feed_url")})
            self.deadletter.write(failures)
            self.writer.write_deadletters([f.to_dict() | {"at": to_iso(utc_now())} for f in failures])
            self.m.deadletters.labels(stage="index").inc(len(failures))


def _json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False)


class IndexArticles(beam.PTransform):
    """ClassifiedArticle → nothing; writes relevant (or all) articles in bulk, create-only."""

    def __init__(self, settings: config.SearchSettings, batch_size: int = 500) -> None:
        super().__init__()
        self.settings = settings
        self.batch_size = batch_size

    def expand(self, items: PCollection) -> PCollection:
        if not self.settings.index_all:
            items = items | "OnlyRelevant" >> beam.Filter(lambda c: c.classification.relevant)
        return items | "Bulk" >> beam.ParDo(IndexDoFn(self.settings, self.batch_size))


class IndexAlertsDoFn(beam.DoFn):
    """Alert document → the ``news-alerts`` index (create-only on the alert id) and a log line."""

    def __init__(self, settings: config.SearchSettings) -> None:
        self.settings = public_settings(settings)

    def setup(self) -> None:
        self.writer = SearchWriter(with_secrets(self.settings))

    def start_bundle(self) -> None:
        self.pending: list[dict[str, Any]] = []

    def process(self, alert: dict[str, Any]) -> Iterator[None]:
        log.warning("topic spike: %s", alert["topic"], extra={
            "topic": alert["topic"], "count": alert["count"], "baseline": alert["baseline"],
            "ratio": alert["ratio"], "window_end": alert["window_end"], "alert_id": alert["alert_id"]})
        self.pending.append(alert)
        return iter(())

    def finish_bundle(self) -> None:
        if self.pending:
            self.writer.write_raw(ALERTS_INDEX, self.pending, id_field="alert_id")
        self.pending = []


class IndexAlerts(beam.PTransform):
    """Alert dict → nothing; writes spike alerts next to the coverage for Kibana users."""

    def __init__(self, settings: config.SearchSettings) -> None:
        super().__init__()
        self.settings = settings

    def expand(self, alerts: PCollection) -> PCollection:
        return alerts | "Write" >> beam.ParDo(IndexAlertsDoFn(self.settings))


class DeadLetterDoFn(beam.DoFn):
    def __init__(self, path: str, search: config.SearchSettings | None = None) -> None:
        self.path = path
        self.search = public_settings(search) if search else None

    def setup(self) -> None:
        self.file = DeadLetterFile(self.path)
        self.writer = SearchWriter(with_secrets(self.search)) if self.search else None
        self.m = metrics.get()

    def start_bundle(self) -> None:
        self.pending: list[Failure] = []

    def process(self, failure: Failure) -> Iterator[None]:
        self.pending.append(failure)
        return iter(())

    def finish_bundle(self) -> None:
        self.file.write(self.pending)
        if self.writer is not None and self.pending:
            now = to_iso(utc_now())
            self.writer.write_deadletters([f.to_dict() | {"at": now} for f in self.pending])
        for f in self.pending:
            self.m.deadletters.labels(stage=f.stage).inc()
        self.pending = []


class WriteDeadLetters(beam.PTransform):
    """Failure → JSON lines appended to the dead-letter file (and the news-deadletter index when set)."""

    def __init__(self, path: str, search: config.SearchSettings | None = None) -> None:
        super().__init__()
        self.path = path
        self.search = search

    def expand(self, failures: PCollection) -> PCollection:
        return failures | "Append" >> beam.ParDo(DeadLetterDoFn(self.path, self.search))
