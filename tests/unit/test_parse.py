"""Normalisation of feed entries into Articles, and how parse_feed hands bytes to the parsers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from pipeline.core.model import Article, Feed
from pipeline.core.urls import article_id
from pipeline.sources.parse import feedparser_headers, parse_feed

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
FEED = Feed(url="https://feeds.example.org/world.xml", name="Example World")


def rss(items: str, extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Example</title><link>https://example.org/</link>{extra}
{items}</channel></rss>""".encode()


def test_entry_is_normalised() -> None:
    doc = rss(
        """<item><title>India &amp; US <b>sign</b> pact</title>
      <link>https://example.org/a?utm_source=rss#x</link>
      <pubDate>Fri, 09 Jan 2026 18:30:00 +0530</pubDate>
      <description>&lt;p&gt;The deal covers&amp;nbsp;<![CDATA[ defence ]]>.&lt;/p&gt;SCRIPT</description>
      </item>""".replace("SCRIPT", "&lt;script&gt;x()&lt;/script&gt;"),
        "<language>en-IN</language>",
    )
    out = parse_feed(doc, FEED, now=NOW)
    assert out.error is None
    assert out.entries == 1
    [a] = out.articles
    assert isinstance(a, Article)
    assert a.title == "India & US sign pact"
    assert a.summary == "The deal covers defence ."
    assert a.url == "https://example.org/a"
    assert a.article_id == article_id("https://example.org/a")
    assert a.published_at == "2026-01-09T13:00:00Z"
    assert a.language == "en"
    assert a.source == "Example World"
    assert a.feed_url == FEED.url
    assert a.seen_at == "2026-01-10T12:00:00Z"


def test_entry_without_link_uses_guid_and_without_date_has_none() -> None:
    out = parse_feed(rss("<item><title>No link</title><guid isPermaLink='false'>abc-1</guid></item>"), FEED, now=NOW)
    [a] = out.articles
    assert a.url == ""
    assert a.article_id == article_id(None, "abc-1", FEED.url)
    assert a.published_at is None


def test_entry_without_title_takes_summary_and_empty_entry_is_a_failure() -> None:
    out = parse_feed(
        rss(
            "<item><description>Only a summary here</description><link>https://e.org/1</link></item>"
            "<item><link>https://e.org/2</link></item>"
        ),
        FEED,
        now=NOW,
    )
    assert [a.title for a in out.articles] == ["Only a summary here"]
    assert [f.reason for f in out.failures] == ["empty_entry"]
    assert out.failures[0].feed_url == FEED.url


def test_future_and_ancient_dates_are_dropped() -> None:
    out = parse_feed(
        rss(
            "<item><title>t</title><link>https://e.org/1</link><pubDate>Sat, 01 Jan 2050 00:00:00 GMT</pubDate></item>"
        ),
        FEED,
        now=NOW,
    )
    assert out.articles[0].published_at is None


