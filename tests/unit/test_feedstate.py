"""Feed state documents: what the poller and the indexer write, and what a restart resumes from."""

from __future__ import annotations

from pipeline.core.model import Feed, FeedCommit
from pipeline.sinks.feedstate import (
    commit_doc,
    feed_doc_id,
    feeds_index,
    schedule_doc,
    state_from_doc,
)
from pipeline.sources.schedule import PollState, remember_seen

FEED = Feed(url="https://a.example/rss", name="A", interval_s=300, tags=("india",))


def test_a_restart_resumes_the_schedule_as_polled_and_validators_as_committed() -> None:
    live = PollState(
        etag='"new"',
        last_modified="m2",
        body_hash="h2",
        next_due=2000.0,
        failures=1,
        url="https://b.example/rss",
        unchanged_polls=3,
        floor_s=900.0,
        last_poll=1700.0,
        last_success=1600.0,
        last_outcome="timeout",
        last_error="timed out",
        seen_ids=("x",),
    )
    doc = schedule_doc(FEED, live, now=1700.0)
    # The indexer committed an older body: its articles are the last ones known to be in the engine.
    doc |= commit_doc(FeedCommit(FEED.url, '"old"', "m1", "h1", ("a", "b")), now=1650.0)
    resumed = state_from_doc(doc)
    assert (resumed.etag, resumed.last_modified, resumed.body_hash, resumed.seen_ids) == (
        '"old"',
        "m1",
        "h1",
        ("a", "b"),
    )
    assert (resumed.next_due, resumed.failures, resumed.url, resumed.unchanged_polls, resumed.floor_s) == (
        2000.0,
        1,
        "https://b.example/rss",
        3,
        900.0,
    )
    assert (resumed.last_outcome, resumed.last_error, resumed.last_poll) == ("timeout", "timed out", 1700.0)
    assert doc["healthy"] is False and doc["feed_group"] == "india" and doc["items_seen"] == 2


def test_a_feed_never_committed_resumes_without_validators() -> None:
    resumed = state_from_doc(schedule_doc(FEED, PollState(etag='"e"', next_due=5.0), now=1.0))
    assert resumed.etag is None and resumed.body_hash is None and resumed.next_due == 5.0
    assert resumed.url is None  # fetch_url equals the feed URL: not a move


def test_ids_and_index_names_are_stable() -> None:
    assert feed_doc_id(FEED.url) == feed_doc_id("https://a.example/rss") != feed_doc_id("https://a.example/x")
    assert feeds_index("news-articles") == "news-feeds"
    assert feeds_index("news-articles-eu") == "news-feeds-news-articles-eu"


def test_seen_ids_are_bounded_by_the_feed_size_not_its_history() -> None:
    seen: tuple[str, ...] = ()
    for poll in range(100):  # a 40-item feed gaining 5 items per poll
        body = [f"item-{n}" for n in range(poll * 5, poll * 5 + 40)]
        seen = remember_seen(seen, body)
        assert set(body) <= set(seen)
    assert len(seen) == 120  # 3 bodies' worth
    assert seen[:40] == tuple(f"item-{n}" for n in range(495, 535))
    assert len(remember_seen((), ["a", "a", "b"])) == 2
