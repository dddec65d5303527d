"""The poller against a real HTTP server on loopback (newsmon's own feed server)."""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.core.model import Feed
from pipeline.devtools.feedserver import FeedServer
from pipeline.sources.fetch import (
    fetch_feed,
    freshness_lifetime,
    is_internal_address,
    make_pool,
    retry_after_seconds,
)
from pipeline.sources.fetcher import FULL, IN_FLIGHT, STARTED, Fetcher, FetcherConfig

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


@pytest.mark.parametrize(
    ("query", "outcome", "status"),
    [
        ("status=503", "http_error", 503),
        ("status=404", "http_error", 404),
        ("status=429&retry_after=120", "rate_limited", 429),
        ("status=503&retry_after=60", "rate_limited", 503),
        ("status=410", "gone", 410),
    ],
)
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


def test_a_slow_drip_body_is_cut_at_the_deadline(server: FeedServer) -> None:
    """One byte a second never trips a read timeout; the whole exchange still ends on time."""
    started = time.monotonic()
    result = fetch_feed(make_pool(), feed(server, "feed.xml?drip=20"), timeout_s=1.5)
    elapsed = time.monotonic() - started
    assert result.outcome == "timeout", result
    assert elapsed < 10  # RSS is ~170 bytes + headers at 20 B/s ≈ 15 s if the deadline were not enforced


def test_a_server_that_never_answers_is_cut_at_the_deadline(server: FeedServer) -> None:
    result = fetch_feed(make_pool(), feed(server, "feed.xml?hang=1"), timeout_s=1.0)
    assert result.outcome == "timeout"
    assert result.duration_s < 10


def test_the_pool_is_usable_after_a_deadline_cut(server: FeedServer) -> None:
    pool = make_pool()
    assert fetch_feed(pool, feed(server, "feed.xml?drip=20"), timeout_s=0.5).outcome == "timeout"
    ok = fetch_feed(pool, feed(server, "feed.xml"))
    assert ok.outcome == "ok" and ok.body == RSS


def test_a_redirect_loop_ends_as_an_error(server: FeedServer) -> None:
    result = fetch_feed(make_pool(), feed(server, "loop/0"))
    assert result.outcome == "http_error" and "redirects" in (result.error or "")


def test_a_permanent_redirect_is_reported_with_the_final_url(server: FeedServer) -> None:
    result = fetch_feed(make_pool(), feed(server, "redirect/feed.xml"))
    assert result.permanent_url == f"{server.url}/feed.xml"
    assert ("content-location", f"{server.url}/feed.xml") in result.headers  # base for relative links


def test_redirects_to_other_schemes_are_refused(server: FeedServer) -> None:
    result = fetch_feed(make_pool(), feed(server, "feed.xml?status=302&location=file:///etc/passwd"))
    assert result.outcome == "refused" and "non-HTTP" in (result.error or "")


def test_a_public_feed_cannot_redirect_into_internal_addresses(server: FeedServer) -> None:
    """The feed's host is taken for a public one (resolver stand-in); its redirect to loopback is refused."""
    public = f"http://feeds.example.org:{server.server_address[1]}/feed.xml"

    def resolve(host: str) -> list[str]:
        return ["93.184.215.14"] if host == "feeds.example.org" else ["127.0.0.1"]

    internal = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    target = f"http://127.0.0.1:{server.server_address[1]}/feed.xml?status=302&location={internal}"
    # Reach the loopback server through the first hop as a public feed would.
    result = fetch_feed(make_pool(), Feed(url=public, name="p"), url=target, resolve=resolve)
    assert result.outcome == "refused" and "internal address" in (result.error or "")
    # The same redirect is fine for a feed that is itself configured on loopback.
    ok = fetch_feed(make_pool(), feed(server, f"feed.xml?status=302&location={internal}"))
    assert ok.outcome == "ok"


def test_cache_lifetime_comes_from_the_answer(server: FeedServer) -> None:
    result = fetch_feed(make_pool(), feed(server, "feed.xml?max_age=900"))
    assert result.cache_s == 900


def test_freshness_lifetime_and_internal_addresses() -> None:
    assert freshness_lifetime("public, max-age=600", None, 0) == 600
    assert freshness_lifetime("no-cache, max-age=600", None, 0) is None
    assert freshness_lifetime(None, "Thu, 01 Jan 1970 00:10:00 GMT", 0) == 600
    assert freshness_lifetime(None, "garbage", 0) is None
    for internal in (
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "169.254.169.254",
        "::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "not-an-ip",
    ):
        assert is_internal_address(internal), internal
    assert not is_internal_address("93.184.215.14")


def test_the_fetcher_never_waits_for_a_slow_feed_and_caps_each_host(server: FeedServer) -> None:
    fetcher = Fetcher(FetcherConfig(workers=8, per_host=2, host_gap_s=0.0, timeout_s=3.0))
    try:
        slow = [Feed(url=f"{server.url}/feed.xml?hang=1&n={i}", name=str(i)) for i in range(3)]
        assert [fetcher.start("s", f) for f in slow] == [STARTED] * 3  # the third waits in its host's queue
        assert fetcher.start("s", slow[0]) == IN_FLIGHT
        started = time.monotonic()
        fetcher.wait("s", 0.2)
        assert time.monotonic() - started < 2 and fetcher.take("s") == []  # nothing waits for them
        fetcher.wait("s", 10)
        assert sorted(r.outcome for r in fetcher.take("s")) == ["timeout"] * 3
    finally:
        fetcher.close()


def test_the_fetcher_is_full_at_its_capacity(server: FeedServer) -> None:
    fetcher = Fetcher(FetcherConfig(workers=1, per_host=5, host_gap_s=0.0, timeout_s=2.0, queue_factor=1))
    try:
        assert fetcher.start("a", feed(server, "feed.xml?hang=1")) == STARTED
        assert fetcher.start("b", feed(server, "feed.xml")) == FULL
    finally:
        fetcher.close()
