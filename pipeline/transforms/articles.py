"""ParseEntries, DedupeArticles, ClassifyArticles(/Batches): feed bodies to classified, unique articles."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import apache_beam as beam
from apache_beam.pvalue import DoOutputsTuple, PCollection

from pipeline.core.model import Article, ClassifiedArticle, FeedBatch, FetchResult
from pipeline.detect import classify
from pipeline.telemetry import lifecycle
from pipeline.transforms.poll import FAILURES, parse_counted
from pipeline.transforms.telemetry import TelemetryFactory, process_telemetry

log = logging.getLogger(__name__)


class _CountingDoFn(beam.DoFn):
    """A DoFn that counts through a :class:`~pipeline.transforms.telemetry.Telemetry` made in ``setup``."""

    def __init__(self, telemetry: TelemetryFactory = process_telemetry) -> None:
        self.telemetry_factory = telemetry

    def setup(self) -> None:
        self.telemetry = self.telemetry_factory()


class ParseFeedDoFn(_CountingDoFn):
    """FetchResult → Article (main) and Failure (tagged ``failures``)."""

    def process(self, result: FetchResult) -> Iterator[Any]:
        lifecycle.touch()
        parsed, failures = parse_counted(result.feed, result, self.telemetry)
        for failure in failures:
            yield beam.pvalue.TaggedOutput(FAILURES, failure)
        yield from parsed.articles


class ParseEntries(beam.PTransform):
    """FetchResult → Article, with a ``failures`` output of Failure records."""

    def __init__(self, telemetry: TelemetryFactory = process_telemetry) -> None:
        super().__init__()
        self.telemetry = telemetry

    def expand(self, results: PCollection) -> DoOutputsTuple:
        return results | "Parse" >> beam.ParDo(ParseFeedDoFn(self.telemetry)).with_outputs(FAILURES, main="articles")


class DedupeArticles(beam.PTransform):
    """Article → Article, each article id once (bounded input: a backfill). The streaming job needs no
    per-article state: the poller passes on only entries a feed has not shown before, and the engine's
    create-only writes settle copies across feeds."""

    def __init__(self, telemetry: TelemetryFactory = process_telemetry) -> None:
        super().__init__()
        self.telemetry = telemetry

    def expand(self, articles: PCollection) -> PCollection:
        return (
            articles
            | "KeyById" >> beam.Map(lambda a: (a.article_id, a)).with_output_types(beam.typehints.KV[str, Article])
            | "GroupById" >> beam.GroupByKey()
            | "FirstOfEach" >> beam.ParDo(_FirstOfGroup(self.telemetry))
        )


class _FirstOfGroup(_CountingDoFn):
    """Bounded dedupe: the earliest-published copy of each article wins (deterministic)."""

    def process(self, element: tuple[str, Any]) -> Iterator[Article]:
        copies = sorted(element[1], key=lambda a: (a.published_at or "9999", a.feed_url, a.url))
        if len(copies) > 1:
            self.telemetry.deduplicated(len(copies) - 1)
        yield copies[0]


class ClassifyDoFn(_CountingDoFn):
    def process(self, article: Article) -> Iterator[ClassifiedArticle]:
        lifecycle.touch()
        verdict = classify(article.title, article.summary, article.body, article.language)
        self.telemetry.classified(verdict.relevant)
        if verdict.relevant:
            self.telemetry.relevant(verdict.topics)
        yield ClassifiedArticle(article, verdict)


class ClassifyBatchDoFn(_CountingDoFn):
    """FeedBatch → the same batch with its articles classified. Relevant articles are counted when the
    engine creates them (IndexBatches), so re-reads after a restart are never counted twice."""

    def process(self, batch: FeedBatch) -> Iterator[FeedBatch]:
        lifecycle.touch()
        classified = []
        for a in batch.articles:
            classified.append(ClassifiedArticle(a, classify(a.title, a.summary, a.body, a.language)))
        relevant = sum(1 for c in classified if c.classification.relevant)
        if relevant:
            self.telemetry.classified(True, relevant)
        if len(classified) > relevant:
            self.telemetry.classified(False, len(classified) - relevant)
        yield replace(batch, classified=tuple(classified))


class ClassifyBatches(beam.PTransform):
    """FeedBatch → FeedBatch with ``classified`` filled in. No I/O."""

    def __init__(self, telemetry: TelemetryFactory = process_telemetry) -> None:
        super().__init__()
        self.telemetry = telemetry

    def expand(self, batches: PCollection) -> PCollection:
        return batches | "Classify" >> beam.ParDo(ClassifyBatchDoFn(self.telemetry))


class ClassifyArticles(beam.PTransform):
    """Article → ClassifiedArticle (relevance, topics, entities, evidence). No I/O."""

    def __init__(self, telemetry: TelemetryFactory = process_telemetry) -> None:
        super().__init__()
        self.telemetry = telemetry

    def expand(self, articles: PCollection) -> PCollection:
        return articles | "Classify" >> beam.ParDo(ClassifyDoFn(self.telemetry))
