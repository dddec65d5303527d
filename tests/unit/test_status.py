"""`newsmon status` pure logic: query bodies, folding engine and job answers into the report, the screen."""

from __future__ import annotations

from typing import Any

from pipeline.app.status import (
    counts_query,
    doc_counts,
    endpoint_result,
    exit_code,
    feeds_summary,
    last_hour_from_response,
    last_hour_query,
    recent_alerts_query,
    render,
)
from pipeline.core.dates import unix_to_iso
from pipeline.core.topics import TOPICS

NOW = 1_764_590_400.0  # 2025-12-01T12:00:00Z


def test_last_hour_counts_relevant_documents_by_ingestion_time_per_topic() -> None:
    q = last_hour_query(NOW)
    assert q["size"] == 0
    assert {"term": {"relevant": True}} in q["query"]["bool"]["filter"]
    assert {"range": {"ingested_at": {"gte": unix_to_iso(NOW - 3600)}}} in q["query"]["bool"]["filter"]
    assert list(q["aggs"]["topics"]["filters"]["filters"]) == list(TOPICS)
    got = last_hour_from_response(
        {"hits": {"total": {"value": 7}}, "aggregations": {"topics": {"buckets": {"trade": {"doc_count": 4}}}}}
    )
    assert got == {"total": 7, "topics": {t: 4 if t == "trade" else 0 for t in TOPICS}}


def test_recent_alerts_newest_first() -> None:
    assert recent_alerts_query()["sort"] == [{"@timestamp": "desc"}] and recent_alerts_query()["size"] == 5


def test_doc_counts_from_an_aggregation_on_the_index_name() -> None:
    assert counts_query()["aggs"]["indices"]["terms"]["field"] == "_index"
    answer = {
        "hits": {"total": {"value": 12}},
        "aggregations": {
            "indices": {"buckets": [{"key": "a-2025", "doc_count": 5}, {"key": "a-2026", "doc_count": 7}]}
        },
    }
    assert doc_counts(answer) == {"indices": 2, "docs": 12}
    assert doc_counts({"hits": {"total": {"value": 0}}, "aggregations": {"indices": {"buckets": []}}}) == {
        "indices": 0,
        "docs": 0,
    }


def test_feeds_summary_counts_and_lists_failing_first() -> None:
    docs: list[dict[str, Any]] = [
        {"feed_url": "https://a/rss", "name": "A", "last_poll": "2025-12-01T11:00:00Z"},
        {"feed_url": "https://b/rss", "name": "B", "failures": 2, "last_poll": "x", "last_error": "timeout"},
        {"feed_url": "https://c/rss", "name": "C", "gone": True, "last_outcome": "gone"},
        {"feed_url": "https://d/rss", "name": "D"},
    ]
    got = feeds_summary(docs)
    assert {k: got[k] for k in ("total", "ok", "failing", "gone", "new")} == {
        "total": 4,
        "ok": 1,
        "failing": 1,
        "gone": 1,
        "new": 1,
    }
    assert [(f["name"], f["last_error"]) for f in got["failing_feeds"]] == [("C", "gone"), ("B", "timeout")]


def test_endpoint_result_and_exit_code() -> None:
    up = endpoint_result("http://x/healthz", 200, '{"job": "RUNNING"}')
    down = endpoint_result("http://x/readyz", 503, '{"ready": false, "reason": "engine"}')
    gone = endpoint_result("http://x/healthz", None, None, "ConnectionRefusedError: refused")
    assert (up["ok"], up["body"], down["ok"], down["body"]["reason"], gone["reachable"]) == (
        True,
        {"job": "RUNNING"},
        False,
        "engine",
        False,
    )
    engine = {"reachable": True}
    assert exit_code({"engine": engine, "job": {"healthz": up, "readyz": up}}) == 0
    assert exit_code({"engine": engine, "job": {"healthz": up, "readyz": down}}) == 1
    assert exit_code({"engine": engine, "job": {"healthz": gone, "readyz": gone}}) == 1
    assert exit_code({"engine": {"reachable": False}, "job": {"healthz": up, "readyz": up}}) == 3


def test_render_screen() -> None:
    report = {
        "at": "2025-12-01T12:00:00Z",
        "engine": {
            "reachable": True,
            "url": "http://e:9200",
            "engine": "opensearch",
            "version": "2.19.6",
            "cluster": "green",
            "index": "news-articles",
            "counts": {
                k: {"indices": 1, "docs": n}
                for k, n in (("articles", 40), ("alerts", 2), ("feeds", 3), ("deadletters", 0))
            },
        },
        "job": {
            "metrics_url": "http://j:9108",
            "healthz": endpoint_result("http://j:9108/healthz", 200, '{"job": "RUNNING"}'),
            "readyz": endpoint_result("http://j:9108/readyz", 503, '{"ready": false, "reason": "no engine"}'),
        },
        "feeds": feeds_summary([{"feed_url": "https://b/rss", "name": "B", "failures": 2, "last_error": "timeout"}]),
        "last_hour": {"total": 3, "topics": {"trade": 2, "energy": 1}},
        "alerts": [
            {
                "topic": "trade",
                "window_start": "2025-12-01T11:00:00Z",
                "window_end": "2025-12-01T11:15:00Z",
                "count": 9,
                "baseline": 1.5,
                "ratio": 6.0,
            }
        ],
    }
    assert render(report).splitlines() == [
        "newsmon status at 2025-12-01 12:00 UTC",
        "engine     opensearch 2.19.6 at http://e:9200, cluster green",
        "           articles 40 in 1 index(es) (news-articles-*), alerts 2, feeds 3, dead letters 0",
        "job        http://j:9108: healthz 200 ok (RUNNING); readyz 503 FAILING (no engine)",
        "feeds      1: 0 ok, 1 failing, 0 gone, 0 new",
        "           failing x2  B <https://b/rss>  timeout",
        "last hour  3 relevant article(s) indexed: trade 2, energy 1",
        "alerts     2025-12-01 11:00–11:15  trade: 9 articles, baseline 1.5, ratio 6.0",
    ]
    report["engine"] = {"reachable": False, "url": "http://e:9200", "error": "refused"}
    gone = endpoint_result("http://j:9108/healthz", None, None, "refused")
    report["job"] = {"metrics_url": "http://j:9108", "healthz": gone, "readyz": {**gone, "url": "r"}}
    for key in ("feeds", "last_hour", "alerts"):
        del report[key]
    assert render(report).splitlines()[1:] == [
        "engine     UNREACHABLE at http://e:9200: refused",
        "job        http://j:9108: UNREACHABLE (refused)",
    ]
    report["engine"] = {"reachable": False, "refused": True, "url": "http://e:9200", "error": "HTTP 401"}
    assert render(report).splitlines()[1] == "engine     REFUSED US at http://e:9200: HTTP 401"
