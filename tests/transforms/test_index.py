"""IndexArticles, IndexBatches and WriteDeadLetters on the DirectRunner, over a fake engine and a fresh registry.

What each writer sends to the engine, what it dead-letters, and what it counts —
in Prometheus (the injected registry) and in the job's Beam counters, under
the names :mod:`pipeline.telemetry.metrics` derives for both.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from prometheus_client import CollectorRegistry

from pipeline.core.config import SearchSettings
from pipeline.core.dates import to_iso, utc_now
from pipeline.core.model import Article, ClassifiedArticle, Failure, Feed, FeedBatch, FeedCommit
from pipeline.detect import classify
from pipeline.sinks.document import ALERTS_INDEX, DEADLETTER_INDEX, article_index, to_document
from pipeline.sinks.feedstate import feed_doc_id, feeds_index
from pipeline.sinks.search import BulkReport, deadletter_id
from pipeline.telemetry import metrics
from pipeline.transforms.beam_metrics import counters
from pipeline.transforms.index import IndexAlerts, IndexArticles, IndexBatches, WriteDeadLetters, report_refused
from tests.support.fakes import collector, fakes

FEED = "https://desk.example/rss"


def article(n: int, title: str, summary: str = "") -> ClassifiedArticle:
    a = Article(
        article_id=f"a{n}",
        url=f"https://desk.example/{n}",
        title=title,
        feed_url=FEED,
        summary=summary,
        published_at="2026-11-30T08:00:00+00:00",
        seen_at=to_iso(utc_now()),
    )
    return ClassifiedArticle(a, classify(a.title, a.summary, a.body, a.language))


def run(build: Any) -> dict[str, int]:
    """Run the pipeline ``build`` adds to; the job's Beam counters by name."""
    p = TestPipeline()
    build(p)
    result = p.run()
    result.wait_until_finish()
    return counters(result)


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def test_index_articles_creates_new_ones_counts_existing_and_dead_letters_refused(tmp_path: Path) -> None:
    engine, registry, writer, telemetry = fakes()
    new, there, refused = (
        article(1, "US and India sign trade pact on tariffs"),
        article(2, "India and US agree defence deal on jet engines"),
        article(3, "US, India talks on H-1B visas resume"),
    )
    local = article(4, "Pacers beat Celtics in Indianapolis", "A late three-pointer settled it.")
    assert all(c.classification.relevant for c in (new, there, refused)) and not local.classification.relevant
    doc = to_document(there, to_iso(utc_now()))
    engine.index(article_index("news-articles", doc))[doc["article_id"]] = doc  # indexed by an earlier run
    engine.refuse["a3"] = "mapper_parsing_exception"
    settings = SearchSettings(url="http://engine.invalid", deadletter_path=str(tmp_path / "dl.jsonl"))

    beam_counts = run(
        lambda p: (
            p | beam.Create([new, there, refused, local]) | IndexArticles(settings, writer=writer, telemetry=telemetry)
        )
    )

    stored = {doc_id for docs in engine.docs.values() for doc_id in docs}
    assert stored == {"a1", "a2"} | set(engine.index(DEADLETTER_INDEX)), "an irrelevant article was indexed"
    assert engine.index("news-articles-2026")["a1"]["title"] == new.article.title
    [letter] = [json.loads(line) for line in (tmp_path / "dl.jsonl").read_text().splitlines()]
    assert (letter["stage"], letter["reason"], json.loads(letter["payload"])["article_id"]) == (
        "index",
        "mapper_parsing_exception",
        "a3",
    )
    [indexed_letter] = engine.index(DEADLETTER_INDEX).values()
    assert indexed_letter["reason"] == "mapper_parsing_exception" and indexed_letter["feed_url"] == FEED

    expected = {
        (metrics.DOCUMENTS_INDEXED, ("result", "created")): 1,
        (metrics.DOCUMENTS_INDEXED, ("result", "exists")): 1,
        (metrics.INDEX_ERRORS, ("reason", "mapper_parsing_exception")): 1,
        (metrics.DEADLETTERS, ("stage", "index")): 1,
    }
    for (name, (label, label_value)), n in expected.items():
        assert value(registry, name, **{label: label_value}) == n, name
        assert beam_counts[metrics.beam_name(name, **{label: label_value})] == n, name
    # Latency of what the engine holds (created or already there), not of the refused document.
    assert value(registry, "newsmon_end_to_end_latency_seconds_count", since="seen") == 2
    assert value(registry, "newsmon_end_to_end_latency_seconds_count", since="published") == 2
    assert value(registry, "newsmon_index_request_duration_seconds_count") == 1


