"""`newsmon feeds` rendering: status per feed, failing first, relative times."""

from __future__ import annotations

from pipeline.app.feedhealth import feed_rows, render, status_of

DOCS = [
    {
        "feed_url": "https://ok.example/rss",
        "name": "Fine",
        "failures": 0,
        "last_poll": "2026-12-01T10:00:00+00:00",
        "last_success": "2026-12-01T10:00:00+00:00",
        "next_due": "2026-12-01T10:05:00+00:00",
        "items_seen": 30,
        "last_outcome": "not_modified",
    },
    {
        "feed_url": "https://bad.example/rss",
        "name": "Broken",
        "failures": 4,
        "last_poll": "2026-12-01T09:59:00+00:00",
        "last_outcome": "timeout",
        "last_error": "no answer within 30s",
    },
    {
        "feed_url": "https://old.example/rss",
        "name": "Old",
        "gone": True,
        "failures": 1,
        "last_poll": "2026-12-01T09:00:00+00:00",
        "last_outcome": "gone",
        "last_error": "HTTP 410 Gone",
    },
    {
        "feed_url": "https://moved.example/rss",
        "name": "Moved",
        "fetch_url": "https://new.example/rss",
        "failures": 0,
        "last_poll": "2026-12-01T10:00:00+00:00",
    },
]
NOW = 1_796_119_500.0  # 2026-12-01T10:05:00Z


def test_status_and_order_put_the_feeds_that_need_attention_first() -> None:
    assert [status_of(d) for d in DOCS] == ["ok", "failing", "gone", "ok"]
    assert status_of({"feed_url": "x"}) == "new"
    rows = feed_rows(DOCS)
    assert [r["name"] for r in rows] == ["Old", "Broken", "Fine", "Moved"]
    assert [r["name"] for r in feed_rows(DOCS, failing_only=True)] == ["Old", "Broken"]
    assert rows[3]["fetch_url"] == "https://new.example/rss" and rows[2]["fetch_url"] is None


def test_the_table_says_what_is_wrong_and_when() -> None:
    text = render(feed_rows(DOCS), now=NOW)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["STATUS", "FAILS", "LAST"]
    broken = next(line for line in lines if "Broken" in line)
    assert "failing" in broken and "no answer within 30s" in broken and "6m ago" in broken
    assert "moved to https://new.example/rss" in text
    assert lines[-1] == "1 failing, 1 gone, 2 ok"
    assert "none" in render([])
