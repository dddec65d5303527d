"""The search sink against the real OpenSearch node started by deploy/local/stack.sh."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from pipeline.core.config import SearchSettings
from pipeline.core.errors import SearchError, SearchUnavailable
from pipeline.core.model import Article, Classification, ClassifiedArticle
from pipeline.sinks import document
from pipeline.sinks.engines import HttpClient, OpenSearchClient
from pipeline.sinks.search import SearchWriter
from pipeline.telemetry import metrics
from pipeline.transforms.index import IndexArticles

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(search_url: str, tmp_path: Path) -> Iterator[SearchSettings]:
    s = SearchSettings(
        url=search_url,
        index=f"news-articles-test-{uuid.uuid4().hex[:8]}",
        deadletter_path=str(tmp_path / "deadletter.jsonl"),
    )
    yield s
    client = HttpClient(s)
    with contextlib.suppress(SearchError):
        client.request("DELETE", f"/{s.index}-*")
        client.request("DELETE", f"/_index_template/newsmon-{s.index}")


def doc(n: int, **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "article_id": f"id-{n:04d}",
        "url": f"https://e.org/{n}",
        "title": f"India US trade talk {n}",
        "summary": "Tariffs and negotiations between Washington and New Delhi",
        "source": "Test",
        "published_at": "2026-01-01T00:00:00Z",
        "@timestamp": "2026-01-01T00:00:00Z",
        "relevant": True,
        "relevance_score": 0.9,
        "topics": ["trade"],
        "entities": ["New Delhi"],
    }
    d.update(extra)
    return d


def test_connect_picks_the_opensearch_client_and_installs_templates_once(settings: SearchSettings) -> None:
    writer = SearchWriter(settings)
    engine, version = writer.connect()
    assert engine == "opensearch" and version.startswith("2.19")
    assert isinstance(writer.client, OpenSearchClient)
    writer.ensure_templates()
    assert writer.ensure_templates() == []  # same versions: nothing rewritten
    got = writer.client.request("GET", f"/_index_template/newsmon-{settings.index}")
    installed = got["index_templates"][0]["index_template"]
    assert installed["index_patterns"] == [f"{settings.index}-*"]
    assert installed["_meta"]["newsmon_template_version"] == document.template_version(document.articles_template())
    for name in ("newsmon-alerts", "newsmon-deadletter"):
        assert writer.client.request("GET", f"/_index_template/{name}")["index_templates"]


def test_a_newer_template_version_is_installed_over_the_old_one(
    settings: SearchSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = SearchWriter(settings)
    writer.connect()
    writer.ensure_templates()
    newer = document.articles_template(settings.index)
    newer["_meta"]["newsmon_template_version"] += 1
    newer["template"]["mappings"]["properties"]["newsroom_note"] = {"type": "text"}
    monkeypatch.setattr("pipeline.sinks.search.articles_template", lambda prefix: newer)
    assert writer.ensure_templates() == [f"newsmon-{settings.index}"]
    got = writer.client.request("GET", f"/_index_template/newsmon-{settings.index}")["index_templates"][0]
    assert "newsroom_note" in got["index_template"]["template"]["mappings"]["properties"]


def test_create_is_idempotent_routes_by_year_and_reports_mapping_errors_per_document(
    settings: SearchSettings,
) -> None:
    writer = SearchWriter(settings, max_attempts=3)
    writer.connect()
    writer.ensure_templates()
    docs = [doc(i) for i in range(4)] + [doc(4, published_at="2025-06-01T00:00:00Z", **{"@timestamp": "2025-06-01"})]
    first = writer.write(docs)
    assert (first.created, first.existing, first.failed) == (5, 0, [])
    bad = doc(99, relevance_score="not a number")
    second = writer.write([*docs, doc(5), bad])
    assert (second.created, second.existing) == (1, 5)
    [(failed_doc, reason, detail)] = second.failed
    assert failed_doc["article_id"] == "id-0099"
    assert reason == "mapper_parsing_exception" and detail
    writer.refresh()
    counts = {
        year: writer.client.request("GET", f"/{settings.index}-{year}/_count")["count"] for year in ("2025", "2026")
    }
    assert counts == {"2025": 1, "2026": 5}


def test_search_full_text_highlight_filters_and_facets(settings: SearchSettings) -> None:
    writer = SearchWriter(settings)
    writer.connect()
    writer.ensure_templates()
    writer.write(
        [
            doc(1),
            doc(2, topics=["defense"], title="Pentagon and India sign defence pact", source="Wire"),
            doc(3, published_at="2024-01-01T00:00:00Z", **{"@timestamp": "2024-01-01T00:00:00Z"}),
        ]
    )
    writer.refresh()
    hits = writer.client.request(
        "POST",
        f"/{settings.index}-*/_search",
        {
            "query": {
                "bool": {
                    "must": {"match": {"summary": "negotiation"}},
                    "filter": [{"term": {"topics": "trade"}}, {"range": {"published_at": {"gte": "2025-01-01"}}}],
                }
            },
            "highlight": {"fields": {"summary": {}}},
            "aggs": {"topics": {"terms": {"field": "topics"}}},
        },
    )
    assert [h["_source"]["article_id"] for h in hits["hits"]["hits"]] == ["id-0001"]
    assert "<em>negotiations</em>" in hits["hits"]["hits"][0]["highlight"]["summary"][0]
    assert hits["aggregations"]["topics"]["buckets"] == [{"key": "trade", "doc_count": 1}]


def test_pipeline_dead_letters_a_rejected_document_and_indexes_its_batch_mates(
    settings: SearchSettings, request: pytest.FixtureRequest
) -> None:
    # A prefix outside news-articles-*: a template installed by a default deployment on the same engine
    # (pattern news-articles-*) would merge its mapping into the strict index below.
    settings = replace(settings, index=f"strict-articles-{uuid.uuid4().hex[:8]}")

    def cleanup() -> None:
        with contextlib.suppress(SearchError):
            HttpClient(settings).request("DELETE", f"/{settings.index}-*")

    request.addfinalizer(cleanup)
    writer = SearchWriter(settings)
    writer.connect()
    writer.ensure_templates()
    # An index made by an older, stricter mapping without `body`: articles with a body are rejected.
    # (The current template is removed first, or the engine would merge its mapping back in.)
    old = document.articles_template(settings.index)["template"]
    del old["mappings"]["properties"]["body"]
    writer.client.request("DELETE", f"/_index_template/newsmon-{settings.index}")
    writer.client.request("PUT", f"/{settings.index}-2026", old)
    verdict = Classification(True, 0.9, ("trade",), (), ("tariff",), {"rule": "test"})
    articles = [
        ClassifiedArticle(
            Article(
                article_id=f"a{i}",
                url=f"https://e.org/{i}",
                title=f"India US {i}",
                body="long body" if i == 1 else "",
                published_at="2026-02-01T00:00:00Z",
                seen_at="2026-02-01T00:00:00Z",
            ),
            verdict,
        )
        for i in range(3)
    ]
    before = metrics.get().registry.get_sample_value("newsmon_deadletter_records_total", {"stage": "index"}) or 0
    with TestPipeline() as p:
        _ = p | beam.Create(articles) | IndexArticles(settings)
    writer.refresh()
    assert writer.client.request("GET", f"/{settings.index}-2026/_count")["count"] == 2
    [record] = [json.loads(line) for line in Path(settings.deadletter_path).read_text().splitlines()]
    assert (record["stage"], record["reason"]) == ("index", "strict_dynamic_mapping_exception")
    assert json.loads(record["payload"])["article_id"] == "a1"
    after = metrics.get().registry.get_sample_value("newsmon_deadletter_records_total", {"stage": "index"})
    assert after == before + 1
    writer.client.request("POST", "/news-deadletter/_refresh")
    by_reason = writer.client.request(
        "POST", "/news-deadletter/_count", {"query": {"term": {"reason": "strict_dynamic_mapping_exception"}}}
    )
    assert by_reason["count"] >= 1


def test_unreachable_engine_is_retried_then_reported(settings: SearchSettings) -> None:
    slept: list[float] = []
    down = replace(settings, url="http://127.0.0.1:9")
    writer = SearchWriter(down, client=OpenSearchClient(down), max_attempts=3, sleep=slept.append)
    with pytest.raises(SearchUnavailable, match="unreachable"):
        writer.write([doc(1)])
    assert len(slept) == 2 and all(0 < s <= 30 for s in slept)


def test_connect_waits_then_names_the_fix(settings: SearchSettings) -> None:
    writer = SearchWriter(replace(settings, url="http://127.0.0.1:9"), sleep=lambda s: None)
    with pytest.raises(SearchUnavailable, match="fix: start the engine"):
        writer.connect(wait_s=0)


def test_an_article_whose_date_changes_is_still_indexed_once(settings: SearchSettings) -> None:
    """First seen undated, then dated; dated 31 December, then re-dated 1 January: one document each."""
    writer = SearchWriter(settings)
    writer.connect()
    writer.ensure_templates()
    undated = doc(1, published_at="2026-03-01T10:00:00Z", published_at_estimated=True, seen_at="2026-03-01T10:00:00Z")
    assert writer.write([undated]).created == 1
    dated = doc(1, published_at="2026-02-28T09:00:00Z", published_at_estimated=False)
    again = writer.write([dated])  # no refresh in between: the lookup is a realtime _mget
    assert (again.created, again.existing) == (0, 1)
    assert writer.write([doc(2, published_at="2025-12-31T23:30:00Z")]).created == 1
    redated = writer.write([doc(2, published_at="2026-01-01T00:30:00Z"), doc(3)])
    assert (redated.created, redated.existing) == (1, 1)
    writer.refresh()
    got = writer.client.request("POST", f"/{settings.index}-*/_search", {"size": 10, "_source": ["article_id"]})
    ids = sorted(h["_source"]["article_id"] for h in got["hits"]["hits"])
    assert ids == ["id-0001", "id-0002", "id-0003"]


def test_other_indices_are_the_neighbours_an_article_may_have_moved_from() -> None:
    assert document.other_indices("p", {"published_at": "2026-01-01T00:00:00Z"}) == ["p-undated", "p-2025", "p-2027"]
    assert document.other_indices("p", {"published_at": "2026-05-01T00:00:00Z", "published_at_estimated": True}) == [
        "p-2026",
        "p-2025",
        "p-2027",
    ]


def test_a_dead_letter_written_twice_is_one_document(settings: SearchSettings) -> None:
    """A retried bundle re-sends its dead letters; their id comes from their content, not their time."""
    writer = SearchWriter(settings)
    writer.connect()
    writer.ensure_templates()
    marker = uuid.uuid4().hex
    record = {
        "stage": "parse",
        "reason": "not_a_feed",
        "detail": f"test {marker}",
        "feed_url": "https://e.org/x",
        "payload": "<html/>",
    }
    writer.write_deadletters([record | {"at": "2026-12-01T10:00:00Z"}])
    writer.write_deadletters([record | {"at": "2026-12-01T10:00:05Z"}])
    writer.client.request("POST", f"/{document.DEADLETTER_INDEX}/_refresh")
    got = writer.client.request(
        "POST", f"/{document.DEADLETTER_INDEX}/_search", {"query": {"match_phrase": {"detail": f"test {marker}"}}}
    )
    assert got["hits"]["total"]["value"] == 1


def test_the_local_node_without_index_management_is_read_as_no_lifecycle_api(
    settings: SearchSettings, caplog: pytest.LogCaptureFixture
) -> None:
    """The minimal local node has no ISM plugin: its real answer (400 ``no handler found for uri``) is the one
    answer taken for "no lifecycle API"; start-up goes on with a warning, at 7 days and again at 30. (The
    rewrite of a policy whose retention changed needs the plugin: tests/unit/test_retention_policy.py.)"""
    from pipeline.sinks.engines import no_such_api

    with pytest.raises(SearchError) as answer:
        OpenSearchClient(settings).request("GET", "/_plugins/_ism/policies/newsmon-articles-x")
    assert no_such_api(answer.value) and "no handler found for uri" in str(answer.value)
    written = []
    for days in (7, 30):
        writer = SearchWriter(replace(settings, retention_days=days))
        writer.connect()
        assert writer._install_lifecycle() is None
        written.append(writer.ensure_templates())
    assert f"newsmon-{settings.index}" in written[0] and written[1] == []
    assert "no lifecycle API" in caplog.text
