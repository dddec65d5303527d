"""ParseEntries, DedupeArticles, ClassifyArticles(/Batches): feed bodies to classified, unique articles."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import apache_beam as beam
from apache_beam.pvalue import DoOutputsTuple, PCollection

from pipeline import lifecycle, metrics
from pipeline.detect import classify
from pipeline.model import Article, ClassifiedArticle, FeedBatch, FetchResult
from pipeline.topics import UNTAGGED
from pipeline.transforms import beam_metrics
from pipeline.transforms.poll import FAILURES, parse_counted

log = logging.getLogger(__name__)


class ParseFeedDoFn(beam.DoFn):
    """FetchResult → Article (main) and Failure (tagged ``failures``)."""

    def setup(self) -> None:
        self.m = metrics.get()

    def process(self, result: FetchResult) -> Iterator[Any]:
        lifecycle.touch()
        parsed, failures = parse_counted(result.feed, result, self.m)
        for failure in failures:
            yield beam.pvalue.TaggedOutput(FAILURES, failure)
        yield from parsed.articles


class ParseEntries(beam.PTransform):
    """FetchResult → Article, with a ``failures`` output of Failure records."""

    def expand(self, results: PCollection) -> DoOutputsTuple:
        return results | "Parse" >> beam.ParDo(ParseFeedDoFn()).with_outputs(FAILURES, main="articles")


class DedupeArticles(beam.PTransform):
    """Article → Article, each article id once (bounded input: a backfill). The streaming job needs no
    per-article state: the poller passes on only entries a feed has not shown before, and the engine's
    create-only writes settle copies across feeds."""

    def expand(self, articles: PCollection) -> PCollection:
        return (
            articles
            | "KeyById" >> beam.Map(lambda a: (a.article_id, a)).with_output_types(beam.typehints.KV[str, Article])
            | "GroupById" >> beam.GroupByKey()
            | "FirstOfEach" >> beam.ParDo(_FirstOfGroup())
        )


class _FirstOfGroup(beam.DoFn):
    """Bounded dedupe: the earliest-published copy of each article wins (deterministic)."""

    def setup(self) -> None:
        self.m = metrics.get()

    def process(self, element: tuple[str, Any]) -> Iterator[Article]:
        copies = sorted(element[1], key=lambda a: (a.published_at or "9999", a.feed_url, a.url))
        if len(copies) > 1:
            self.m.duplicates.inc(len(copies) - 1)
            beam_metrics.inc("articles_duplicate", len(copies) - 1)
        beam_metrics.inc("articles_unique")
        yield copies[0]


def count_relevant(m: metrics.Metrics, item: ClassifiedArticle) -> None:
    """One relevant article for the topic counters (the spike alerts' input)."""
    beam_metrics.inc("articles_relevant")
    for topic in item.classification.topics or (UNTAGGED,):
        m.relevant.labels(topic=topic).inc()
        beam_metrics.inc(f"topic_{topic}")


class ClassifyDoFn(beam.DoFn):
    def setup(self) -> None:
        self.m = metrics.get()

    def process(self, article: Article) -> Iterator[ClassifiedArticle]:
        lifecycle.touch()
        verdict = classify(article.title, article.summary, article.body, article.language)
        self.m.classified.labels(relevant=str(verdict.relevant).lower()).inc()
        item = ClassifiedArticle(article, verdict)
        if verdict.relevant:
            count_relevant(self.m, item)
        yield item


class ClassifyBatchDoFn(beam.DoFn):
    """FeedBatch → the same batch with its articles classified. Relevant articles are counted when the
    engine creates them (IndexBatches), so re-reads after a restart are never counted twice."""

    def setup(self) -> None:
        self.m = metrics.get()

    def process(self, batch: FeedBatch) -> Iterator[FeedBatch]:
        lifecycle.touch()
        classified = []
        for a in batch.articles:
            verdict = classify(a.title, a.summary, a.body, a.language)
            self.m.classified.labels(relevant=str(verdict.relevant).lower()).inc()
            classified.append(ClassifiedArticle(a, verdict))
        yield replace(batch, classified=tuple(classified))


class ClassifyBatches(beam.PTransform):
    """FeedBatch → FeedBatch with ``classified`` filled in. No I/O."""

    def expand(self, batches: PCollection) -> PCollection:
        return batches | "Classify" >> beam.ParDo(ClassifyBatchDoFn())


class ClassifyArticles(beam.PTransform):
    """Article → ClassifiedArticle (relevance, topics, entities, evidence). No I/O."""

    def expand(self, articles: PCollection) -> PCollection:
        return articles | "Classify" >> beam.ParDo(ClassifyDoFn())