def test_index_articles_a_rerun_creates_nothing(tmp_path: Path) -> None:
    engine, registry, writer, telemetry = fakes()
    items = [
        article(1, "US and India sign trade pact on tariffs"),
        article(2, "India and US agree defence deal on jet engines"),
    ]
    settings = SearchSettings(url="http://engine.invalid", deadletter_path=str(tmp_path / "dl.jsonl"))
    for _ in range(2):
        beam_counts = run(
            lambda p: p | beam.Create(items) | IndexArticles(settings, writer=writer, telemetry=telemetry)
        )
    assert sorted(engine.index("news-articles-2026")) == ["a1", "a2"]
    assert value(registry, metrics.DOCUMENTS_INDEXED, result="created") == 2  # both from the first run
    assert value(registry, metrics.DOCUMENTS_INDEXED, result="exists") == 2
    assert metrics.beam_total(beam_counts, metrics.DOCUMENTS_INDEXED, result="created") == 0  # this job's own
    assert metrics.beam_total(beam_counts, metrics.DOCUMENTS_INDEXED, result="exists") == 2
    assert not (tmp_path / "dl.jsonl").exists()


def test_write_dead_letters_appends_indexes_once_and_counts_by_stage(tmp_path: Path) -> None:
    engine, registry, writer, telemetry = fakes()
    failures = [
        Failure("parse", "no_link", "entry without a link", FEED, "<item><title>x</title></item>"),
        Failure("parse", "not_a_feed", "an HTML page", "https://b.example/rss", "<html>"),
        Failure("read", "unreadable", "permission denied", "file:///feeds/c.xml"),
    ]
    path = tmp_path / "dead" / "letters.jsonl"
    settings = SearchSettings(url="http://engine.invalid")

    def build(p: beam.Pipeline) -> None:
        _ = p | beam.Create(failures) | WriteDeadLetters(str(path), settings, writer=writer, telemetry=telemetry)

    first = run(build)
    run(build)  # a retried bundle, or the same input again

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted((r["stage"], r["reason"], r["feed_url"]) for r in lines) == sorted(
        [(f.stage, f.reason, f.feed_url) for f in failures] * 2
    )
    assert all(r["at"] and r["payload"] == next(f.payload for f in failures if f.reason == r["reason"]) for r in lines)
    assert sorted(d["reason"] for d in engine.index(DEADLETTER_INDEX).values()) == [
        "no_link",
        "not_a_feed",
        "unreadable",
    ], "the index files each failure once"
    assert value(registry, metrics.DEADLETTERS, stage="parse") == 4
    assert value(registry, metrics.DEADLETTERS, stage="read") == 2
    assert metrics.beam_by_label(first, metrics.DEADLETTERS, "stage") == {"parse": 2, "read": 1}


def test_write_dead_letters_without_an_engine_writes_the_file_only(tmp_path: Path) -> None:
    engine, registry, writer, telemetry = fakes()
    path = tmp_path / "dl.jsonl"
    failure = Failure("fetch", "timeout", "no answer in 20 s", FEED)
    beam_counts = run(
        lambda p: p | beam.Create([failure]) | WriteDeadLetters(str(path), None, writer=writer, telemetry=telemetry)
    )
    [line] = path.read_text().splitlines()
    assert json.loads(line)["reason"] == "timeout" and engine.docs == {}
    assert value(registry, metrics.DEADLETTERS, stage="fetch") == 1
    assert beam_counts == {metrics.beam_name(metrics.DEADLETTERS, stage="fetch"): 1}


def test_index_batches_passes_on_and_counts_only_what_the_engine_created_then_commits_the_feed(tmp_path: Path) -> None:
    engine, registry, writer, telemetry = fakes()
    feed = Feed(url=FEED, name="Desk")
    items = (
        article(1, "US and India sign trade pact on tariffs"),
        article(2, "Pacers beat Celtics in Indianapolis", "A late three-pointer settled it."),
    )
    batch = FeedBatch(
        feed, tuple(c.article for c in items), FeedCommit(FEED, '"v1"', None, "h1", ("a1", "a2")), classified=items
    )
    settings = SearchSettings(url="http://engine.invalid", deadletter_path=str(tmp_path / "dl.jsonl"))
    passed_on = []
    for _ in range(2):  # the second time: a replay after a restart
        keep, created = collector()
        beam_counts = run(
            lambda p, keep=keep: (
                p | beam.Create([batch]) | IndexBatches(settings, writer=writer, telemetry=telemetry) | beam.Map(keep)
            )
        )
        passed_on.append(([c.article.article_id for c in created], beam_counts))

    (first, first_counts), (second, second_counts) = passed_on
    assert first == ["a1"] and second == []  # relevant and newly created only; a replay passes on nothing
    assert sorted(engine.index("news-articles-2026")) == ["a1"]  # only relevant articles are indexed
    committed = engine.index(feeds_index(settings.index))[feed_doc_id(FEED)]["committed"]
    assert (committed["etag"], committed["seen_ids"]) == ('"v1"', ["a1", "a2"])
    assert value(registry, metrics.RELEVANT_ARTICLES, topic="trade") == 1  # counted once, not on the replay
    assert metrics.beam_by_label(first_counts, metrics.RELEVANT_ARTICLES, "topic") == {"trade": 1}
    assert metrics.beam_total(second_counts, metrics.RELEVANT_ARTICLES) == 0
    assert metrics.beam_total(second_counts, metrics.DOCUMENTS_INDEXED, result="exists") == 1


