"""The search documents and their index templates: the contract Kibana users search.

Article documents (DESIGN.md): article_id, url, title, summary, body, source,
feed_url, language, published_at, ingested_at, @timestamp (= published_at),
relevant, relevance_score, topics, entities, matched_terms, ``story_id`` and
``story_first_seen``: the story grouping (``pipeline.stories``) put the article
in (near-duplicates and reprints share one; an article not grouped is a story
of its own, id = article id). Mappings ship as
JSON templates beside this module; a test checks document and mapping agree.

Articles live in **yearly indices** ``<prefix>-<YYYY>`` chosen by publication
year (``<prefix>-undated`` when the feed gives no date). The index is a pure
function of the article, so a replay or restart always writes to the index that
already holds the article and ``create`` keeps it single — which a rollover
write alias could not guarantee. Searches read ``<prefix>-*``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from pipeline.core.model import ARTICLE_FIELDS, VERDICT_FIELDS, ClassifiedArticle, project

# The search document: the article's projection (without the guid) and its verdict, plus when it was
# seen and stored and its story.
DOCUMENT_FIELDS = (
    *(f for f in ARTICLE_FIELDS if f != "guid"),
    "published_at_estimated",
    "ingested_at",
    "seen_at",
    "@timestamp",
    *VERDICT_FIELDS,
    "story_id",
    "story_first_seen",
)
ALERTS_INDEX = "news-alerts"
DEADLETTER_INDEX = "news-deadletter"


def _load(name: str) -> dict[str, Any]:
    text = resources.files("pipeline.sinks").joinpath(name).read_text(encoding="utf-8")
    template: dict[str, Any] = json.loads(text)
    return template


def articles_template(prefix: str = "news-articles") -> dict[str, Any]:
    """The article index template for indices ``<prefix>-*``."""
    template = _load("articles-template.json")
    template["index_patterns"] = [f"{prefix}-*"]
    # Prefixes can nest (news-articles-* also matches news-articles-eu-*): the longer, more
    # specific prefix must win, and the engines refuse two matching templates of equal priority.
    template["priority"] = 100 + len(prefix)
    return template


def alerts_template() -> dict[str, Any]:
    return _load("alerts-template.json")


def deadletter_template() -> dict[str, Any]:
    return _load("deadletter-template.json")


def feeds_template() -> dict[str, Any]:
    return _load("feeds-template.json")


def stories_template() -> dict[str, Any]:
    return _load("stories-template.json")


def template_version(template: dict[str, Any]) -> int:
    return int(template.get("_meta", {}).get("newsmon_template_version", 0))


def article_index(prefix: str, doc: dict[str, Any]) -> str:
    """The yearly index an article document belongs to (stable for the article's lifetime)."""
    if doc.get("published_at_estimated") or not doc.get("published_at"):
        return f"{prefix}-undated"
    return f"{prefix}-{str(doc['published_at'])[:4]}"


def other_indices(prefix: str, doc: dict[str, Any]) -> list[str]:
    """Indices other than :func:`article_index` where an earlier copy of this article may already be.

    An article's date can change between polls: first seen undated (``-undated``)
    and later with a date, or re-dated across a year boundary. Its index would
    change with it, and ``create`` would write a second document; the writer
    looks in these neighbours first (a realtime ``_mget``, no refresh needed).
    """
    own = article_index(prefix, doc)
    stamp = str(doc.get("published_at") or doc.get("seen_at") or "")
    year = int(stamp[:4]) if stamp[:4].isdigit() else None
    candidates = [f"{prefix}-undated"] if own != f"{prefix}-undated" else []
    if year is not None:
        candidates += [f"{prefix}-{y}" for y in (year, year - 1, year + 1)]
    return [c for c in dict.fromkeys(candidates) if c != own]


def read_pattern(prefix: str) -> str:
    return f"{prefix}-*"


def to_document(item: ClassifiedArticle, ingested_at: str) -> dict[str, Any]:
    """Build the search document from :func:`pipeline.core.model.project`. ``published_at`` falls back to when
    newsmon first saw the article; ``body`` only when known; no ``guid`` (the id already says it)."""
    a = item.article
    published = a.published_at or a.seen_at
    doc = {k: v for k, v in project(item).items() if k != "guid" and (k != "body" or v)}
    doc.update(
        {
            "published_at": published,
            "published_at_estimated": a.published_at is None,
            "ingested_at": ingested_at,
            "seen_at": a.seen_at,
            "@timestamp": published,
        }
    )
    # Every document is in a story (its own, until grouping says otherwise): collapsing on story_id
    # would put all documents without one in a single group.
    doc["story_id"] = item.story.story_id if item.story else a.article_id
    doc["story_first_seen"] = item.story.first_seen if item.story else (a.seen_at or published)
    return doc
