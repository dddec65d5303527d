"""Plain data passed between pipeline stages: feeds, fetched documents, articles.

Everything here is a frozen dataclass of plain values so that it pickles
cheaply across Beam workers and can be used in pure unit tests without Beam.
Times are timezone-aware UTC ``datetime`` objects or ISO-8601 strings in the
search document; durations are seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Feed:
    """One configured feed (a line of ``feeds.yaml``)."""

    url: str
    name: str
    interval_s: float = 300.0
    language: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class FetchResult:
    """Outcome of one poll of one feed.

    ``outcome`` is one of :data:`pipeline.telemetry.metrics.POLL_OUTCOMES`. ``body`` is
    the (decompressed) response body, ``None`` when there is nothing to parse
    (304, error).
    """

    feed: Feed
    outcome: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    duration_s: float = 0.0
    fetched_at: float = 0.0  # unix seconds
    retry_after_s: float | None = None  # server-requested pause (429/503 Retry-After)
    final_url: str | None = None  # where the body came from, after redirects
    permanent_url: str | None = None  # set when every redirect hop was permanent (301/308)
    cache_s: float | None = None  # freshness lifetime the server gave (Cache-Control max-age / Expires)


@dataclass(frozen=True)
class FeedCommit:
    """What a feed's durable state may record once every article of one fetched body is indexed."""

    feed_url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    seen_ids: tuple[str, ...]  # ids of the entries of this body and a few before it, newest first


@dataclass(frozen=True)
class Article:
    """One normalised feed entry."""

    article_id: str
    url: str
    title: str
    summary: str = ""
    body: str = ""
    source: str = ""
    feed_url: str = ""
    language: str | None = None
    published_at: str | None = None  # ISO-8601 UTC, None when the feed gives no usable date
    seen_at: str = ""  # ISO-8601 UTC, when the pipeline first parsed it
    guid: str | None = None


@dataclass(frozen=True)
class Classification:
    """The detector's verdict on one article (see ``newsmon classify``)."""

    relevant: bool
    relevance_score: float
    topics: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    matched_terms: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoryRef:
    """The story an article belongs to (``pipeline.stories``): its id and when it was first seen (ISO UTC)."""

    story_id: str
    first_seen: str
    founded: bool = False  # this article started the story


@dataclass(frozen=True)
class ClassifiedArticle:
    article: Article
    classification: Classification
    story: StoryRef | None = None


@dataclass(frozen=True)
class Failure:
    """A dead-letter record: what failed, where, why, and the original payload."""

    stage: str
    reason: str
    detail: str
    feed_url: str = ""
    payload: str = ""  # original data (truncated) so the record can be replayed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FeedBatch:
    """The new entries of one fetched feed body, and the state to commit once they are indexed."""

    feed: Feed
    articles: tuple[Article, ...]
    commit: FeedCommit
    classified: tuple[ClassifiedArticle, ...] = ()
    fetched_at: float = 0.0  # unix seconds


# -- the one projection of a classified article into plain JSON fields ------------------------
ARTICLE_FIELDS = (
    "article_id",
    "url",
    "title",
    "summary",
    "body",
    "source",
    "feed_url",
    "language",
    "published_at",
    "guid",
)
VERDICT_FIELDS = ("relevant", "relevance_score", "topics", "entities", "matched_terms", "evidence")
# `newsmon classify` (DESIGN.md): the verdict plus the language it was classified in, after the caller's `id`.
CLASSIFY_FIELDS = ("relevant", "relevance_score", "topics", "entities", "matched_terms", "language", "evidence")


def project(item: ClassifiedArticle) -> dict[str, Any]:
    """An article as parsed and its verdict as JSON-ready fields (:data:`ARTICLE_FIELDS` +
    :data:`VERDICT_FIELDS`; the score rounded to 4 places, tuples as lists).

    The one projection of a :class:`ClassifiedArticle`: the backfill export line is exactly this, the
    search document (``pipeline.sinks.document.to_document``) and the ``newsmon classify`` output
    (:func:`classify_output`) are derived from it.
    """
    a, c = item.article, item.classification
    return {
        "article_id": a.article_id,
        "url": a.url,
        "title": a.title,
        "summary": a.summary,
        "body": a.body,
        "source": a.source,
        "feed_url": a.feed_url,
        "language": a.language,
        "published_at": a.published_at,
        "guid": a.guid,
        "relevant": c.relevant,
        "relevance_score": round(c.relevance_score, 4),
        "topics": list(c.topics),
        "entities": list(c.entities),
        "matched_terms": list(c.matched_terms),
        "evidence": c.evidence,
    }


def classify_output(item_id: Any, item: ClassifiedArticle) -> dict[str, Any]:
    """One ``newsmon classify`` output object: the caller's ``id`` (kept as given) and the
    :data:`CLASSIFY_FIELDS` of :func:`project`."""
    fields = project(item)
    return {"id": item_id, **{k: fields[k] for k in CLASSIFY_FIELDS}}
