"""Parse feed bytes into :class:`Article` records: a fast lxml path, feedparser for the rest.

:func:`parse_feed` is the one entry point. For each document it

1. takes the base URL for relative links from the ``Content-Location``
   response header (the fetcher puts the final URL after redirects there)
   or else from ``feed.url``;
2. refuses documents whose declared entities would expand far beyond the
   document (a "billion laughs" or quadratic blow-up would otherwise cost
   feedparser's loose parser hundreds of megabytes);
3. tries :mod:`pipeline.sources.fastparse`, which reads the document the
   way feedparser would or declines it (see its docstring for the reasons);
4. on a decline, hands the bytes to feedparser — always wrapped in a file
   object, because feedparser opens a bytes or str argument that looks like
   a file name or URL instead of parsing it;
5. normalises the entries, whichever parser read them, with the same code.

feedparser never raises on a broken feed: it sets ``bozo``. We keep every
entry it could read, and report the feed as failed only when nothing usable
came out. Per-entry problems (no title, no link) are reported as
:class:`Failure` records and the other entries continue.
"""

from __future__ import annotations

import io
import logging
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import feedparser

from pipeline.core import dates, text
from pipeline.core.model import Article, Failure, Feed
from pipeline.core.urls import article_id, canonical_url
from pipeline.detect import detect_language
from pipeline.sources import fastparse

log = logging.getLogger(__name__)

MAX_TITLE = 1_000
MAX_SUMMARY = 10_000
MAX_BODY = 100_000
MAX_ENTRIES = 5_000  # per document; a feed with more is truncated and reported
MAX_ENTITY_EXPANSION = 1 << 20  # bytes that declared entities may add (or the document's own size, if larger)

_ENTITY_DECL = re.compile(rb"""<!ENTITY\s+(?!%)([^\s"'>%&;]+)\s+(?:"([^"]*)"|'([^']*)')""")
_ENTITY_REF = re.compile(rb"&([^\s&;<>]+);")


@dataclass
class ParsedFeed:
    """What one feed document yielded."""

    articles: list[Article] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    entries: int = 0
    error: str | None = None  # set when the document as a whole is unusable
    reason: str | None = None  # short failure reason for metrics (bounded set)
    parser: str = ""  # "fast" or "feedparser": which one read the document ("" when neither did)
    fallback: str | None = None  # why the fast path declined (one of fastparse.REASONS, or "error")


def parse_feed(
    body: bytes,
    feed: Feed,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    *,
    fast: bool = True,
) -> ParsedFeed:
    """Parse one feed document. Never raises on bad input.

    ``headers`` are the HTTP response headers (any case); ``fast=False`` skips the fast
    path, which the differential test and the benchmark use to get feedparser's answer.
    """
    now = now or dates.utc_now()
    out = ParsedFeed()
    response_headers = feedparser_headers(headers, feed)
    bomb = entity_expansion_error(body)
    if bomb:
        out.error, out.reason = bomb, "parse_error"
        return out
    if fast:
        try:
            document = fastparse.parse(body, response_headers["content-location"], response_headers, MAX_ENTRIES)
        except fastparse.Decline as exc:
            out.fallback = exc.reason
        except Exception:  # a bug in the fast path must cost speed, never the feed
            log.warning("fast parse path failed; using feedparser", extra={"feed_url": feed.url}, exc_info=True)
            out.fallback = "error"
        else:
            out.parser = "fast"
            _add_entries(out, document.entries, document.total, document.feed, feed, now)
            return out
    out.parser = "feedparser"
    try:
        parsed = feedparser.parse(
            io.BytesIO(body), response_headers=response_headers, sanitize_html=False, resolve_relative_uris=True
        )
    except Exception as exc:  # feedparser promises not to raise; a bug there must not stop the job
        out.error, out.reason = f"feedparser crashed: {type(exc).__name__}: {exc}", "parse_error"
        return out
    entries = parsed.get("entries") or []
    if not entries:
        if parsed.get("bozo"):
            problem = parsed.get("bozo_exception")
            out.error = f"not a usable feed: {type(problem).__name__}: {problem}"
            out.reason = "not_a_feed" if not parsed.get("version") else "parse_error"
        elif not parsed.get("version"):
            out.error, out.reason = "not a feed: no RSS/Atom/RDF root element", "not_a_feed"
        return out
    _add_entries(out, entries, len(entries), parsed.get("feed") or {}, feed, now)
    return out


def feedparser_headers(headers: Mapping[str, str] | None, feed: Feed) -> dict[str, str]:
    """The response headers both parsers read: lower-cased names, and always a base URL and a type.

    ``content-location`` is the base for relative links: the header when present (a relative
    one resolved against ``feed.url``), else ``feed.url``. ``content-type`` defaults to
    ``application/xml``, under which feedparser trusts the document's own encoding
    declaration — as it does when given no headers at all; with some headers but no
    Content-Type it would assume ISO-8859-1 instead.
    """
    out = {str(key).lower(): str(value) for key, value in (headers or {}).items()}
    location = out.get("content-location", "").strip()
    out["content-location"] = urllib.parse.urljoin(feed.url, location) if location else feed.url
    out.setdefault("content-type", "application/xml")
    return out


