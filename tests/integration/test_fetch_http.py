"""The poller against a real HTTP server on loopback (newsmon's own feed server)."""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.feedserver import FeedServer
from pipeline.model import Feed
from pipeline.sources.fetch import fetch_feed, make_pool, retry_after_seconds

pytestmark = pytest.mark.integration

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>India and US talk trade</title><link>https://e.org/1</link></item></channel></rss>"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FeedServer]:
    (tmp_path / "feed.xml").write_bytes(RSS)
    (tmp_path / "big.xml").write_bytes(b"<rss>" + b"x" * 200_000 + b"</rss>")
    srv = FeedServer(tmp_path, "127.0.0.1", 0)
    srv.start_background()
    yield srv
    srv.shutdown()
    srv.server_close()


def feed(server: FeedServer, path: str) -> Feed:
    return Feed(url=f"{server.url}/{path}", name="test")


def test_conditional_get_answers_304_until_the_file_changes(server: FeedServer) -> None:
    pool = make_pool()
    first = fetch_feed(pool, feed(server, "feed.xml"))
    assert first.outcome == "ok" and first.body == RSS and first.status == 200
    assert first.etag and first.last_modified
    again = fetch_feed(pool, feed(server, "feed.xml"), first.etag, first.last_modified)
    assert again.outcome == "not_modified" and again.body is None
    path = server.root / "feed.xml"
    path.write_bytes(RSS.replace(b"trade", b"defence"))
    os.utime(path, (time.time() + 5, time.time() + 5))
    changed = fetch_feed(pool, feed(server, "feed.xml"), first.etag, first.last_modified)
    assert changed.outcome == "ok" and b"defence" in (changed.body or b"")


def test_gzip_is_decoded(server: FeedServer) -> None:
    result = fetch_feed(make_pool(), feed(server, "feed.xml"))
    assert ("content-encoding", "gzip") in result.headers
    assert result.body == RSS
    assert gzip.compress(RSS) != result.body


@pytest.mark.parametrize(("query", "outcome", "status"), [
    ("status=503", "http_error", 503), ("status=404", "http_error", 404),
    ("status=429&retry_after=120", "rate_limited", 429),
])
def test_http_errors_are_outcomes_not_exceptions(server: FeedServer, query: str, outcome: str, status: int) -> None:
    result = fetch_feed(make_pool(), feed(server, f"feed.xml?{query}"))
    assert (result.outcome, result.status) == (outcome, status)
    assert result.error and str(status) in result.error
    if status == 429:
        assert result.retry_after_s == 120


def test_timeout(server: FeedServer) -> None:
    result = fetch_feed(make_pool(), feed(server, "feed.xml?delay=3"), timeout_s=0.5)
    assert result.outcome == "timeout"


def test_redirect_is_followed(server: FeedServer) -> None:
    result = fetch_feed(make_pool(), feed(server, "redirect/feed.xml"))
    assert result.outcome == "ok" and result.body == RSS


def test_body_over_the_cap_is_refused(server: FeedServer) -> None:
    result = fetch_feed(make_pool(), feed(server, "big.xml"), max_bytes=100_000)
    assert result.outcome == "too_large"


def test_connection_refused() -> None:
    result = fetch_feed(make_pool(), Feed(url="http://127.0.0.1:9/feed.xml", name="dead"), timeout_s=2)
    assert result.outcome in ("connection_error", "timeout")
    assert result.error


def test_retry_after_http_date() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480.0) == 0.0
    assert retry_after_seconds("30", 0) == 30.0
    assert retry_after_seconds("soon", 0) is None


def test_a_pooled_connection_is_clean_after_an_error_page(server: FeedServer) -> None:
    pool = make_pool()
    for _ in range(3):
        assert fetch_feed(pool, feed(server, "feed.xml?status=503")).outcome == "http_error"
        ok = fetch_feed(pool, feed(server, "feed.xml"))
        assert ok.outcome == "ok" and ok.body == RSS
    assert fetch_feed(pool, feed(server, "big.xml"), max_bytes=1000).outcome == "too_large"
    assert fetch_feed(pool, feed(server, "feed.xml")).body == RSS
