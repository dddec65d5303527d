"""The benchmark workload's pure parts: text, timeline, rendering, the feed store, and the soak figures."""

from __future__ import annotations

import email.utils
import gzip
import ipaddress
from collections import Counter
from typing import Any

import feedparser
import pytest

from benchmarks.bench_soak import Schedule, Truth, poll_figures, recall_figures, restart_figures, spread
from benchmarks.workload import (
    KINDS,
    TITLE_WORDS,
    TOPICS,
    FeedStore,
    Item,
    Rendered,
    Workload,
    _not_modified,
    feed_urls,
    loopback_hosts,
)
from pipeline.core.text import strip_html
from pipeline.core.urls import canonical_url

T0 = 1_800_000_000.0


def small(**kw: Any) -> Workload:
    params: dict[str, Any] = {"feeds": 40, "items": 30, "churn_per_hour": 2.0, "seed": 7, "t0": T0, "run_id": "t1"}
    params.update(kw)
    return Workload(**params)


def sample_items(w: Workload, feeds: int = 40) -> list[Item]:
    return [w.item(f, s, T0 - 60 * s) for f in range(feeds) for s in range(w.items)]


def test_items_are_deterministic() -> None:
    a, b = small(), small()
    assert a.item(3, 17, T0) == b.item(3, 17, T0)
    assert a.render(5, 40) == b.render(5, 40)
    other = small(seed=8)
    assert [other.item(3, s, T0).title for s in range(10)] != [a.item(3, s, T0).title for s in range(10)]


