from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.app.searching import SearchRequest, build_query, parse_when, render, summarise
from pipeline.core.errors import ConfigError

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("7d", "2026-03-03T12:00:00Z"),
        ("24h", "2026-03-09T12:00:00Z"),
        ("30m", "2026-03-10T11:30:00Z"),
        ("2026-01-31", "2026-01-31T00:00:00Z"),
        ("2026-01-31T10:00:00+05:30", "2026-01-31T04:30:00Z"),
    ],
)
def test_parse_when(raw: str, iso: str) -> None:
    assert parse_when(raw, NOW) == iso


def test_parse_when_rejects_garbage() -> None:
    with pytest.raises(ConfigError, match="fix"):
        parse_when("last tuesday", NOW)


def test_query_filters() -> None:
    q = build_query(
        SearchRequest(
            text="tariffs",
            topics=("trade",),
            sources=("Reuters",),
            languages=("en",),
            since="2026-01-01T00:00:00Z",
            size=5,
        )
    )
    filters = q["query"]["bool"]["filter"]
    assert {"term": {"relevant": True}} in filters
    assert {"terms": {"topics": ["trade"]}} in filters
    assert {"terms": {"source": ["Reuters"]}} in filters
    assert {"terms": {"language": ["en"]}} in filters
    assert {"range": {"published_at": {"gte": "2026-01-01T00:00:00Z"}}} in filters
    assert q["query"]["bool"]["must"]["simple_query_string"]["query"] == "tariffs"
    assert q["size"] == 5 and "topics" in q["aggs"]


def test_empty_text_lists_latest_and_unknown_topic_is_refused() -> None:
    q = build_query(SearchRequest(only_relevant=False))
    assert q["query"]["bool"] == {"must": {"match_all": {}}, "filter": []}
    assert q["sort"] == [{"published_at": "desc"}]
    with pytest.raises(ConfigError, match="not a topic"):
        build_query(SearchRequest(topics=("sports",)))


def test_summarise_and_render() -> None:
    response = {
        "hits": {
            "total": {"value": 1},
            "hits": [
                {
                    "_score": 2.0,
                    "_source": {
                        "article_id": "a",
                        "title": "US and India cut tariffs",
                        "url": "https://e.org/a",
                        "source": "Wire",
                        "published_at": "2026-03-01T10:00:00Z",
                        "topics": ["trade"],
                        "summary": "s",
                    },
                    "highlight": {"summary": ["cut <<tariffs>> on goods"]},
                }
            ],
        },
        "aggregations": {"topics": {"buckets": [{"key": "trade", "doc_count": 1}]}, "sources": {"buckets": []}},
    }
    s = summarise(response)
    assert s["total"] == 1 and s["topics"] == {"trade": 1}
    assert s["hits"][0]["snippet"] == "cut <<tariffs>> on goods"
    text = render(s)
    assert "cut [tariffs] on goods" in text and "2026-03-01 10:00  Wire  [trade]" in text
    assert "topics: trade 1" in text
