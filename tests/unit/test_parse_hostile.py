"""Hostile documents: entity bombs and external entities never expand, never read files, never fetch."""

from __future__ import annotations

import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from pipeline.core.model import Feed
from pipeline.core.text import decompress
from pipeline.sources import fastparse
from pipeline.sources.parse import MAX_ENTITY_EXPANSION, entity_expansion_error, feedparser_headers, parse_feed

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
FEED = Feed(url="http://example.test/feed.xml", name="Hostile")
SECRET = "newsmon-xxe-canary-7f3a"


def feed_doc(doctype: str, title: str, description: str = "d") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
{doctype}
<rss version="2.0"><channel><title>Hostile</title>
<item><title>{title}</title><link>http://example.test/1</link><description>{description}</description></item>
</channel></rss>""".encode()


def billion_laughs() -> bytes:
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return feed_doc("<!DOCTYPE rss [\n" + "\n".join(levels) + "\n]>", "&lol9;")


def quadratic() -> bytes:
    # One 50 kB entity referenced 20,000 times: 1 GB if expanded; no nesting, so feedparser keeps it.
    return feed_doc(f'<!DOCTYPE rss [<!ENTITY big "{"B" * 50_000}">]>', "t", "&big;" * 20_000)


def all_text(out: object) -> str:
    return repr(out)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("body", [billion_laughs(), quadratic()], ids=["billion-laughs", "quadratic"])
@pytest.mark.parametrize("fast", [True, False])
def test_entity_bombs_are_refused_before_any_parser_expands_them(body: bytes, fast: bool) -> None:
    before = peak_rss_mib()
    started = time.process_time()
    out = parse_feed(body, FEED, now=NOW, fast=fast)
    assert out.articles == [] and out.reason == "parse_error"
    assert out.error and "entities would expand" in out.error
    assert out.parser == ""  # neither parser saw it
    assert time.process_time() - started < 2.0
    assert peak_rss_mib() - before < 50


def test_expansion_is_measured_through_nested_entities_and_cycles() -> None:
    assert entity_expansion_error(billion_laughs())  # 3 bytes at the bottom, 10^9 at the top
    cyclic = feed_doc('<!DOCTYPE rss [<!ENTITY a "x&b;"><!ENTITY b "&a;">]>', "&a;")
    assert entity_expansion_error(cyclic)
    assert entity_expansion_error(feed_doc('<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>', "a&nbsp;b")) is None
    assert entity_expansion_error(b"<rss/>") is None
    small = feed_doc(f'<!DOCTYPE rss [<!ENTITY e "{"x" * 100}">]>', "t", "&e;" * (MAX_ENTITY_EXPANSION // 200))
    assert entity_expansion_error(small) is None


def test_a_small_declared_entity_still_expands_through_feedparser() -> None:
    # (feedparser keeps only declarations that start a line and whose value is plain text)
    out = parse_feed(feed_doc('<!DOCTYPE rss [\n<!ENTITY who "India and the US">\n]>', "Talks: &who;"), FEED, now=NOW)
    assert out.fallback == "doctype" and out.parser == "feedparser"
    assert [a.title for a in out.articles] == ["Talks: India and the US"]


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def xxe_documents(secret: Path) -> dict[str, bytes]:
    uri = secret.as_uri()
    return {
        "general": feed_doc(f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]>', "&xxe;", "&xxe;"),
        "parameter": feed_doc(f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{uri}"> %p;]>', "t"),
        "public": feed_doc(f'<!DOCTYPE rss [<!ENTITY xxe PUBLIC "-//x//y" "{uri}">]>', "&xxe;"),
        "external-dtd": feed_doc(f'<!DOCTYPE rss SYSTEM "{uri}">', "t"),
        "http": feed_doc('<!DOCTYPE rss [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>', "&xxe;"),
    }


@pytest.mark.parametrize("kind", ["general", "parameter", "public", "external-dtd", "http"])
@pytest.mark.parametrize("fast", [True, False])
def test_external_entities_are_never_resolved(secret_file: Path, kind: str, fast: bool) -> None:
    out = parse_feed(xxe_documents(secret_file)[kind], FEED, now=NOW, fast=fast)
    assert SECRET not in all_text(out)


@pytest.mark.parametrize("kind", ["general", "parameter", "public", "external-dtd"])
def test_the_fast_paths_xml_parser_would_not_resolve_them_either(secret_file: Path, kind: str) -> None:
    """Defence in depth: the fast path declines DOCTYPEs, and its parser refuses them anyway."""
    body = xxe_documents(secret_file)[kind]
    with pytest.raises(fastparse.Decline) as declined:
        fastparse.parse(body, FEED.url, feedparser_headers({}, FEED), 10)
    assert declined.value.reason == "doctype"
    try:
        root = etree.fromstring(body, fastparse._xml_parser())
    except etree.XMLSyntaxError:
        return
    assert SECRET not in etree.tostring(root, encoding="unicode")


def test_the_fast_paths_xml_parser_does_not_expand_a_bomb() -> None:
    started = time.process_time()
    try:
        root = etree.fromstring(billion_laughs(), fastparse._xml_parser())
    except etree.XMLSyntaxError:
        return
    assert len(etree.tostring(root)) < 10_000
    assert time.process_time() - started < 1.0


def hostile_files(corpus: Path) -> list[Path]:
    return sorted(
        p
        for p in (corpus / "hostile").rglob("*")
        if p.is_file() and "LICENSES" not in p.parts and p.name != "SOURCES.md"
    )


def test_every_hostile_corpus_file_is_handled_without_raising(corpus: Path) -> None:
    files = hostile_files(corpus)
    assert len(files) > 30
    for path in files:
        raw = path.read_bytes()
        body = decompress(raw, 20 * 1024 * 1024)
        feed = Feed(url=path.as_uri(), name="")
        out = parse_feed(body, feed, now=NOW)  # must not raise
        assert out.parser in ("fast", "feedparser", ""), path.name
        if path.parent.name == "xml-bombs":  # generic XML: nothing expands into an article or a failure
            assert out.articles == [] and out.failures == [], path.name
        if path.parent.name == "large":
            assert len(out.articles) > 100, path.name