def entity_expansion_error(body: bytes) -> str | None:
    """Why ``body`` must not be parsed at all, or None: its entities would expand too far.

    Counts what each declared general entity would add at each reference (nested
    references included, cycles counted as unbounded); the limit is the larger of
    :data:`MAX_ENTITY_EXPANSION` and the document's own size.
    """
    if b"<!ENTITY" not in body:
        return None
    limit = max(MAX_ENTITY_EXPANSION, len(body))
    values: dict[bytes, bytes] = {}
    for match in _ENTITY_DECL.finditer(body):
        values.setdefault(match.group(1), match.group(2) if match.group(2) is not None else match.group(3))
    sizes: dict[bytes, int] = {}

    def size(name: bytes, seen: frozenset[bytes]) -> int:
        if name in sizes:
            return sizes[name]
        if name in seen:
            return limit + 1
        value = values[name]
        total = len(value)
        for ref in _ENTITY_REF.findall(value):
            if ref in values:
                total += size(ref, seen | {name}) - len(ref) - 2
                if total > limit:
                    break
        sizes[name] = min(total, limit + 1)
        return sizes[name]

    expansion = 0
    for name in values:
        expansion += size(name, frozenset()) * body.count(b"&" + name + b";")
        if expansion > limit:
            return f"declared entities would expand the document by more than {limit} bytes"
    return None


def _add_entries(
    out: ParsedFeed,
    entries: Sequence[Mapping[str, Any]],
    total: int,
    feed_meta: Mapping[str, Any],
    feed: Feed,
    now: datetime,
) -> None:
    """Normalise the entries of a parsed document into ``out`` (the same for both parsers)."""
    out.entries = total
    if total > MAX_ENTRIES:
        out.failures.append(
            Failure("parse", "too_many_entries", f"{total} entries, kept the first {MAX_ENTRIES}", feed.url)
        )
        entries = entries[:MAX_ENTRIES]
    feed_lang = feed.language or _lang_code(feed_meta.get("language"))
    seen = dates.to_iso(now)
    if not feed.name:
        title = text.strip_html(str(feed_meta.get("title") or ""))[:200]
        feed = replace(feed, name=title or feed.url.rsplit("/", 2)[-2 if feed.url.endswith("/") else -1])
    for index, entry in enumerate(entries):
        try:
            article = normalise_entry(entry, feed, feed_lang, seen, now)
        except Exception as exc:  # one malformed entry must not lose its siblings
            out.failures.append(
                Failure(
                    "parse",
                    "bad_entry",
                    f"entry {index}: {type(exc).__name__}: {exc}",
                    feed.url,
                    repr(dict(entry))[:2000],
                )
            )
            continue
        if isinstance(article, Failure):
            out.failures.append(article)
        else:
            out.articles.append(article)


def _lang_code(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().replace("_", "-").split("-")[0][:3] or None


def _entry_text(entry: Mapping[str, Any]) -> tuple[str, str]:
    # feedparser's entry aliases "description" to the summary, or to the subtitle when there is none
    summary = entry.get("summary")
    if summary is None:
        summary = entry.get("subtitle")
    summary = summary or ""
    body = ""
    for content in entry.get("content") or []:
        value = content.get("value") if isinstance(content, Mapping) else None
        if value and len(value) > len(body):
            body = value
    return str(summary), str(body)


def _entry_date(entry: Mapping[str, Any], now: datetime) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                dt = dates.from_struct_time(value)
            except (OverflowError, ValueError, TypeError):
                continue
            if dates.plausible(dt, now):
                return dt
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if isinstance(raw, str):
            dt2 = dates.parse_date(raw)
            if dt2 is not None and dates.plausible(dt2, now):
                return dt2
    return None


def normalise_entry(
    entry: Mapping[str, Any], feed: Feed, feed_lang: str | None, seen: str, now: datetime
) -> Article | Failure:
    """Turn one entry (feedparser's or the fast path's) into an Article, or a Failure saying why not."""
    raw_summary, raw_body = _entry_text(entry)
    title = text.truncate(text.strip_html(str(entry.get("title") or "")), MAX_TITLE)
    summary = text.truncate(text.strip_html(raw_summary), MAX_SUMMARY)
    body = text.truncate(text.strip_html(raw_body), MAX_BODY)
    if body == summary:
        body = ""
    if not title:
        if not summary:
            return Failure(
                "parse", "empty_entry", "entry has neither title nor summary", feed.url, repr(dict(entry))[:2000]
            )
        title = text.truncate(summary, 160)
    link = entry.get("link")
    link = link.strip() if isinstance(link, str) and link.strip() else None
    if link and not link.lower().startswith(("http://", "https://")):
        link = None  # javascript:, mailto:, relative junk that feedparser could not resolve
    guid = entry.get("id") or entry.get("guid")
    guid = str(guid) if guid else None
    published = _entry_date(entry, now)
    url = canonical_url(link) if link else (guid if guid and guid.startswith(("http://", "https://")) else "")
    language = _lang_code(entry.get("language")) or feed_lang or detect_language(f"{title} {summary}")
    fallback = f"{title}|{published.isoformat() if published else ''}"
    return Article(
        article_id=article_id(link, guid, feed.url, fallback),
        url=url,
        title=title,
        summary=summary,
        body=body,
        source=feed.name,
        feed_url=feed.url,
        language=language,
        published_at=dates.to_iso(published) if published else None,
        seen_at=seen,
        guid=guid,
    )
