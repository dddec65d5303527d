from __future__ import annotations

import random
from typing import Any

from pipeline.core.model import Feed, FetchResult
from pipeline.sources.schedule import (
    GONE_RECHECK_S,
    MAX_BACKOFF_S,
    MAX_SERVER_FLOOR_S,
    QUIET_POLLS,
    PollState,
    after_poll,
    after_unusable_body,
    due_feeds,
    interval_for,
    is_due,
    plan_shards,
    rss_ttl_seconds,
    settle_poll,
    shard_of,
)

FEED = Feed(url="https://a.example/rss", name="A", interval_s=60)


def res(outcome: str, **kw: Any) -> FetchResult:
    return FetchResult(feed=FEED, outcome=outcome, **kw)


def test_success_keeps_validators_and_schedules_next_interval() -> None:
    s = after_poll(PollState(), res("ok", etag='"e1"', last_modified="lm"), 60, now=1000, changed=True)
    assert (s.etag, s.last_modified, s.next_due, s.failures) == ('"e1"', "lm", 1060, 0)
    assert not is_due(s, 1059) and is_due(s, 1060)
    s2 = after_poll(s, res("not_modified"), 60, now=1060)
    assert (s2.etag, s2.next_due) == ('"e1"', 1120)


def test_failures_back_off_exponentially_with_cap_and_reset_on_success() -> None:
    rng = random.Random(1)
    s = PollState()
    delays = []
    for _ in range(20):
        s = after_poll(s, res("http_error", status=500), 60, now=0, rng=rng)
        delays.append(s.next_due)
    assert delays[1] > delays[0] * 1.5
    assert max(delays) <= MAX_BACKOFF_S * 1.1
    assert s.failures == 20
    s = after_poll(s, res("ok"), 60, now=0)
    assert (s.failures, s.next_due) == (0, 60)


def test_retry_after_is_respected() -> None:
    s = after_poll(PollState(), res("rate_limited", status=429, retry_after_s=900.0), 60, now=0, rng=random.Random(0))
    assert s.next_due >= 900 * 0.9


def test_settle_poll_parses_only_changed_bodies() -> None:
    first, outcome, parse = settle_poll(PollState(), res("ok", body=b"<rss>1</rss>", etag='"a"'), 60, now=0)
    assert (outcome, parse, first.etag) == ("ok", True, '"a"') and first.body_hash
    same, outcome, parse = settle_poll(first, res("ok", body=b"<rss>1</rss>"), 60, now=60)
    assert (outcome, parse, same.body_hash) == ("unchanged", False, first.body_hash)
    changed, outcome, parse = settle_poll(same, res("ok", body=b"<rss>2</rss>"), 60, now=120)
    assert (outcome, parse) == ("ok", True) and changed.body_hash != first.body_hash
    failed, outcome, parse = settle_poll(changed, res("timeout"), 60, now=180, rng=random.Random(0))
    assert (outcome, parse, failed.failures, failed.body_hash) == ("timeout", False, 1, changed.body_hash)


def test_shards_are_stable_and_cover_every_feed_once() -> None:
    feeds = [Feed(url=f"https://f{i}.example/rss", name=str(i)) for i in range(500)]
    plan = plan_shards(feeds, 8)
    assert [key for key, _ in plan] == [key for key, _ in plan_shards(list(reversed(feeds)), 8)]
    assert sorted(f.url for _, group in plan for f in group) == sorted(f.url for f in feeds)
    assert len(plan) == 8 and all(len(group) > 20 for _, group in plan)
    assert {f.url for f in dict(plan_shards(feeds, 8))[plan[0][0]]} == {f.url for f in plan[0][1]}
    assert shard_of("https://a.example/rss", 64) == shard_of("https://a.example/rss", 64)


def test_numbered_feeds_of_one_site_spread_over_the_shards() -> None:
    """CRC-32 put http://127.0.0.1:8765/desk0.xml … desk7.xml all in one of 4 shards (it is linear)."""
    for shards in (2, 4, 8):
        used = {shard_of(f"http://127.0.0.1:8765/desk{n}.xml", shards) for n in range(64)}
        assert len(used) == shards


def test_validators_are_stored_only_from_an_answer_whose_body_changed() -> None:
    first, _, _ = settle_poll(PollState(), res("ok", body=b"<rss>1</rss>", etag='"a"', last_modified="m1"), 60, 0)
    # A server that hands out a new ETag with the same body: keep the validators that match the body.
    same, outcome, _ = settle_poll(first, res("ok", body=b"<rss>1</rss>", etag='"b"', last_modified="m2"), 60, 60)
    assert outcome == "unchanged" and (same.etag, same.last_modified) == ('"a"', "m1")
    changed, _, _ = settle_poll(same, res("ok", body=b"<rss>2</rss>", etag='"c"', last_modified="m3"), 60, 120)
    assert (changed.etag, changed.last_modified) == ('"c"', "m3")


