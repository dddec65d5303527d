"""Differential test of the fast parse path against feedparser over the whole feed corpus.

For every document in the corpus (feedparser-tests/, news-feeds/, hostile/),
``parse_feed`` runs twice: with the fast path, and with ``fast=False`` (feedparser
only, called the same safe way). Where the fast path accepts a document the two
results must be the same articles — ids, URLs, titles, summaries and bodies after
normalisation, language, source, guid — the same failures (stage, reason,
detail; not the payload, which is each parser's own dump of the entry), the same
entry count and error. Where it declines, parse_feed's answer *is* feedparser's,
and that is checked too.

Dates: ``published_at`` values are compared as instants with a tolerance of
:data:`DATE_TOLERANCE_S` = 0 seconds. Both paths turn the same date string into
a whole-second UTC time with the same arithmetic, so any difference at all is a
bug; the tolerance is kept explicit so that loosening it is a visible decision.

Each document is read as ``newsmon backfill`` reads it (compressed files
decompressed) under three views: with no response headers from an http:// feed
URL (relative links resolve), from a file:// URL (as backfill names files), and,
for feedparser's fixtures that state HTTP headers in ``Header:`` comments, with
those headers (Content-Type, Content-Location, Content-Language).
"""

from __future__ import annotations

import collections
import re
from dataclasses import astuple
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.core import dates
from pipeline.core.model import Article, Feed
from pipeline.core.text import decompress
from pipeline.sources.parse import ParsedFeed, parse_feed

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DATE_TOLERANCE_S = 0
NOW = datetime(2026, 12, 31, tzinfo=UTC)  # after the newest corpus item, so no date is "in the future"
FOLDERS = ("feedparser-tests", "news-feeds", "hostile")
_HEADER = re.compile(
    rb"^\s*Header:\s*(Content-Type|Content-Location|Content-Language):\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE
)


def documents(corpus: Path) -> list[Path]:
    return sorted(
        p
        for folder in FOLDERS
        for p in (corpus / folder).rglob("*")
        if p.is_file() and not p.name.startswith(("LICENSE", "SOURCES", "README")) and "LICENSES" not in p.parts
    )


def views(path: Path, corpus: Path, body: bytes) -> list[tuple[str, Feed, dict[str, str]]]:
    relative = path.relative_to(corpus).as_posix()
    out: list[tuple[str, Feed, dict[str, str]]] = [("http", Feed(url=f"http://example.test/{relative}", name=""), {})]
    if not relative.startswith("feedparser-tests/"):
        out.append(("file", Feed(url=path.resolve().as_uri(), name=""), {}))
    stated = {name.decode().lower(): value.decode("latin-1") for name, value in _HEADER.findall(body[:4096])}
    if stated:
        out.append(("headers", Feed(url=f"http://example.test/{relative}", name=""), stated))
    return out


def article_fields(article: Article) -> tuple[Any, ...]:
    values = list(astuple(article))
    values[8] = None  # published_at, compared separately with the tolerance
    return tuple(values)


def differences(fast: ParsedFeed, reference: ParsedFeed) -> list[str]:
    found = []
    if len(fast.articles) != len(reference.articles):
        found.append(f"{len(fast.articles)} articles vs {len(reference.articles)}")
    for a, b in zip(fast.articles, reference.articles, strict=False):
        if article_fields(a) != article_fields(b):
            found.append(f"article differs:\n  fast       {a}\n  feedparser {b}")
        if (a.published_at is None) != (b.published_at is None) or (
            a.published_at
            and b.published_at
            and abs((dates.from_iso(a.published_at) - dates.from_iso(b.published_at)).total_seconds())
            > DATE_TOLERANCE_S
        ):
            found.append(f"published_at {a.published_at} vs {b.published_at} ({a.title[:60]!r})")
    failures = (
        [(f.stage, f.reason, f.detail, f.feed_url) for f in fast.failures],
        [(f.stage, f.reason, f.detail, f.feed_url) for f in reference.failures],
    )
    if failures[0] != failures[1]:
        found.append(f"failures {failures[0]} vs {failures[1]}")
    if (fast.entries, fast.error, fast.reason) != (reference.entries, reference.error, reference.reason):
        found.append(
            f"entries/error {fast.entries, fast.error, fast.reason} vs "
            f"{reference.entries, reference.error, reference.reason}"
        )
    return found


def test_fast_path_and_feedparser_agree_on_every_corpus_document(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = documents(corpus)
    assert len(paths) > 2000, f"corpus at {corpus} looks incomplete"
    tally: collections.Counter[str] = collections.Counter()
    fallbacks: collections.Counter[str] = collections.Counter()
    by_folder: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    problems: list[str] = []
    for path in paths:
        try:
            body = decompress(path.read_bytes(), 20 * 1024 * 1024)
        except ValueError:
            continue  # over the size limit: backfill skips it before parsing
        folder = path.relative_to(corpus).parts[0]
        for view, feed, headers in views(path, corpus, body):
            fast = parse_feed(body, feed, headers, now=NOW)
            reference = parse_feed(body, feed, headers, now=NOW, fast=False)
            tally["documents"] += 1
            if fast.parser == "fast":
                tally["fast"] += 1
                tally["fast entries"] += fast.entries
                by_folder[folder]["fast"] += 1
            elif fast.parser == "feedparser":
                tally["fell back"] += 1
                fallbacks[fast.fallback or "?"] += 1
                by_folder[folder]["fell back"] += 1
            else:
                tally["refused before parsing"] += 1
                by_folder[folder]["refused"] += 1
            found = differences(fast, reference)
            if found:
                problems.append(
                    f"{path.relative_to(corpus)} [{view}] (parser={fast.parser}):\n  " + "\n  ".join(found[:3])
                )
    with capsys.disabled():
        print(
            f"\nparse differential: {tally['documents']} document views; fast path accepted {tally['fast']} "
            f"({tally['fast entries']} entries), fell back {tally['fell back']}, refused before parsing "
            f"{tally['refused before parsing']} (entity expansion)"
        )
        print("  by folder: " + "; ".join(f"{folder}: {dict(counts)}" for folder, counts in sorted(by_folder.items())))
        print("  fallback reasons: " + ", ".join(f"{reason} {count}" for reason, count in fallbacks.most_common()))
        print(f"  date tolerance {DATE_TOLERANCE_S} s; differences: {len(problems)}")
    assert not problems, "\n".join(problems[:20])
    news_fast = by_folder["news-feeds"]["fast"]
    assert news_fast >= 0.9 * sum(by_folder["news-feeds"].values()), by_folder["news-feeds"]
