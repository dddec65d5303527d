"""The search document: one per article, the contract Kibana users search.

Field list (DESIGN.md): article_id, url, title, summary, body, source,
feed_url, language, published_at, ingested_at, @timestamp (= published_at),
relevant, relevance_score, topics, entities, matched_terms. The mapping lives
in ``articles-template.json`` beside this module; a test checks the two agree.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from pipeline.model import ClassifiedArticle

ARTICLES_TEMPLATE_NAME = "newsmon-articles"
DOCUMENT_FIELDS = (
    "article_id", "url", "title", "summary", "body", "source", "feed_url", "language",
    "published_at", "published_at_estimated", "ingested_at", "seen_at", "@timestamp",
    "relevant", "relevance_score", "topics", "entities", "matched_terms", "evidence",
)


def articles_template() -> dict[str, Any]:
    """The index template (mappings + settings) shipped in the package."""
    text = resources.files("pipeline.sinks").joinpath("articles-template.json").read_text(encoding="utf-8")
    template: dict[str, Any] = json.loads(text)
    return template


def template_version(template: dict[str, Any]) -> int:
    return int(template.get("_meta", {}).get("newsmon_template_version", 0))


def to_document(item: ClassifiedArticle, ingested_at: str) -> dict[str, Any]:
    """Build the search document. ``published_at`` falls back to when newsmon first saw the article."""
    a, c = item.article, item.classification
    published = a.published_at or a.seen_at
    doc: dict[str, Any] = {
        "article_id": a.article_id,
        "url": a.url,
        "title": a.title,
        "summary": a.summary,
        "source": a.source,
        "feed_url": a.feed_url,
        "language": a.language,
        "published_at": published,
        "published_at_estimated": a.published_at is None,
        "ingested_at": ingested_at,
        "seen_at": a.seen_at,
        "@timestamp": published,
        "relevant": c.relevant,
        "relevance_score": round(c.relevance_score, 4),
        "topics": list(c.topics),
        "entities": list(c.entities),
        "matched_terms": list(c.matched_terms),
        "evidence": c.evidence,
    }
    if a.body:
        doc["body"] = a.body
    return doc
