"""The fast parse path reads documents exactly as feedparser does, or declines them.

Each accepted case is a feedparser behaviour the fast path reproduces; the
expected result is feedparser's own (``parse_feed(..., fast=False)``), plus a
spot check of the value that makes the case interesting. Each declined case
names the reason the fast path must give.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from feedparser.urls import _urljoin as feedparser_join  # the oracle for link resolution

from pipeline.core.model import Feed
from pipeline.sources import fastparse, parse
from pipeline.sources.parse import ParsedFeed, parse_feed

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
FEED = Feed(url="http://example.test/world/feed.xml", name="")


def rss(items: str, channel: str = "", root: str = "", decl: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{decl}<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        f'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
        f"{root}><channel><title>World</title>{channel}{items}</channel></rss>"
    ).encode()


def atom(entries: str, feed: str = "", root: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{root}>'
        f"<title>Atom world</title>{feed}{entries}</feed>"
    ).encode()


def comparable(out: ParsedFeed) -> tuple[Any, ...]:
    """Everything parse_feed promises, minus which parser ran and the (parser-shaped) failure payload."""
    return (
        out.articles,
        [(f.stage, f.reason, f.detail, f.feed_url) for f in out.failures],
        out.entries,
        out.error,
        out.reason,
    )


def accepted(body: bytes, headers: dict[str, str] | None = None, feed: Feed = FEED) -> ParsedFeed:
    fast = parse_feed(body, feed, headers, now=NOW)
    assert (fast.parser, fast.fallback) == ("fast", None)
    assert comparable(fast) == comparable(parse_feed(body, feed, headers, now=NOW, fast=False))
    return fast


ACCEPTED: dict[str, tuple[bytes, dict[str, Any]]] = {
    "guid is the link when there is no link": (
        rss("<item><title>t</title><guid>http://example.test/a/1</guid></item>"),
        {"url": "http://example.test/a/1"},
    ),
    "a relative permalink guid resolves": (
        rss("<item><title>t</title><guid>/a/2</guid></item>"),
        {"url": "http://example.test/a/2"},
    ),
    "isPermaLink=false keeps the guid as it is": (
        rss("<item><title>t</title><guid isPermaLink='false'>a/3</guid></item>"),
        {"guid": "a/3", "url": ""},
    ),
    "a link after the guid wins": (
        rss("<item><guid>http://example.test/g</guid><title>t</title><link>http://example.test/l</link></item>"),
        {"url": "http://example.test/l"},
    ),
    "an atom:link in an RSS item is a link": (
        rss('<item><title>t</title><atom:link href="/x.html"/></item>'),
        {"url": "http://example.test/x.html"},
    ),
    "a mangled query string in a link is repaired": (
        rss("<item><title>t</title><link>http://example.test/?a=1&amp;amp;id=7</link></item>"),
        {"url": "http://example.test/?a=1&id=7"},
    ),
    "media:description after a description is read as content": (
        rss(
            "<item><title>t</title><link>http://e.test/1</link><description>Short.</description>"
            "<media:content url='http://e.test/i.jpg'><media:description>A long photo caption here."
            "</media:description></media:content></item>"
        ),
        {"summary": "Short.", "body": "A long photo caption here."},
    ),
    "media:title stands in for a missing title, not for a present one": (
        rss(
            "<item><link>http://e.test/1</link><media:content url='u'><media:title>Photo</media:title>"
            "</media:content></item><item><title>Real</title><link>http://e.test/2</link>"
            "<media:group><media:title>Photo</media:title></media:group></item>"
        ),
        {"titles": ["Photo", "Real"]},
    ),
    "content:encoded alone is the summary too": (
        rss(
            "<item><title>t</title><link>http://e.test/1</link><content:encoded>&lt;p&gt;Full text&lt;/p&gt;"
            "</content:encoded></item>"
        ),
        {"summary": "Full text", "body": ""},
    ),
    "description and content:encoded give summary and body": (
        rss(
            "<item><title>t</title><link>http://e.test/1</link><description>Short</description>"
            "<content:encoded>&lt;p&gt;Longer &amp;amp; fuller&lt;/p&gt;</content:encoded></item>"
        ),
        {"summary": "Short", "body": "Longer & fuller"},
    ),
    "a feed-level itunes:summary turns the first entry's second summary into content": (
        rss(
            "<item><title>t</title><link>http://e.test/1</link><description>one</description>"
            "<itunes:summary>two</itunes:summary></item>",
            channel="<itunes:summary>Podcast</itunes:summary><description>About</description>",
        ),
        {"summary": "two"},
    ),
    "dc:date and dc:language": (
        rss(
            "<item><title>t</title><link>http://e.test/1</link><dc:date>2026-01-09T10:00:00+05:30</dc:date>"
            "<dc:language>hi</dc:language></item>"
        ),
        {"published_at": "2026-01-09T04:30:00Z", "language": "hi"},
    ),
    "the channel language and the root xml:lang": (
        rss(
            "<item><title>t</title><link>http://e.test/1</link></item>",
            channel="<language>en-GB</language>",
            root=' xml:lang="fr"',
        ),
        {"language": "en"},
    ),
    "an xml:base on the root moves the base": (
        rss("<item><title>t</title><link>story/1</link></item>", root=' xml:base="https://cdn.example.test/x/"'),
        {"url": "https://cdn.example.test/x/story/1"},
    ),
    "HTML entities and a bare ampersand": (
        rss(
            "<item><title>AT&amp;T &amp;amp; Tom &amp; Jerry</title><link>http://e.test/1</link>"
            "<description>&lt;b&gt;caf&amp;eacute;&lt;/b&gt; &amp;hellip; &amp;D</description></item>"
        ),
        {"title": "AT&T & Tom & Jerry", "summary": "café … &D"},
    ),
    "mis-decoded UTF-8 is repaired as feedparser repairs it": (
        rss("<item><title>CafÃ© talks</title><link>http://e.test/1</link></item>"),
        {"title": "Café talks"},
    ),
    "an ISO-8859-1 document": (
        rss(
            "<item><title>Notícias</title><link>http://e.test/1</link></item>",
            decl='<?xml version="1.0" encoding="ISO-8859-1"?>',
        )
        .decode()
        .encode("latin-1"),
        {"title": "Notícias"},
    ),
    "Atom: alternate link, id, summary and HTML content": (
        atom(
            '<entry><title type="html">A &amp;amp; B</title><link rel="enclosure" href="/a.mp3"/>'
            '<link href="/e/1"/><id>tag:example.test,2026:1</id><published>2026-01-08T00:00:00Z</published>'
            '<summary>Sum</summary><content type="html">&lt;p&gt;Body text&lt;/p&gt;</content></entry>',
            root=' xml:lang="en-US"',
        ),
        {
            "url": "http://example.test/e/1",
            "title": "A & B",
            "summary": "Sum",
            "body": "Body text",
            "guid": "tag:example.test,2026:1",
        },
    ),
    "Atom: the id is the link when there is no alternate": (
        atom(
            "<entry><title>t</title><id>http://example.test/by-id</id><updated>2026-01-01T00:00:00Z</updated></entry>"
        ),
        {"url": "http://example.test/by-id", "published_at": "2026-01-01T00:00:00Z"},
    ),
    "RSS 1.0: rdf:about is the id": (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://e.test/"><title>R</title><items><rdf:Seq>'
        b'<rdf:li rdf:resource="http://e.test/1"/></rdf:Seq></items></channel>'
        b'<item rdf:about="http://e.test/1"><title>t</title><link>http://e.test/1</link></item></rdf:RDF>',
        {"guid": "http://e.test/1", "source": "R"},
    ),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_the_fast_path_reads_it_as_feedparser_does(case: str) -> None:
    body, expect = ACCEPTED[case]
    out = accepted(body)
    first = out.articles[0]
    for key, value in expect.items():
        if key == "titles":
            assert [a.title for a in out.articles] == value
        else:
            assert getattr(first, key) == value, key


def test_plain_text_title_with_markup_in_atom_is_left_alone() -> None:
    out = accepted(atom('<entry><title type="text">x &lt;b&gt; y</title><id>urn:1</id></entry>'))
    assert out.articles[0].title.startswith("x")


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"content-type": "text/xml; charset=utf-8"}, rss("<item><title>Café</title></item>")),
        ({"content-type": "text/xml"}, rss("<item><title>Café</title></item>")),  # US-ASCII fails, UTF-8 next
        ({"content-type": "application/rss+xml"}, rss("<item><title>Café</title></item>")),
        ({"content-type": "text/html; charset=iso-8859-1"}, rss("<item><title>ascii</title></item>")),
        ({"content-language": "de"}, rss("<item><title>t</title></item>")),
    ],
)
def test_headers_the_fast_path_follows(headers: dict[str, str], body: bytes) -> None:
    accepted(body, headers)


DECLINED: dict[str, tuple[bytes, dict[str, str] | None, str]] = {
    "a DOCTYPE": (
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd">'
        + rss("<item><title>t</title></item>", decl=""),
        None,
        "doctype",
    ),
    "a charset that differs from the declaration": (
        rss("<item><title>Café</title></item>"),
        {"content-type": "text/xml; charset=iso-8859-1"},
        "encoding",
    ),
    "UTF-16": (
        rss("<item><title>t</title></item>", decl='<?xml version="1.0" encoding="utf-16"?>').decode().encode("utf-16"),
        None,
        "encoding",
    ),
    "xml:base on an item": (rss('<item xml:base="http://x.test/"><title>t</title></item>'), None, "xml_base"),
    "a standard prefix bound to another namespace": (
        rss("<item><title>t</title></item>").replace(
            b'xmlns:dc="http://purl.org/dc/elements/1.1/"', b'xmlns:dc="http://purl.org/dc/terms/"'
        ),
        None,
        "namespaces",
    ),
    "broken XML": (rss("<item><title>a & b</title></item>"), None, "not_well_formed"),
    "an undefined entity": (rss("<item><title>a&nbsp;b</title></item>"), None, "not_well_formed"),
    "items outside the channel": (b"<rss><item><title>t</title></item><channel/></rss>", None, "structure"),
    "an HTML page": (b"<html><body><p>hi</p></body></html>", None, "structure"),
    "an XHTML title": (
        atom('<entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">t</div></title></entry>'),
        None,
        "element",
    ),
    "base64 content": (
        atom('<entry><title>t</title><content type="image/png">AAAA</content></entry>'),
        None,
        "content_type",
    ),
    "markup inside a description": (
        rss("<item><title>t</title><description><p>x</p></description></item>"),
        None,
        "element",
    ),
    "an HTML5-only entity in HTML": (
        rss("<item><title>t</title><description>a &amp;NewLine; b</description></item>"),
        None,
        "html",
    ),
    "a CDATA section inside HTML": (
        rss("<item><title>t</title><description>&lt;![CDATA[x]]&gt;</description></item>"),
        None,
        "html",
    ),
    "a date in a shape the fast path does not read": (
        rss("<item><title>t</title><pubDate>Friday, January 29, 2021 04:42 PM</pubDate></item>"),
        None,
        "date",
    ),
    "a zone name feedparser reads as UTC": (
        rss("<item><title>t</title><pubDate>Fri, 29 Jan 2021 16:42:00 IST</pubDate></item>"),
        None,
        "date",
    ),
    "an element feedparser handles that is not modelled": (
        rss(
            "<item><title>t</title><georss:point xmlns:georss='http://www.georss.org/georss'>1 2</georss:point></item>"
        ),
        None,
        "element",
    ),
    "an unknown element named like a field": (rss("<item><title>t</title><date>2026</date></item>"), None, "element"),
    "a feed without entries": (rss(""), None, "no_entries"),
}


@pytest.mark.parametrize("case", list(DECLINED))
def test_the_fast_path_declines_what_it_cannot_vouch_for(case: str) -> None:
    body, headers, reason = DECLINED[case]
    out = parse_feed(body, FEED, headers, now=NOW)
    assert (out.parser, out.fallback) == ("feedparser", reason)
    assert reason in fastparse.REASONS
    assert comparable(out) == comparable(parse_feed(body, FEED, headers, now=NOW, fast=False))


def test_the_entry_cap_is_applied_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "MAX_ENTRIES", 3)
    body = rss("".join(f"<item><title>t{i}</title><link>http://e.test/{i}</link></item>" for i in range(7)))
    out = accepted(body)
    assert out.entries == 7 and len(out.articles) == 3
    assert [f.reason for f in out.failures] == ["too_many_entries"]


def test_a_crash_in_the_fast_path_falls_back_to_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(fastparse, "parse", broken)
    out = parse_feed(rss("<item><title>t</title></item>"), FEED, now=NOW)
    assert (out.parser, out.fallback) == ("feedparser", "error")
    assert [a.title for a in out.articles] == ["t"]


def test_a_file_url_base_like_backfill_uses() -> None:
    feed = Feed(url="file:///data/feeds/world.xml", name="")
    out = accepted(rss("<item><title>t</title><link>/x</link><guid>abc</guid></item>"), feed=feed)
    assert out.articles[0].url == ""  # relative links under a file: base are not web addresses


@pytest.mark.parametrize("base", ["http://example.test/world/feed.xml", "https://example.test/a/", "file:///d/f.xml"])
def test_link_resolution_matches_feedparsers_join(base: str) -> None:
    links = [
        "http://e.test/a",
        "https://e.test/a?b=1&c=2#f",
        "HTTP://E.test/x",
        "http:///e.test/x",
        "http://e.test/;p",
        "http://e.test/a?",
        "http://e.test/a#",
        "http://e.test/?#x",
        "http://[::1]/x",
        "http://[bad/x",
        "http://e.test/a b",
        "http://e.test/a\tb",
        "http://e.test/../x",
        "/x",
        "x/../y",
        "?q",
        "#f",
        "",
        "//other.test/x",
        "mailto:a@b.test",
        "javascript:alert(1)",
        "https://e.test:8443/x",
        "http://ü.test/ä",
    ]
    for link in links:
        assert fastparse._urljoin(base, link) == feedparser_join(base, link), link