def test_atom_content_becomes_body() -> None:
    doc = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
    <entry><title>T</title><link href="https://e.org/x"/><id>urn:x</id><updated>2026-01-01T00:00:00Z</updated>
    <summary>short</summary><content type="html">&lt;p&gt;long body text&lt;/p&gt;</content></entry></feed>"""
    [a] = parse_feed(doc, FEED, now=NOW).articles
    assert (a.summary, a.body, a.published_at) == ("short", "long body text", "2026-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html><body><h1>Not a feed</h1></body></html>", "not_a_feed"),
        (b'{"items": []}', "not_a_feed"),
        (b"", "not_a_feed"),
        (b"\x00\x01\x02 binary", "not_a_feed"),
    ],
)
def test_unusable_documents_are_reported_not_raised(body: bytes, reason: str) -> None:
    out = parse_feed(body, FEED, now=NOW)
    assert out.articles == []
    assert out.reason == reason
    assert out.error


def test_broken_xml_keeps_the_entries_it_could_read() -> None:
    doc = rss(
        "<item><title>Good one</title><link>https://e.org/1</link></item>"
        "<item><title>Broken & unescaped</title><link>https://e.org/2</link></item>"
    )
    out = parse_feed(doc, FEED, now=NOW)
    assert "Good one" in [a.title for a in out.articles]


def test_wrong_declared_charset_does_not_crash() -> None:
    doc = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        "<item><title>Café résumé</title><link>https://e.org/c</link></item></channel></rss>"
    )
    out = parse_feed(doc.encode("latin-1"), FEED, {"content-type": "text/xml; charset=utf-8"}, now=NOW)
    assert len(out.articles) == 1
    assert out.articles[0].title.startswith("Caf")


def test_feed_title_names_the_source_when_config_has_no_name() -> None:
    out = parse_feed(
        rss("<item><title>t</title><link>https://e.org/1</link></item>"),
        Feed(url="file:///x/feed.xml", name=""),
        now=NOW,
    )
    assert out.articles[0].source == "Example"


# --- issue 9: bytes are parsed, never opened; relative links resolve against the feed's URL ----------

LOCAL_FEED = rss("<item><title>Read from a local file</title><link>https://e.org/local</link></item>")


def test_feedparser_itself_opens_a_path_given_as_bytes(tmp_path: Path) -> None:
    """Why parse_feed wraps the body: feedparser reads a bytes argument naming a file."""
    path = tmp_path / "secret.xml"
    path.write_bytes(LOCAL_FEED)
    parsed = feedparser.parse(str(path).encode())
    assert [e.title for e in parsed.entries] == ["Read from a local file"]


@pytest.mark.parametrize("fast", [True, False])
def test_a_body_that_names_a_local_file_is_parsed_not_opened(tmp_path: Path, fast: bool) -> None:
    path = tmp_path / "secret.xml"
    path.write_bytes(LOCAL_FEED)
    for body in (str(path).encode(), path.as_uri().encode()):
        out = parse_feed(body, FEED, now=NOW, fast=fast)
        assert out.articles == []
        assert out.reason == "not_a_feed"


RELATIVE = rss("<item><title>Relative</title><link>/news/1.html</link><guid>/news/1.html</guid></item>")


@pytest.mark.parametrize("fast", [True, False])
def test_relative_link_resolves_against_the_feed_url(fast: bool) -> None:
    out = parse_feed(RELATIVE, Feed(url="http://example.test/feed.xml", name="x"), now=NOW, fast=fast)
    [a] = out.articles
    assert a.url == "http://example.test/news/1.html"
    assert a.article_id == article_id("http://example.test/news/1.html")
    assert out.parser == ("fast" if fast else "feedparser")


@pytest.mark.parametrize("fast", [True, False])
def test_content_location_header_is_the_base_after_a_redirect(fast: bool) -> None:
    headers = {"Content-Location": "https://moved.example.test/rss/all.xml", "Content-Type": "application/rss+xml"}
    out = parse_feed(RELATIVE, Feed(url="http://example.test/feed.xml", name="x"), headers, now=NOW, fast=fast)
    assert [a.url for a in out.articles] == ["https://moved.example.test/news/1.html"]


def test_a_relative_content_location_is_resolved_against_the_feed_url() -> None:
    headers = feedparser_headers(
        {"content-location": "/v2/feed.xml"}, Feed(url="http://example.test/a/feed.xml", name="x")
    )
    assert headers["content-location"] == "http://example.test/v2/feed.xml"
    assert headers["content-type"] == "application/xml"


def test_an_empty_content_location_falls_back_to_the_feed_url() -> None:
    headers = feedparser_headers({"content-location": "", "content-type": "text/xml"}, FEED)
    assert headers == {"content-location": FEED.url, "content-type": "text/xml"}


def test_an_ordinary_feed_takes_the_fast_path() -> None:
    out = parse_feed(rss("<item><title>t</title><link>https://e.org/1</link></item>"), FEED, now=NOW)
    assert (out.parser, out.fallback) == ("fast", None)