def test_gone_feeds_are_asked_once_a_day_and_come_back() -> None:
    s = after_poll(PollState(), res("gone", status=410), 60, now=0)
    assert s.gone and s.next_due == GONE_RECHECK_S and s.failures == 1
    back, _, parse = settle_poll(s, res("ok", body=b"<rss/>"), 60, now=GONE_RECHECK_S)
    assert not back.gone and parse and back.failures == 0


def test_a_broken_feed_is_never_dropped_it_waits_at_most_the_cap() -> None:
    s = PollState()
    for n in range(200):
        s = after_poll(s, res("connection_error"), 300, now=n * 10_000.0, rng=random.Random(n))
    assert s.failures == 200 and s.next_due - 199 * 10_000.0 <= MAX_BACKOFF_S * 1.1


def test_a_permanent_redirect_is_remembered_and_a_temporary_one_is_not() -> None:
    moved = after_poll(PollState(), res("ok", permanent_url="https://b.example/rss"), 60, now=0, changed=True)
    assert moved.url == "https://b.example/rss"
    still = after_poll(moved, res("not_modified"), 60, now=60)
    assert still.url == "https://b.example/rss"


def test_the_interval_stretches_only_after_an_hour_without_change_and_resets_on_change() -> None:
    assert interval_for(300, 0, None) == 300
    assert interval_for(300, QUIET_POLLS, None) == 300  # an hour at 5 minutes: unchanged
    assert interval_for(300, 2 * QUIET_POLLS, None) == 600
    assert interval_for(300, 100 * QUIET_POLLS, None) == 1200  # capped at 4x
    assert interval_for(300, 100 * QUIET_POLLS, None, max_stretch=1) == 300  # turned off
    s = PollState(unchanged_polls=10 * QUIET_POLLS)
    s = after_poll(s, res("ok"), 300, now=0, changed=True)
    assert (s.unchanged_polls, s.next_due) == (0, 300)
    quiet = after_poll(PollState(unchanged_polls=3 * QUIET_POLLS), res("not_modified"), 300, now=0)
    assert quiet.next_due > 300


def test_server_hints_are_a_floor_never_below_the_configured_interval_and_capped() -> None:
    assert interval_for(300, 0, 60) == 300  # a short max-age never makes us poll faster
    assert interval_for(300, 0, 900) == 900
    assert interval_for(300, 0, 10 * 86400) == MAX_SERVER_FLOOR_S
    body = b"<rss><channel><title>x</title><ttl>30</ttl></channel></rss>"
    assert rss_ttl_seconds(body) == 1800 and rss_ttl_seconds(b"<rss/>") is None
    s, _, _ = settle_poll(PollState(), res("ok", body=body), 300, now=0)
    assert s.floor_s == 1800 and s.next_due == 1800
    # A 304 later: the body's <ttl> still holds.
    s2, _, _ = settle_poll(s, res("not_modified"), 300, now=1800)
    assert s2.next_due == 3600
    cached = after_poll(PollState(), res("ok", cache_s=1200.0), 300, now=0, changed=True)
    assert cached.next_due == 1200


def test_due_feeds_come_longest_overdue_first() -> None:
    feeds = [Feed(url=f"https://f{i}.example/rss", name=str(i)) for i in range(3)]
    states = {
        feeds[0].url: PollState(next_due=50),
        feeds[1].url: PollState(next_due=10),
        feeds[2].url: PollState(next_due=500),
    }
    assert [f.url for f in due_feeds(feeds, states, now=100)] == [feeds[1].url, feeds[0].url]


def test_a_body_that_is_not_a_feed_counts_as_a_failure_and_is_parsed_again_next_time() -> None:
    before = PollState(etag='"v1"', body_hash="good", last_success=100.0, last_outcome="ok", unchanged_polls=2)
    page = res("ok", status=200, body=b"<html>login</html>", etag='"v2"')
    settled, outcome, parse = settle_poll(before, page, 300, 1000.0, random.Random(1))
    assert (outcome, parse) == ("ok", True) and settled.body_hash != "good"  # parsed: it looked new
    after = after_unusable_body(before, settled, "not_a_feed", "an HTML page")
    assert (after.last_outcome, after.last_error, after.failures) == ("not_a_feed", "an HTML page", 1)
    assert (after.etag, after.body_hash, after.last_success) == ('"v1"', "good", 100.0)  # the last usable body's
    assert after.next_due == settled.next_due and after.last_poll == 1000.0  # the regular schedule, no backoff
    again, outcome, parse = settle_poll(after, page, 300, 1300.0, random.Random(1))
    assert parse and after_unusable_body(after, again, "not_a_feed", "an HTML page").failures == 2
