"""The spike definition (pipeline.alerting.spikes) on plain counts: every edge."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.alerting.spikes import (
    DEFAULT_RULE,
    Assessment,
    SpikeRule,
    TopicHistory,
    alert_document,
    alert_id,
    assess,
    baseline,
    example_of,
    previous_counts,
    remember,
    spike_ratio,
    top_examples,
)
from pipeline.core.model import Article, Classification, ClassifiedArticle

W = DEFAULT_RULE.window_s
T0 = 1_750_000_500 - 1_750_000_500 % W  # a window start


# --- baseline, ratio, verdict -------------------------------------------------------------------------------------


def test_default_thresholds_are_the_documented_ones() -> None:
    # Same numbers as deploy/prometheus/rules/ and its README: change them together.
    r = DEFAULT_RULE
    assert (r.window_s, r.history_windows, r.min_history_windows) == (900, 96, 4)
    assert (r.min_count, r.ratio_threshold, r.baseline_floor, r.severity) == (5, 3.0, 0.5, "warning")


def test_no_history_gives_no_baseline_and_no_spike() -> None:
    assert baseline([]) is None
    assert assess(50, []) == Assessment(50, None, None, False)


def test_too_little_history_gives_no_verdict_even_on_a_burst() -> None:
    assert assess(100, [0, 0, 0]) == Assessment(100, None, None, False)
    assert assess(100, [0, 0, 0, 0]).is_spike


def test_baseline_is_the_mean_of_the_last_history_windows() -> None:
    rule = SpikeRule(history_windows=4, min_history_windows=2)
    assert baseline([100, 1, 2, 3, 6], rule) == 3.0  # the oldest (100) is out of range
    assert baseline([2, 4], rule) == 3.0


def test_zero_baseline_is_raised_to_the_floor() -> None:
    assert spike_ratio(5, 0.0, 0.5) == 10.0
    verdict = assess(5, [0] * 8)
    assert verdict == Assessment(5, 0.0, 10.0, True)


def test_zero_count_on_zero_baseline_is_ratio_zero() -> None:
    assert assess(0, [0] * 8) == Assessment(0, 0.0, 0.0, False)


def test_min_volume_blocks_a_high_ratio_on_few_articles() -> None:
    below = assess(4, [0] * 8)
    assert below.ratio == 8.0 and not below.is_spike
    assert assess(5, [0] * 8).is_spike


def test_ratio_threshold_is_inclusive() -> None:
    assert assess(6, [2] * 8) == Assessment(6, 2.0, 3.0, True)
    assert assess(5, [2] * 8) == Assessment(5, 2.0, 2.5, False)


def test_steady_volume_is_not_a_spike() -> None:
    verdict = assess(15, [15, 14, 16, 15, 15, 15, 14, 16])
    assert verdict.ratio == pytest.approx(1.0) and not verdict.is_spike


def test_slow_rise_is_not_a_spike() -> None:
    # Linear rise from 3 to 15 articles per window over a day: five-fold, but never 3x the day's mean.
    history = [3 + 12 * i // 95 for i in range(96)]
    verdict = assess(15, history)
    assert verdict.baseline is not None and 8 < verdict.baseline < 10
    assert not verdict.is_spike


def test_spike_over_a_steady_baseline() -> None:
    verdict = assess(60, [15] * 96)
    assert verdict == Assessment(60, 15.0, 4.0, True)


def test_floor_only_applies_below_it() -> None:
    assert spike_ratio(6, 2.0, 0.5) == 3.0
    assert spike_ratio(6, 0.25, 0.5) == 12.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"window_s": 0},
        {"min_history_windows": 0},
        {"history_windows": 2, "min_history_windows": 3},
        {"baseline_floor": 0},
        {"ratio_threshold": 1.0},
        {"min_count": 0},
        {"max_examples": -1},
    ],
)
def test_invalid_rules_fail_at_construction(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SpikeRule(**kwargs)


# --- history kept between windows ---------------------------------------------------------------------------------


def test_history_before_first_sighting_is_unknown_and_gaps_count_zero() -> None:
    h = TopicHistory()
    assert previous_counts(h, T0) == []
    h = remember(h, T0, 3)
    h = remember(h, T0 + 2 * W, 7)  # T0 + W had no article
    assert previous_counts(h, T0 + 4 * W) == [3, 0, 7, 0]
    assert previous_counts(h, T0) == []  # nothing known before the first window


def test_history_is_bounded_to_the_history_windows() -> None:
    rule = SpikeRule(history_windows=3, min_history_windows=1)
    h = TopicHistory()
    for i in range(10):
        h = remember(h, T0 + i * W, i, rule)
    assert h.counts == ((T0 + 6 * W, 6), (T0 + 7 * W, 7), (T0 + 8 * W, 8), (T0 + 9 * W, 9))
    assert h.first_window_start == T0
    assert previous_counts(h, T0 + 10 * W, rule) == [7, 8, 9]


def test_a_late_window_is_judged_against_the_windows_before_it() -> None:
    h = remember(remember(TopicHistory(), T0, 1), T0 + 2 * W, 5)
    assert previous_counts(h, T0 + W) == [1]
    h = remember(h, T0 - W, 2)  # earlier than the first sighting: moves it back
    assert h.first_window_start == T0 - W
    assert previous_counts(h, T0 + 3 * W) == [2, 1, 0, 5]


def test_same_window_twice_adds_up() -> None:
    h = remember(remember(TopicHistory(), T0, 2), T0, 3)
    assert h.counts == ((T0, 5),)


# --- examples and the alert document ------------------------------------------------------------------------------


def classified(url: str, title: str, score: float, published: str | None, source: str = "Wire") -> ClassifiedArticle:
    return ClassifiedArticle(
        Article(article_id="id-" + url.rsplit("/", 1)[-1], url=url, title=title, source=source, published_at=published),
        Classification(relevant=True, relevance_score=score, topics=("trade",)),
    )


def test_examples_rank_by_score_then_newest_then_url_and_dedupe_urls() -> None:
    items = [
        classified("https://n.example/a", "A", 0.5, "2025-06-01T10:00:00Z"),
        classified("https://n.example/b", "B", 0.9, "2025-06-01T08:00:00Z"),
        classified("https://n.example/c", "C", 0.5, "2025-06-01T11:00:00Z"),
        classified("https://n.example/d", "D", 0.5, None),
        classified("https://n.example/e", "E", 0.5, "2025-06-01T11:00:00Z"),
        classified("https://n.example/b", "B again", 0.1, "2025-06-01T12:00:00Z"),
    ]
    ranked = top_examples([example_of(i) for i in items], 10)
    assert [e.title for e in ranked] == ["B", "C", "E", "A", "D"]
    assert [e.title for e in top_examples(reversed([example_of(i) for i in items]), 2)] == ["B", "C"]
    assert top_examples([example_of(items[0])], 0) == ()


def test_alert_id_is_stable_and_distinct_per_topic_and_window() -> None:
    a = alert_id("trade", "2025-06-01T10:15:00Z")
    assert (
        a
        == alert_id("trade", "2025-06-01T10:15:00Z")
        == hashlib.sha256(b"topic-spike|trade|2025-06-01T10:15:00Z").hexdigest()[:32]
    )
    assert a != alert_id("defense", "2025-06-01T10:15:00Z")
    assert a != alert_id("trade", "2025-06-01T10:30:00Z")


def test_alert_document_has_the_contract_fields() -> None:
    start = 1_748_772_000  # 2025-06-01T10:00:00Z
    items = [classified(f"https://n.example/{i}", f"T{i}", i / 10, "2025-06-01T10:05:00Z") for i in range(8)]
    doc = alert_document("trade", start, start + W, assess(8, [1] * 8), [example_of(i) for i in items])
    assert doc == {
        "alert_id": alert_id("trade", "2025-06-01T10:15:00Z"),
        "topic": "trade",
        "window_start": "2025-06-01T10:00:00Z",
        "window_end": "2025-06-01T10:15:00Z",
        "count": 8,
        "baseline": 1.0,
        "ratio": 8.0,
        "severity": "warning",
        "examples": [
            {
                "article_id": f"id-{i}",
                "title": f"T{i}",
                "url": f"https://n.example/{i}",
                "source": "Wire",
                "published_at": "2025-06-01T10:05:00Z",
            }
            for i in (7, 6, 5, 4, 3)
        ],
        "@timestamp": "2025-06-01T10:15:00Z",
    }


def test_alert_document_fits_the_strict_alerts_mapping() -> None:
    template = json.loads(
        (Path(__file__).resolve().parents[2] / "pipeline" / "sinks" / "alerts-template.json").read_text()
    )
    fields = template["template"]["mappings"]["properties"]
    start = 1_748_772_000
    doc = alert_document(
        "trade",
        start,
        start + W,
        assess(8, [1] * 8),
        [example_of(classified("https://n.example/a", "A", 0.5, None))],
        stories=3,
    )
    assert set(doc) == set(fields)
    assert set(doc["examples"][0]) <= set(fields["examples"]["properties"])


def test_alert_document_needs_a_baseline() -> None:
    with pytest.raises(ValueError, match="no alert without a baseline"):
        alert_document("trade", T0, T0 + W, assess(9, []), [])


def test_history_seeded_from_the_engine_covers_only_the_windows_before_the_first_judged_one() -> None:
    from pipeline.alerting.spikes import previous_counts, seeded_history

    rule = SpikeRule(window_s=900, history_windows=8, min_history_windows=2)
    before = 100 * 900
    buckets = [(before - 3 * 900, 4), (before - 900, 6), (before, 50), (before - 20 * 900, 9)]
    history = seeded_history(buckets, first_seen=before - 5 * 900 + 10, before=before, rule=rule)
    assert history.first_window_start == before - 5 * 900
    assert previous_counts(history, before, rule) == [0, 0, 4, 0, 6]  # the judged window itself is not history
    old = seeded_history(buckets, first_seen=0.0, before=before, rule=rule)
    assert old.first_window_start == before - 8 * 900  # no older than the history span
    assert seeded_history([], first_seen=None, before=before, rule=rule).first_window_start is None
    assert seeded_history([], first_seen=before + 5, before=before, rule=rule).first_window_start is None
