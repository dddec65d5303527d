"""The search writer against the real OpenSearch node started by deploy/local/stack.sh."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from pipeline.config import SearchSettings
from pipeline.errors import SearchUnavailable
from pipeline.sinks.document import ARTICLES_TEMPLATE_NAME, articles_template
from pipeline.sinks.search import HttpClient, SearchWriter

pytestmark = pytest.mark.integration


@pytest.fixture
def index(search_url: str) -> Iterator[str]:
    name = f"news-articles-test-{uuid.uuid4().hex[:8]}"
    yield name
    HttpClient(SearchSettings(url=search_url)).request("DELETE", f"/{name}")


def doc(n: int, **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"article_id": f"id-{n:04d}", "url": f"https://e.org/{n}", "title": f"India US trade talk {n}",
                         "summary": "Tariffs and negotiations between Washington and New Delhi", "source": "Test",
                         "published_at": "2026-01-01T00:00:00Z", "@timestamp": "2026-01-01T00:00:00Z",
                         "relevant": True, "relevance_score": 0.9, "topics": ["trade"], "entities": ["New Delhi"]}
    d.update(extra)
    return d


def test_connect_detects_opensearch_and_installs_template_once(search_url: str) -> None:
    writer = SearchWriter(SearchSettings(url=search_url))
    engine, version = writer.connect()
    assert engine == "opensearch" and version.startswith("2.19")
    writer.ensure_template()
    assert writer.ensure_template() is False  # same version: not rewritten
    got = writer.client.request("GET", f"/_index_template/{ARTICLES_TEMPLATE_NAME}")
    meta = got["index_templates"][0]["index_template"]["_meta"]
    assert meta == articles_template()["_meta"]


def test_create_is_idempotent_and_mapping_errors_are_per_document(search_url: str, index: str) -> None:
    writer = SearchWriter(SearchSettings(url=search_url, index=index), max_attempts=3)
    writer.connect()
    writer.ensure_template()
    first = writer.write([doc(i) for i in range(5)])
    assert (first.created, first.existing, first.failed) == (5, 0, [])
    bad = doc(99, relevance_score="not a number")
    second = writer.write([doc(i) for i in range(7)] + [bad])
    assert (second.created, second.existing) == (2, 5)
    [(failed_doc, reason, detail)] = second.failed
    assert failed_doc["article_id"] == "id-0099"
    assert reason == "mapper_parsing_exception" and detail
    writer.refresh()
    count = writer.client.request("GET", f"/{index}/_count")["count"]
    assert count == 7
    hits = writer.client.request("POST", f"/{index}/_search", {
        "query": {"match": {"summary": "negotiation"}}, "highlight": {"fields": {"summary": {}}},
        "aggs": {"topics": {"terms": {"field": "topics"}}}})
    assert hits["hits"]["total"]["value"] == 7
    assert "<em>negotiations</em>" in hits["hits"]["hits"][0]["highlight"]["summary"][0]
    assert hits["aggregations"]["topics"]["buckets"][0] == {"key": "trade", "doc_count": 7}


def test_unreachable_engine_is_retried_then_reported() -> None:
    slept: list[float] = []
    writer = SearchWriter(SearchSettings(url="http://127.0.0.1:9", index="x"), max_attempts=3, sleep=slept.append)
    with pytest.raises(SearchUnavailable, match="unreachable"):
        writer.write([doc(1)])
    assert len(slept) == 2 and all(0 < s <= 30 for s in slept)
