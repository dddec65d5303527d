"""Story band claims in the real OpenSearch node: two workers agree, races settle by 409, claims expire."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator

import pytest

from pipeline.core.config import SearchSettings
from pipeline.core.errors import SearchError
from pipeline.sinks.search import SearchWriter
from pipeline.sinks.stories import EngineBandStore, stories_index
from pipeline.stories import Claim, StoryGrouper, StoryInput, StoryParams, article_bands
from pipeline.stories.events import is_event_key

pytestmark = pytest.mark.integration

LEAD = (
    "Washington and New Delhi agreed on Tuesday to lower tariffs on almonds, apples and dairy products, "
    "trade officials from both countries said after two days of talks in New Delhi."
)
DAY = 24 * 3600.0
T0 = 1_796_119_200.0  # 2026-12-01T10:00:00Z


@pytest.fixture
def store(search_url: str) -> Iterator[EngineBandStore]:
    prefix = f"news-articles-story-{uuid.uuid4().hex[:8]}"
    writer = SearchWriter(SearchSettings(url=search_url, index=prefix))
    writer.connect()
    writer.ensure_templates()
    yield EngineBandStore(writer, stories_index(prefix))
    with contextlib.suppress(SearchError):
        writer.client.request("DELETE", f"/{stories_index(prefix)}")
        writer.client.request("DELETE", f"/_index_template/newsmon-{prefix}")


def copy(article_id: str, title: str, at: float = T0) -> StoryInput:
    return StoryInput(article_id, at, article_bands(title, LEAD))


def test_two_workers_put_a_reprint_in_the_first_ones_story(store: EngineBandStore) -> None:
    other = EngineBandStore(store.writer, store.index)  # a second worker: its own client, the same index
    first = StoryGrouper(store).assign([copy("a", "US and India agree to cut tariffs on farm goods")])
    second = StoryGrouper(other).assign([copy("b", "India, US strike deal to slash farm tariffs", T0 + 60)])
    assert first[0].founded and first[0].story_id == "a"
    assert second[0].story_id == "a" and not second[0].founded and second[0].first_seen == T0
    # A replay of the reprint (restart) finds the same story.
    assert (
        StoryGrouper(store).assign([copy("b", "India, US strike deal to slash farm tariffs", T0 + 60)])[0].story_id
        == "a"
    )


class Racing(EngineBandStore):
    """Reads the engine, then lets another worker found the same story before this one writes."""

    def __init__(self, base: EngineBandStore, rival: StoryInput) -> None:
        super().__init__(base.writer, base.index)
        self.rival: StoryInput | None = rival

    def get(self, keys: Iterable[str]) -> dict[str, Claim]:
        found = super().get(keys)
        if self.rival is not None:
            rival, self.rival = self.rival, None
            StoryGrouper(EngineBandStore(self.writer, self.index)).assign([rival])
        return found


def test_a_race_between_two_founders_ends_in_one_story(store: EngineBandStore) -> None:
    rival = copy("rival", "US and India agree to cut tariffs on farm goods")
    mine = copy("mine", "US, India agree to cut farm-goods tariffs", T0 + 1)
    [decision] = StoryGrouper(Racing(store, rival)).assign([mine])
    assert decision.story_id == "rival"  # its create calls answered 409: it joined the winner
    holders = store.get(mine.bands)
    assert {c.story_id for c in holders.values()} == {"rival"}  # the keys it won moved to that story too


def test_claims_expire_with_the_window(store: EngineBandStore) -> None:
    params = StoryParams(window_s=7 * DAY)
    grouper = StoryGrouper(store, params)
    grouper.assign([copy("old", "US and India agree to cut tariffs on farm goods")])
    late = grouper.assign([copy("late", "India, US strike deal to slash farm tariffs", T0 + 8 * DAY)])
    assert late[0].founded and late[0].story_id == "late"  # the old story's claims no longer group
    held = store.get(copy("late", "India, US strike deal to slash farm tariffs").bands)
    assert {c.story_id for c in held.values()} <= {"late", "old"}
    assert "late" in {c.story_id for c in held.values()}  # expired claims were replaced (if_seq_no)
    store.writer.client.request("POST", f"/{store.index}/_refresh")
    store.expire(T0 + 1)  # whatever "old" still holds alone is deleted
    store.writer.client.request("POST", f"/{store.index}/_refresh")
    assert {
        c.story_id for c in store.get(copy("old", "US and India agree to cut tariffs on farm goods").bands).values()
    } <= {"late"}


def test_story_records_count_created_articles(store: EngineBandStore) -> None:
    store.count_created(
        [("s1", T0, T0 + 5, "A", "https://a", ("trade",)), ("s1", T0, T0 + 9, "B", "https://b", ("trade",))]
    )
    store.count_created([("s1", T0, T0 + 60, "C", "https://c", ("trade",))])
    record = store.writer.client.request("GET", f"/{store.index}/_doc/s1")["_source"]
    assert (record["size"], record["title"], record["last_seen"]) == (3, "A", "2026-12-01T10:01:00Z")


def test_event_key_claims_are_their_own_kind_and_expire_with_the_event_window(store: EngineBandStore) -> None:
    params = StoryParams(event_window_s=12 * 3600.0)
    item = copy("ev", "Hegseth and Rajnath Singh sign 10-year US-India defence framework in Kuala Lumpur")
    events = [k for k in item.bands if is_event_key(k)]
    assert events and len(events) < len(item.bands)
    StoryGrouper(store, params).assign([item])
    store.writer.client.request("POST", f"/{store.index}/_refresh")
    kinds = store.writer.client.request(
        "POST", f"/{store.index}/_search", {"size": 0, "aggs": {"kinds": {"terms": {"field": "kind"}}}}
    )["aggregations"]["kinds"]["buckets"]
    assert {b["key"]: b["doc_count"] for b in kinds} == {"band": len(item.bands) - len(events), "event": len(events)}
    # A day later: the event keys are past their window, the bands are not.
    assert store.expire(T0 + DAY - params.window_s, T0 + DAY - params.event_window_s) == len(events)
    store.writer.client.request("POST", f"/{store.index}/_refresh")
    assert set(store.get(item.bands)) == set(item.bands) - set(events)
