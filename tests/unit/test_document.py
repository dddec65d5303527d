from __future__ import annotations

from pipeline.core.model import Article, Classification, ClassifiedArticle
from pipeline.sinks.document import DOCUMENT_FIELDS, articles_template, template_version, to_document

ARTICLE = Article(
    article_id="a" * 32,
    url="https://e.org/1",
    title="T",
    summary="S",
    body="B",
    source="Src",
    feed_url="https://e.org/rss",
    language="en",
    published_at="2026-01-01T00:00:00Z",
    seen_at="2026-01-02T00:00:00Z",
)
VERDICT = Classification(True, 0.9, ("trade",), ("Narendra Modi",), ("tariff",), {"rule": "x"})


def test_document_fields_match_the_template_mapping() -> None:
    props = articles_template()["template"]["mappings"]["properties"]
    assert set(DOCUMENT_FIELDS) == set(props)
    doc = to_document(ClassifiedArticle(ARTICLE, VERDICT), "2026-01-02T00:00:05Z")
    assert set(doc) <= set(props)
    assert doc["@timestamp"] == doc["published_at"] == "2026-01-01T00:00:00Z"
    assert doc["topics"] == ["trade"] and doc["relevant"] is True


def test_missing_publication_date_falls_back_to_first_seen() -> None:
    from dataclasses import replace

    doc = to_document(ClassifiedArticle(replace(ARTICLE, published_at=None, body=""), VERDICT), "x")
    assert doc["published_at"] == ARTICLE.seen_at and doc["published_at_estimated"] is True
    assert "body" not in doc


def test_template_is_versioned_and_uses_keyword_subfields() -> None:
    t = articles_template()
    assert template_version(t) >= 1
    props = t["template"]["mappings"]["properties"]
    assert props["title"]["fields"]["keyword"]["type"] == "keyword"
    for field in ("topics", "entities", "source", "language"):
        assert props[field]["type"] == "keyword"
    assert props["published_at"]["type"] == "date"