def test_a_dead_letter_the_index_refuses_is_counted_and_stays_in_the_file(tmp_path: Path) -> None:
    engine, registry, writer, telemetry = fakes()
    kept = Failure("parse", "no_link", "entry without a link", FEED, "<item/>")
    refused = Failure("parse", "not_a_feed", "an HTML page", FEED, "<html>")
    engine.refuse[deadletter_id(refused.to_dict())] = "mapper_parsing_exception"
    path = tmp_path / "dl.jsonl"
    run(
        lambda p: (
            p
            | beam.Create([kept, refused])
            | WriteDeadLetters(
                str(path), SearchSettings(url="http://engine.invalid"), writer=writer, telemetry=telemetry
            )
        )
    )

    assert sorted(json.loads(line)["reason"] for line in path.read_text().splitlines()) == ["no_link", "not_a_feed"]
    assert [d["reason"] for d in engine.index(DEADLETTER_INDEX).values()] == ["no_link"]
    assert value(registry, metrics.INDEX_ERRORS, reason="mapper_parsing_exception") == 1
    assert value(registry, metrics.DEADLETTERS, stage="parse") == 2


def test_index_alerts_writes_each_alert_once_and_dead_letters_one_the_engine_refuses(tmp_path: Path) -> None:
    engine, registry, writer, telemetry = fakes()
    alerts = [
        {
            "alert_id": f"trade-{n}",
            "topic": "trade",
            "count": 9,
            "baseline": 2.0,
            "ratio": 4.5,
            "window_end": "2026-11-30T08:15:00Z",
        }
        for n in (1, 2)
    ]
    engine.refuse["trade-2"] = "mapper_parsing_exception"
    settings = SearchSettings(url="http://engine.invalid", deadletter_path=str(tmp_path / "dl.jsonl"))

    def build(p: beam.Pipeline) -> None:
        _ = p | beam.Create(alerts) | IndexAlerts(settings, writer=writer, telemetry=telemetry)

    run(build)
    run(build)  # a retried bundle: create-only on the alert id

    assert list(engine.index(ALERTS_INDEX)) == ["trade-1"]
    lines = [json.loads(line) for line in (tmp_path / "dl.jsonl").read_text().splitlines()]
    assert [(r["stage"], r["reason"]) for r in lines] == [("alert", "mapper_parsing_exception")] * 2
    assert json.loads(lines[0]["payload"])["alert_id"] == "trade-2"
    assert value(registry, metrics.INDEX_ERRORS, reason="mapper_parsing_exception") == 2
    assert value(registry, metrics.DEADLETTERS, stage="alert") == 2


def test_report_refused_turns_each_refused_document_into_a_counted_logged_failure(caplog: Any) -> None:
    _, registry, _, telemetry = fakes()
    article_doc = {"article_id": "a3", "feed_url": FEED, "title": "t"}
    alert_doc = {"alert_id": "trade-2", "topic": "trade"}
    report = BulkReport(
        created=1, failed=[(article_doc, "mapper_parsing_exception", "bad date"), (alert_doc, "version_conflict", "x")]
    )

    with caplog.at_level(logging.WARNING, logger="pipeline.transforms.index"):
        failures = report_refused(report, "alert", telemetry(), "rejected: %s: %s", ("alert_id", "topic"))

    assert failures == [
        Failure("alert", "mapper_parsing_exception", "bad date", FEED, json.dumps(article_doc)),
        Failure("alert", "version_conflict", "x", "", json.dumps(alert_doc)),  # no feed_url: an alert's
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "rejected: mapper_parsing_exception: bad date",
        "rejected: version_conflict: x",
    ]
    assert [(vars(r)["alert_id"], vars(r)["topic"]) for r in caplog.records] == [
        (None, None),
        ("trade-2", "trade"),
    ]
    assert value(registry, metrics.INDEX_ERRORS, reason="mapper_parsing_exception") == 1
    assert value(registry, metrics.INDEX_ERRORS, reason="version_conflict") == 1
    assert report_refused(BulkReport(created=2), "index", telemetry(), "rejected: %s: %s", ()) == []