def test_text_has_field_sizes() -> None:
    items = sample_items(small())
    words = [len(it.title.split()) for it in items]
    assert min(words) >= TITLE_WORDS[0] and max(words) <= TITLE_WORDS[1]
    chars = [len(strip_html(it.summary_html)) for it in items]
    assert min(chars) >= 200 and max(chars) <= 450
    assert 250 <= sorted(chars)[len(chars) // 2] <= 350
    assert any("&#8217;" in it.summary_html or "&nbsp;" in it.summary_html for it in items)
    assert all(it.summary_html.startswith("<p>") for it in items)


def test_kind_mix_and_topics() -> None:
    items = sample_items(small(), feeds=40) + sample_items(small(seed=9), feeds=40)
    kinds = Counter(it.kind for it in items)
    assert set(kinds) == set(KINDS)
    assert 0.03 <= kinds["relevant"] / len(items) <= 0.07
    assert {it.topic for it in items if it.relevant} == set(TOPICS)
    assert all(it.topic is None for it in items if not it.relevant)


def test_links_look_real_and_are_unique() -> None:
    w = small()
    items = sample_items(w)
    urls = {canonical_url(it.link) for it in items}
    assert len(urls) == len(items)
    assert all(u.startswith("https://www.") and u.endswith(".html") for u in urls)
    assert all("utm_" not in u for u in urls)
    assert any("utm_source=rss" in it.link for it in items)  # some feeds carry tracking parameters
    assert all(w.run_id in it.link for it in items)


def test_timeline_initial_items_before_t0_then_poisson_arrivals() -> None:
    w = small(churn_per_hour=6.0)
    times = w.timeline(2, T0 + 10 * 3600)
    assert len(times) > w.items
    assert all(t < T0 for t in times[: w.items])
    assert all(t > T0 for t in times[w.items :])
    assert times == sorted(times)
    assert 30 <= len(times) - w.items <= 100  # ≈ 60 arrivals in 10 h at 6/h
    assert w.timeline_to(2, w.items + 5) == times[: w.items + 6]
    assert small(churn_per_hour=0).timeline(2, T0 + 10 * 3600) == small(churn_per_hour=0).initial_times(2)


def test_arrival_rate_matches_churn_over_many_feeds() -> None:
    w = small(feeds=200, churn_per_hour=2.0)
    arrivals = sum(len(w.timeline(f, T0 + 3600)) - w.items for f in range(w.feeds))
    assert 300 <= arrivals <= 500  # 200 feeds x 2/h x 1 h = 400 expected


@pytest.mark.parametrize("feed", [0, 1, 2, 3, 4, 5, 6, 7, 8, 13, 21, 34])
def test_rendered_feed_parses_with_the_newest_items_first(feed: int) -> None:
    w = small()
    newest = w.items + 3
    times = w.timeline_to(feed, newest)
    parsed = feedparser.parse(w.render(feed, newest, times))
    assert not parsed.bozo, parsed.bozo_exception
    assert len(parsed.entries) == w.items
    expected = w.visible(feed, newest, times)
    assert [e.link for e in parsed.entries] == [it.link for it in expected]
    assert [e.title for e in parsed.entries] == [it.title for it in expected]
    assert expected[0].seq == newest and expected[-1].seq == newest - w.items + 1
    assert strip_html(parsed.entries[0].summary) == strip_html(expected[0].summary_html)
    assert parsed.entries[0].published_parsed is not None


def test_both_formats_and_both_description_styles_occur() -> None:
    specs = [small(feeds=400).spec(f) for f in range(400)]
    assert {s.fmt for s in specs} == {"rss", "atom"}
    assert {s.cdata for s in specs if s.fmt == "rss"} == {True, False}
    assert len({s.name for s in specs}) == len(specs)


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_store_caches_until_a_new_item_arrives() -> None:
    w = small(churn_per_hour=60.0)
    store = FeedStore(w, Clock(T0))
    first = store.get(1, T0)
    assert first.newest == w.items - 1
    assert store.get(1, T0) is first  # cached
    times = w.timeline(1, T0 + 3600)
    later = store.get(1, times[w.items] + 0.001)
    assert later.newest == w.items and later.etag != first.etag
    assert gzip.decompress(later.gz) == w.render(1, w.items)
    assert store.renders == 2
    assert later.last_modified == email.utils.formatdate(int(times[w.items]), usegmt=True)


def test_store_logs_changed_and_validator_flags() -> None:
    w = small(churn_per_hour=0)
    store = FeedStore(w)
    r = store.get(0, T0)
    store.record(T0, 0, 200, r.newest, False)
    store.record(T0 + 1, 0, 200, r.newest, False)  # unchanged body fetched again
    store.record(T0 + 2, 0, 304, r.newest, True)
    assert store.log.rows() == [(T0, 0, 200, 1), (T0 + 1, 0, 200, 0), (T0 + 2, 0, 304, 2)]
    assert store.stats()["by_status"] == {"200": 2, "304": 1}


def test_conditional_requests() -> None:
    r = Rendered(
        newest=3, gz=b"", etag='"x-1-3"', last_modified="Thu, 15 Jan 2027 08:00:00 GMT", modified_at=1_800_000_000
    )
    assert _not_modified(r, '"x-1-3"', None)
    assert _not_modified(r, 'W/"x-1-3", "other"', None)
    assert not _not_modified(r, '"x-1-2"', email.utils.formatdate(1_900_000_000, usegmt=True))
    assert _not_modified(r, None, email.utils.formatdate(1_800_000_000, usegmt=True))
    assert not _not_modified(r, None, email.utils.formatdate(1_799_999_999, usegmt=True))
    assert not _not_modified(r, None, "not a date")
    assert not _not_modified(r, None, None)


def test_hosts_are_loopback_and_outlets_keep_one_host() -> None:
    hosts = loopback_hosts(300)
    assert len(set(hosts)) == 300
    assert all(ipaddress.ip_address(h).is_loopback for h in hosts)
    w = small(feeds=400)
    urls = feed_urls(w, [(h, 8000) for h in hosts[:50]])
    by_outlet: dict[int, set[str]] = {}
    for f, url in enumerate(urls):
        by_outlet.setdefault(w.outlet_of(f), set()).add(url.split("/")[2])
    assert all(len(v) == 1 for v in by_outlet.values())
    assert len({next(iter(v)) for v in by_outlet.values()}) == 50


def test_poll_figures_schedule_gaps_and_304s() -> None:
    start, interval = 1000.0, 100.0
    rows = [(start + 5 + k * 100, 0, 200 if k == 0 else 304, 1 if k == 0 else 2) for k in range(10)]
    rows += [(start + 5, 1, 200, 1), (start + 400, 1, 200, 0)]  # feed 1: a 395 s gap, one wasted 200
    fig = poll_figures(rows, 2, start, start + 1000, Schedule(interval, quiet_polls=100), None)
    assert fig["polls_per_feed"] == {"min": 2, "median": 6.0, "max": 10}
    assert fig["on_schedule_share"] == 0.5
    assert fig["share_304"] == round(9 / 12, 4)
    assert fig["wasted_200"] == 1
    assert fig["gap_s"]["max"] == 395


def test_schedule_stretches_quiet_feeds_like_newsmon() -> None:
    rule = Schedule(300.0, quiet_polls=12, max_stretch=4.0)
    assert rule.expected_gap(0) == rule.expected_gap(12) == 300.0
    assert rule.expected_gap(24) == 600.0
    assert rule.expected_gap(500) == 1200.0
    start = 0.0
    rows = [(k * 100.0, 0, 304, 2) for k in range(40)]  # one quiet feed, polled every 100 s throughout
    fig = poll_figures(rows, 1, start, 4000.0, Schedule(100.0, quiet_polls=4, max_stretch=2.0), None)
    assert fig["late_gap_share"] == 0 and fig["stretched_gap_share"] > 0
    late = [(k * 150.0, 0, 200, 1) for k in range(20)]  # changes every poll, so 150 s gaps are late
    assert poll_figures(late, 1, start, 3000.0, Schedule(100.0), None)["late_gap_share"] == 1.0


def test_restart_figures_first_poll_after_restart() -> None:
    rows = [(10.0, 0, 200, 1), (50.0, 0, 304, 2), (55.0, 1, 200, 0), (60.0, 1, 304, 2), (52.0, 2, 200, 3)]
    fig = restart_figures(rows, 4, 50.0, 100.0)
    assert fig["first_poll_304"] == 1
    assert fig["first_poll_200_unchanged_refetch"] == 1
    assert fig["first_poll_200_new_content"] == 1
    assert fig["first_poll_without_validators"] == 1
    assert fig["feeds_not_polled_after_restart"] == 1


def test_recall_and_freshness_from_documents() -> None:
    truth = [
        Truth("https://a/1", 900.0, True, True, "trade"),  # backlog, indexed
        Truth("https://a/2", 1100.0, True, True, "energy"),  # fresh, indexed 30 s later
        Truth("https://a/3", 1200.0, True, False, "trade"),  # detector misses it
        Truth("https://a/4", 1300.0, False, False, None),
        Truth("https://a/5", 1990.0, True, True, "trade"),
    ]  # too late to count
    docs = [
        {"url": "https://a/1", "ingested_at": "1970-01-01T00:16:50+00:00", "_version": 1},
        {"url": "https://a/2", "ingested_at": "1970-01-01T00:18:50+00:00", "_version": 1},
    ]
    fig = recall_figures(truth, docs, 1000.0, 2000.0, 60.0)
    assert fig["relevant_ground_truth"] == 3 and fig["recall_ground_truth"] == round(2 / 3, 4)
    assert fig["relevant_detector"] == 2 and fig["recall_detector"] == 1.0
    assert fig["publish_to_indexed_s"]["p50"] == 30.0
    assert fig["backlog_indexed_after_start_s"]["max"] == 10.0
    assert fig["duplicate_urls"] == 0 and fig["detector_vs_truth"]["false_neg"] == 1


def test_spread_of_nothing() -> None:
    assert spread([])["p95"] is None
