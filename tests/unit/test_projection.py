"""One projection of a classified article: the export line, the search document and the ``newsmon classify``
output all carry the same article and verdict fields, from ``pipeline.core.model.project``."""

from __future__ import annotations

import io
import json

from pipeline.app.cli import classify_stream
from pipeline.core.model import (
    ARTICLE_FIELDS,
    CLASSIFY_FIELDS,
    VERDICT_FIELDS,
    Article,
    ClassifiedArticle,
    classify_output,
    project,
)
from pipeline.detect import classify
from pipeline.sinks.document import DOCUMENT_FIELDS, to_document
from pipeline.transforms.graph import export_line

ARTICLE = Article(
    article_id="a1",
    url="https://e.org/1",
    title="US and India agree to cut tariffs on farm goods",
    summary="Negotiators from Washington and New Delhi reached an interim trade deal.",
    body="",
    source="Example",
    feed_url="https://e.org/feed",
    language="en",
    published_at="2026-01-02T00:00:00Z",
    seen_at="2026-01-02T00:00:03Z",
    guid="g-1",
)
ITEM = ClassifiedArticle(ARTICLE, classify(ARTICLE.title, ARTICLE.summary, ARTICLE.body, "en"))


def test_the_projection_is_the_article_and_its_verdict_as_json_fields() -> None:
    fields = project(ITEM)
    assert tuple(fields) == ARTICLE_FIELDS + VERDICT_FIELDS
    assert fields["relevant"] is True and "trade" in fields["topics"]
    assert json.loads(json.dumps(fields)) == fields  # JSON-ready: lists, not tuples


def test_the_export_line_is_the_projection() -> None:
    assert json.loads(export_line(ITEM)) == project(ITEM)


def test_the_search_document_shares_the_projection_fields() -> None:
    fields, doc = project(ITEM), to_document(ITEM, "2026-01-02T00:00:05Z")
    assert set(doc) <= set(DOCUMENT_FIELDS)
    shared = set(ARTICLE_FIELDS + VERDICT_FIELDS) - {"guid", "body", "published_at"}
    assert {k: doc[k] for k in shared} == {k: fields[k] for k in shared}


def test_classify_output_is_the_projection_of_what_was_classified() -> None:
    out = io.StringIO()
    line = {"id": 7, "title": ARTICLE.title, "summary": ARTICLE.summary, "language": "en"}
    assert classify_stream(io.StringIO(json.dumps(line) + "\n"), out) == 0
    got = json.loads(out.getvalue())
    assert list(got) == ["id", *CLASSIFY_FIELDS]
    assert got == classify_output(7, ITEM)
    assert {k: got[k] for k in VERDICT_FIELDS} == {k: project(ITEM)[k] for k in VERDICT_FIELDS}
