from __future__ import annotations

import random

from pipeline.model import Feed, FetchResult
from pipeline.sources.schedule import (
    MAX_BACKOFF_S,
    PollState,
    after_poll,
    is_due,
    plan_shards,
    settle_poll,
    shard_of,
)

FEED = Feed(url="https://a.example/rss", name="A", interval_s=60)


def res(outcome: str, **kw: object) -> FetchResult:
    return FetchResult(feed=FEED, outcome=outcome, **kw)  # type: ignore[arg-type]


def test_success_keeps_validators_and_schedules_next_interval() -> None:
    s = after_poll(PollState(), res("ok", etag='"e1"', last_modified="lm"), 60, now=1000)
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
    s = after_poll(PollState(), res("rate_limited", status=429, retry_after_s=900.0), 60, now=0,
                   rng=random.Random(0))
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
