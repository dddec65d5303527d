"""Durable per-feed poll state in the search engine: one document per feed in ``news-feeds``.

Why the engine: the service needs it anyway, it survives restarts and runner
changes (Prism keeps nothing), and operators get a Kibana view of feed health
and ``newsmon feeds`` for free. Two writers update disjoint parts of a feed's
document, each with a partial ``update`` (upsert):

* the **poller**, after each poll: schedule and health (next due, failures,
  gone, moved URL, last outcome...). Losing these costs at most an early poll.
* the **indexer**, once every article of a fetched body is in the engine (or
  dead-lettered): ``committed`` — the body's validators, hash and the ids of
  its entries. Only committed validators are used after a restart, so a body
  whose articles were never indexed is fetched again and nothing is lost.

The document id is a hash of the configured feed URL; see :func:`feeds_index`
for the index name.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.core.dates import iso_to_unix, unix_to_iso
from pipeline.core.model import Feed, FeedCommit
from pipeline.sources.schedule import PollState

if TYPE_CHECKING:
    from pipeline.sinks.search import SearchWriter

log = logging.getLogger(__name__)
DEFAULT_ARTICLE_PREFIX = "news-articles"
FEEDS_INDEX = "news-feeds"


def feeds_index(article_prefix: str) -> str:
    """``news-feeds`` for the default article prefix, ``news-feeds-<prefix>`` otherwise, so deployments
    (and tests) sharing one engine under different prefixes keep separate feed state."""
    return FEEDS_INDEX if article_prefix == DEFAULT_ARTICLE_PREFIX else f"{FEEDS_INDEX}-{article_prefix}"


def feed_doc_id(feed_url: str) -> str:
    return hashlib.sha256(feed_url.encode("utf-8")).hexdigest()[:32]


def _iso(ts: float) -> str | None:
    return unix_to_iso(ts) if ts > 0 else None


def _ts(value: Any) -> float:
    return iso_to_unix(value) or 0.0


def schedule_doc(feed: Feed, state: PollState, now: float) -> dict[str, Any]:
    """The poller's part of a feed document."""
    return {
        "feed_url": feed.url,
        "name": feed.name,
        "feed_group": feed.tags[0] if feed.tags else "default",
        "fetch_url": state.url or feed.url,
        "interval_s": feed.interval_s,
        "next_due": _iso(state.next_due),
        "last_poll": _iso(state.last_poll),
        "last_success": _iso(state.last_success),
        "last_outcome": state.last_outcome or None,
        "last_error": state.last_error,
        "failures": state.failures,
        "gone": state.gone,
        "unchanged_polls": state.unchanged_polls,
        "floor_s": state.floor_s,
        "healthy": state.failures == 0 and not state.gone,
        "updated_at": _iso(now),
    }


def commit_doc(commit: FeedCommit, now: float) -> dict[str, Any]:
    """The indexer's part: what a restart may trust."""
    return {
        "feed_url": commit.feed_url,
        "committed": {
            "etag": commit.etag,
            "last_modified": commit.last_modified,
            "body_hash": commit.body_hash,
            "seen_ids": list(commit.seen_ids),
        },
        "items_seen": len(commit.seen_ids),
        "committed_at": _iso(now),
    }


def state_from_doc(doc: dict[str, Any]) -> PollState:
    """The PollState a restarted poller resumes from: schedule as last polled, validators as last committed."""
    committed = doc.get("committed") or {}
    return PollState(
        etag=committed.get("etag"),
        last_modified=committed.get("last_modified"),
        body_hash=committed.get("body_hash"),
        seen_ids=tuple(committed.get("seen_ids") or ()),
        next_due=_ts(doc.get("next_due")),
        failures=int(doc.get("failures") or 0),
        url=doc.get("fetch_url") if doc.get("fetch_url") != doc.get("feed_url") else None,
        gone=bool(doc.get("gone")),
        unchanged_polls=int(doc.get("unchanged_polls") or 0),
        floor_s=doc.get("floor_s"),
        last_poll=_ts(doc.get("last_poll")),
        last_success=_ts(doc.get("last_success")),
        last_outcome=str(doc.get("last_outcome") or ""),
        last_error=doc.get("last_error"),
    )


@dataclass
class FeedStateStore:
    """Reads and writes feed documents through a connected ``SearchWriter``."""

    writer: SearchWriter
    index: str

    def load(self, feed_urls: Iterable[str]) -> dict[str, PollState]:
        """Stored state of these feeds (absent ones are left out)."""
        urls = list(feed_urls)
        if not urls:
            return {}
        docs = self.writer.mget(self.index, [feed_doc_id(u) for u in urls])
        out: dict[str, PollState] = {}
        for doc in docs:
            url = doc.get("feed_url")
            if url in urls:
                out[url] = state_from_doc(doc)
        return out

    def save_schedules(self, items: Sequence[tuple[Feed, PollState]], now: float) -> int:
        """Upsert the poller's part of each feed's document; returns how many failed."""
        return int(self.writer.upsert(self.index, {feed_doc_id(f.url): schedule_doc(f, s, now) for f, s in items}))

    def commit(self, commits: Sequence[FeedCommit], now: float) -> int:
        """Upsert the indexer's part; returns how many failed."""
        return int(self.writer.upsert(self.index, {feed_doc_id(c.feed_url): commit_doc(c, now) for c in commits}))

    def all(self, size: int = 10_000) -> list[dict[str, Any]]:
        """Every feed document (for ``newsmon feeds``), most recently polled first."""
        return list(self.writer.search_docs(self.index, {"size": size, "sort": [{"last_poll": "desc"}]}))
