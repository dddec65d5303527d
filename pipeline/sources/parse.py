"""Parse feed bytes with feedparser and normalise entries into :class:`Article`.

feedparser never raises on a broken feed: it sets ``bozo``. We keep every
entry it could read, and report the feed as failed only when nothing usable
came out. Per-entry problems (no title, no link) are reported as
:class:`Failure` records and the other entries continue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import feedparser

from pipeline import dates, text
from pipeline.detect import detect_language
from pipeline.model import Article, Failure, Feed
from pipeline.urls import article_id, canonical_url

log = logging.getLogger(__name__)

MAX_TITLE = 1_000
MAX_SUMMARY = 10_000
MAX_BODY = 100_000
MAX_ENTRIES = 5_000  # per document; a feed with more is truncated and reported


@dataclass
class ParsedFeed:
    """What one feed document yielded."""

    articles: list[Article] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    entries: int = 0
    error: str | None = None  # set when the document as a whole is unusable
    reason: str | None = None  # short failure reason for metrics (bounded set)


def parse_feed(
    body: bytes,
    feed: Feed,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse one feed document. Never raises on bad input."""
    now = now or dates.utc_now()
    out = ParsedFeed()
    try:
        parsed = feedparser.parse(body, response_headers=dict(headers or {}), sanitize_html=False,
                                  resolve_relative_uris=True)
    except Exception as exc:  # feedparser promises not to raise; a bug there must not stop the job
        out.error, out.reason = f"feedparser crashed: {type(exc).__name__}: {exc}", "parse_error"
        return out
    entries = parsed.get("entries") or []
    out.entries = len(entries)
    bozo = parsed.get("bozo")
    if not entries:
        if bozo:
            problem = parsed.get("bozo_exception")
            out.error = f"not a usable feed: {type(problem).__name__}: {problem}"
            out.reason = "not_a_feed" if not parsed.get("version") else "parse_error"
        elif not parsed.get("version"):
            out.error, out.reason = "not a feed: no RSS/Atom/RDF root element", "not_a_feed"
        return out
    if len(entries) > MAX_ENTRIES:
        out.failures.append(Failure("parse", "too_many_entries",
                                    f"{len(entries)} entries, kept the first {MAX_ENTRIES}", feed.url))
        entries = entries[:MAX_ENTRIES]
    feed_meta = parsed.get("feed") or {}
    feed_lang = feed.language or _lang_code(feed_meta.get("language"))
    seen = dates.to_iso(now)
    if not feed.name:
        title = text.strip_html(str(feed_meta.get("title") or ""))[:200]
        feed = replace(feed, name=title or feed.url.rsplit("/", 2)[-2 if feed.url.endswith("/") else -1])
    for index, entry in enumerate(entries):
        try:
            article = normalise_entry(entry, feed, feed_lang, seen, now)
        except Exception as exc:  # one malformed entry must not lose its siblings
            out.failures.append(Failure("parse", "bad_entry", f"entry {index}: {type(exc).__name__}: {exc}",
                                        feed.url, repr(dict(entry))[:2000]))
            continue
        if isinstance(article, Failure):
            out.failures.append(article)
        else:
            out.articles.append(article)
    return out


def _lang_code(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().replace("_", "-").split("-")[0][:3] or None


def _entry_text(entry: Mapping[str, Any]) -> tuple[str, str]:
    summary = entry.get("summary") or entry.get("description") or ""
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
    """Turn one feedparser entry into an Article, or a Failure saying why it cannot be one."""
    raw_summary, raw_body = _entry_text(entry)
    title = text.truncate(text.strip_html(str(entry.get("title") or "")), MAX_TITLE)
    summary = text.truncate(text.strip_html(raw_summary), MAX_SUMMARY)
    body = text.truncate(text.strip_html(raw_body), MAX_BODY)
    if body == summary:
        body = ""
    if not title:
        if not summary:
            return Failure("parse", "empty_entry", "entry has neither title nor summary", feed.url,
                           repr(dict(entry))[:2000])
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
