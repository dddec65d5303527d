"""Stories where users look, without Beam or an engine: search collapsing, alert documents, story records."""

from __future__ import annotations

from dataclasses import replace

from pipeline.alerting.spikes import alert_document, assess, example_of, stories_label, story_key, top_examples
from pipeline.app.searching import SearchRequest, build_query, render, summarise
from pipeline.core.model import Article, Classification, ClassifiedArticle, StoryRef
from pipeline.sinks.document import to_document
from pipeline.sinks.stories import story_updates

W = 900


def item(n: int, story: str | None, source: str = "Wire") -> ClassifiedArticle:
    a = Article(
        article_id=f"id{n}",
        url=f"https://n.example/{n}",
        title=f"Headline {n}",
        source=source,
        published_at="2026-03-01T10:00:00Z",
        seen_at="2026-03-01T10:00:05Z",
    )
    c = Classification(relevant=True, relevance_score=0.5 + n / 100, topics=("trade",))
    return ClassifiedArticle(a, c, StoryRef(story, "2026-03-01T09:00:00Z") if story else None)


def test_the_document_carries_its_story_and_an_ungrouped_article_is_its_own() -> None:
    doc = to_document(item(1, "s1"), "2026-03-01T10:00:06Z")
    assert (doc["story_id"], doc["story_first_seen"]) == ("s1", "2026-03-01T09:00:00Z")
    alone = to_document(item(2, None), "2026-03-01T10:00:06Z")
    assert alone["story_id"] == "id2"


def test_stories_query_collapses_on_story_id_and_counts_stories() -> None:
    body = build_query(SearchRequest(text="tariffs", stories=True))
    assert body["collapse"]["field"] == "story_id"
    assert body["collapse"]["inner_hits"]["name"] == "story"
    assert body["aggs"]["stories"] == {"cardinality": {"field": "story_id"}}
    assert "collapse" not in build_query(SearchRequest(text="tariffs"))


def test_a_collapsed_hit_shows_plus_n_outlets() -> None:
    members = [{"_source": {"source": s}} for s in ("Wire", "Daily", "Wire", "Times")]
    response = {
        "hits": {
            "total": {"value": 5},
            "hits": [
                {
                    "_source": {
                        "article_id": "a",
                        "title": "Tariff deal",
                        "url": "https://w/a",
                        "source": "Wire",
                        "published_at": "2026-03-01T10:00:00Z",
                        "topics": ["trade"],
                        "summary": "x",
                        "story_id": "s1",
                    },
                    "inner_hits": {"story": {"hits": {"total": {"value": 4}, "hits": members}}},
                }
            ],
        },
        "aggregations": {"stories": {"value": 2}},
    }
    summary = summarise(response)
    assert summary["stories"] == 2
    assert summary["hits"][0]["outlets"] == ["Wire", "Daily", "Times"]
    text = render(summary)
    assert "5 matching article(s) in 2 stories" in text
    assert "+2 outlets: Daily, Times  (4 articles in the story)" in text


def test_alert_names_distinct_stories_and_labels_a_single_syndicated_one() -> None:
    items = [item(n, "s1", f"Outlet {n}") for n in range(6)]
    examples = [example_of(i) for i in items]
    assert len(top_examples(examples, 5)) == 1  # one example per story
    doc = alert_document("trade", 0, W, assess(6, [0] * 8), examples, stories=1)
    assert (doc["count"], doc["stories"], doc["single_story"]) == (6, 1, True)
    assert "single syndicated story" in doc["summary"]
    assert doc["examples"][0]["story_id"] == "s1"
    mixed = [*items, item(7, "s2"), item(8, None)]
    assert {story_key(i) for i in mixed} == {"s1", "s2", "id8"}
    doc = alert_document("trade", 0, W, assess(8, [0] * 8), [example_of(i) for i in mixed], stories=3)
    assert (doc["stories"], doc["single_story"], len(doc["examples"])) == (3, False, 3)
    assert stories_label(8, 3) == "8 articles, 3 distinct stories"


def test_story_records_add_up_created_articles_per_story() -> None:
    t = 1_772_359_200.0
    updates = story_updates(
        [
            ("s1", t, t + 5, "A", "https://a", ("trade",)),
            ("s1", t, t + 60, "B", "https://b", ("trade",)),
            ("s2", t, t + 1, "C", "https://c", ()),
        ]
    )
    upsert, params = updates["s1"]
    assert (upsert["size"], params["n"], upsert["title"]) == (2, 2, "A")
    assert params["last_seen"] == upsert["last_seen"] > upsert["first_seen"]
    assert updates["s2"][0]["size"] == 1


def test_an_article_without_a_story_keeps_working_in_alerts() -> None:
    plain = replace(item(1, None), story=None)
    assert example_of(plain).story_id is None and story_key(plain) == "id1"
