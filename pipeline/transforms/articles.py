"""ParseEntries, DedupeArticles, ClassifyArticles: feed bodies to classified, unique articles."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.coders import BooleanCoder
from apache_beam.pvalue import DoOutputsTuple, PCollection
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.utils.timestamp import Duration

from pipeline import lifecycle, metrics
from pipeline.detect import classify
from pipeline.model import Article, ClassifiedArticle, Failure, FetchResult
from pipeline.sources.parse import parse_feed
from pipeline.topics import UNTAGGED
from pipeline.transforms import beam_metrics
from pipeline.transforms.poll import count_poll

log = logging.getLogger(__name__)
FAILURES = "failures"  # tag of the dead-letter side output


class ParseFeedDoFn(beam.DoFn):
    """FetchResult → Article (main) and Failure (tagged ``failures``)."""

    def setup(self) -> None:
        self.m = metrics.get()

    def process(self, result: FetchResult) -> Iterator[Any]:
        lifecycle.touch()
        feed = result.feed
        parsed = parse_feed(result.body or b"", feed, dict(result.headers))
        beam_metrics.inc("feeds_read")
        if parsed.error:
            reason = parsed.reason or "parse_error"
            count_poll(self.m, reason, feed)
            beam_metrics.inc(f"failure_{reason}")
            self.m.entry_failures.labels(reason=reason).inc()
            log.warning("feed unusable: %s", parsed.error, extra={"feed_url": feed.url, "reason": reason})
            yield beam.pvalue.TaggedOutput(FAILURES, Failure("parse", reason, parsed.error, feed.url,
                                                             (result.body or b"")[:2000].decode("utf-8", "replace")))
            return
        count_poll(self.m, "ok", feed)
        self.m.entries_parsed.inc(parsed.entries)
        beam_metrics.inc("entries_parsed", parsed.entries)
        for failure in parsed.failures:
            self.m.entry_failures.labels(reason=failure.reason).inc()
            beam_metrics.inc(f"failure_{failure.reason}")
            yield beam.pvalue.TaggedOutput(FAILURES, failure)
        if parsed.failures:
            log.info("feed had %d unusable entries", len(parsed.failures),
                     extra={"feed_url": feed.url, "reasons": sorted({f.reason for f in parsed.failures})})
        yield from parsed.articles


class ParseEntries(beam.PTransform):
    """FetchResult → Article, with a ``failures`` output of Failure records."""

    def expand(self, results: PCollection) -> DoOutputsTuple:
        return results | "Parse" >> beam.ParDo(ParseFeedDoFn()).with_outputs(FAILURES, main="articles")


class DropSeenDoFn(beam.DoFn):
    """Keyed by article id: pass the first copy, drop the rest until the TTL expires.

    The TTL bounds memory in a job that runs for months; the search sink's
    create-only writes catch any re-appearance after expiry. The timer is in
    event time: elements carry the wall-clock time of the poll that found
    them, so this is a wall-clock TTL. (A processing-time timer would hold the
    watermark at the article's timestamp for the whole TTL and stall every
    event-time window downstream, such as the spike detector's.)
    """

    SEEN = ReadModifyWriteStateSpec("seen", BooleanCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s

    def setup(self) -> None:
        self.m = metrics.get()

    def process(self, element: tuple[str, Article], seen: Any = beam.DoFn.StateParam(SEEN),
                expiry: Any = beam.DoFn.TimerParam(EXPIRY),
                ts: Any = beam.DoFn.TimestampParam) -> Iterator[Article]:
        if seen.read():
            self.m.duplicates.inc()
            beam_metrics.inc("articles_duplicate")
            return
        seen.write(True)
        expiry.set(ts + Duration.of(self.ttl_s))
        beam_metrics.inc("articles_unique")
        yield element[1]

    @on_timer(EXPIRY)
    def expire(self, seen: Any = beam.DoFn.StateParam(SEEN)) -> None:
        seen.clear()


class DedupeArticles(beam.PTransform):
    """Article → Article, each article id once (within ``ttl_s`` in streaming; for ever in batch)."""

    def __init__(self, ttl_s: float = 7 * 24 * 3600.0, streaming: bool = True) -> None:
        super().__init__()
        self.ttl_s = ttl_s
        self.streaming = streaming

    def expand(self, articles: PCollection) -> PCollection:
        keyed = articles | "KeyById" >> beam.Map(lambda a: (a.article_id, a)).with_output_types(
            beam.typehints.KV[str, Article])
        if self.streaming:
            return keyed | "DropSeen" >> beam.ParDo(DropSeenDoFn(self.ttl_s))
        return (
            keyed
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


class ClassifyDoFn(beam.DoFn):
    def setup(self) -> None:
        self.m = metrics.get()

    def process(self, article: Article) -> Iterator[ClassifiedArticle]:
        lifecycle.touch()
        verdict = classify(article.title, article.summary, article.body, article.language)
        self.m.classified.labels(relevant=str(verdict.relevant).lower()).inc()
        if verdict.relevant:
            beam_metrics.inc("articles_relevant")
            for topic in verdict.topics or (UNTAGGED,):
                self.m.relevant.labels(topic=topic).inc()
                beam_metrics.inc(f"topic_{topic}")
        yield ClassifiedArticle(article, verdict)


class ClassifyArticles(beam.PTransform):
    """Article → ClassifiedArticle (relevance, topics, entities, evidence). No I/O."""

    def expand(self, articles: PCollection) -> PCollection:
        return articles | "Classify" >> beam.ParDo(ClassifyDoFn())
