"""`newsmon trends` pure logic: intervals, bucket grid, query bodies, share, alert marks, sparklines, JSON."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.app.trends import (
    BLOCKS,
    TrendsRequest,
    alert_marks,
    alerts_query,
    bucket_starts,
    build_query,
    parse_interval,
    regroup,
    render,
    share,
    sparkline,
    to_json,
    trends_from_response,
)
from pipeline.core.dates import unix_to_iso
from pipeline.core.errors import ConfigError

H = 3600
DAY0 = 1_764_547_200  # 2025-12-01T00:00:00Z, a multiple of 86400


@pytest.mark.parametrize(
    ("raw", "seconds"), [("30m", 1800), ("1h", 3600), ("6h", 21600), ("1d", 86400), ("2w", 14 * 86400)]
)
def test_parse_interval(raw: str, seconds: int) -> None:
    assert parse_interval(raw) == seconds


@pytest.mark.parametrize("raw", ["0h", "1y", "h", "-1h", "1.5h"])
def test_parse_interval_rejects(raw: str) -> None:
    with pytest.raises(ConfigError, match="fix"):
        parse_interval(raw)


def test_bucket_grid_is_epoch_aligned_and_covers_the_period() -> None:
    starts = bucket_starts(DAY0 + 90 * 60, DAY0 + 4 * H + 1, H)  # 01:30 .. 04:00:01
    assert starts == [DAY0 + H, DAY0 + 2 * H, DAY0 + 3 * H, DAY0 + 4 * H]


def test_request_validates_topics_order_and_bucket_count() -> None:
    with pytest.raises(ConfigError, match="not a topic"):
        TrendsRequest(DAY0, DAY0 + H, H, topics=("cricket",))
    with pytest.raises(ConfigError, match="before"):
        TrendsRequest(DAY0 + H, DAY0, H)
    with pytest.raises(ConfigError, match="buckets"):
        TrendsRequest(DAY0, DAY0 + 365 * 86400, 60)


def test_query_histogram_with_topic_filters_on_relevant_only() -> None:
    req = TrendsRequest(DAY0 + 600, DAY0 + 3 * H, H, topics=("trade", "energy"))
    q = build_query(req)
    assert q["size"] == 0
    filters = q["query"]["bool"]["filter"]
    assert {"term": {"relevant": True}} in filters
    assert {"range": {"@timestamp": {"gte": unix_to_iso(DAY0), "lt": unix_to_iso(DAY0 + 3 * H)}}} in filters
    hist = q["aggs"]["over_time"]
    assert hist["date_histogram"]["field"] == "@timestamp"
    assert hist["date_histogram"]["fixed_interval"] == "3600s"
    assert hist["date_histogram"]["extended_bounds"] == {"min": DAY0 * 1000, "max": (DAY0 + 2 * H) * 1000}
    assert hist["aggs"]["topics"]["filters"]["filters"] == {
        "trade": {"term": {"topics": "trade"}},
        "energy": {"term": {"topics": "energy"}},
    }


def test_alerts_query_selects_overlapping_windows_of_the_topics() -> None:
    req = TrendsRequest(DAY0, DAY0 + 2 * H, H, topics=("trade",))
    filters = alerts_query(req)["query"]["bool"]["filter"]
    assert {"terms": {"topic": ["trade"]}} in filters
    assert {"range": {"window_start": {"lt": unix_to_iso(DAY0 + 2 * H)}}} in filters
    assert {"range": {"window_end": {"gt": unix_to_iso(DAY0)}}} in filters


def test_share_is_fraction_of_all_relevant_and_none_without_coverage() -> None:
    assert share([1, 0, 3], [4, 0, 3]) == [0.25, None, 1.0]


def alert(topic: str, start: int, end: int) -> dict[str, Any]:
    return {"topic": topic, "window_start": unix_to_iso(start), "window_end": unix_to_iso(end)}


def test_alert_marks_every_bucket_the_window_overlaps_and_no_touching_one() -> None:
    starts = [DAY0 + i * H for i in range(5)]
    marks = alert_marks(
        starts,
        H,
        [
            alert("trade", DAY0 + H + 900, DAY0 + 2 * H + 60),  # 01:15-02:01 → buckets 1 and 2
            alert("trade", DAY0 + 4 * H, DAY0 + 4 * H + 900),  # bucket 4
            alert("energy", DAY0 + 3 * H, DAY0 + 4 * H),  # exactly bucket 3: ends where 4 starts
            alert("defense", DAY0 + 9 * H, DAY0 + 10 * H),  # outside the grid
        ],
    )
    assert marks == {"trade": frozenset({1, 2, 4}), "energy": frozenset({3})}


def response(buckets: list[tuple[int, int, dict[str, int]]]) -> dict[str, Any]:
    return {
        "aggregations": {
            "over_time": {
                "buckets": [
                    {
                        "key": start * 1000,
                        "doc_count": total,
                        "topics": {"buckets": {t: {"doc_count": n} for t, n in per.items()}},
                    }
                    for start, total, per in buckets
                ]
            }
        }
    }


def test_trends_from_response_fills_missing_buckets_and_ignores_foreign_ones() -> None:
    req = TrendsRequest(DAY0, DAY0 + 3 * H, H, topics=("trade", "energy"))
    got = trends_from_response(
        req,
        response(
            [
                (DAY0, 4, {"trade": 3, "energy": 1}),
                (DAY0 + 2 * H, 2, {"trade": 0, "energy": 2}),
                (DAY0 + 99 * H, 7, {"trade": 7}),
            ]
        ),
        [alert("trade", DAY0, DAY0 + 900)],
    )
    assert got.starts == (DAY0, DAY0 + H, DAY0 + 2 * H)
    assert got.totals == (4, 0, 2)
    assert got.counts == {"trade": (3, 0, 0), "energy": (1, 0, 2)}
    assert got.marks == {"trade": frozenset({0})}


def test_regroup_sums_and_keeps_marks() -> None:
    req = TrendsRequest(DAY0, DAY0 + 5 * H, H, topics=("trade",))
    t = trends_from_response(
        req,
        response([(DAY0 + i * H, i + 1, {"trade": i}) for i in range(5)]),
        [alert("trade", DAY0 + 3 * H, DAY0 + 3 * H + 60)],
    )
    g = regroup(t, 2)
    assert (g.starts, g.interval_s, g.totals, g.counts["trade"]) == (
        (DAY0, DAY0 + 2 * H, DAY0 + 4 * H),
        2 * H,
        (3, 7, 5),
        (1, 5, 4),
    )
    assert g.marks == {"trade": frozenset({1})}


def test_sparkline_scales_to_peak_and_keeps_small_values_visible() -> None:
    assert sparkline([0, 1, 4, 8, None]) == " ▁▄█ "
    assert sparkline([1, 100])[0] == BLOCKS[0]
    assert sparkline([0.5, 1.0], top=1.0) == "▄█"
    assert sparkline([0, 2, 4], ascii_only=True) == " =@"
    assert sparkline([0, 0]) == "  "


def test_render_one_line_per_topic_with_total_peak_and_alert_marks() -> None:
    req = TrendsRequest(DAY0, DAY0 + 4 * H, H, topics=("trade", "energy"))
    t = trends_from_response(
        req,
        response(
            [
                (DAY0, 2, {"trade": 1, "energy": 1}),
                (DAY0 + H, 10, {"trade": 8, "energy": 2}),
                (DAY0 + 3 * H, 1, {"trade": 1, "energy": 0}),
            ]
        ),
        [alert("trade", DAY0 + H, DAY0 + H + 900)],
    )
    lines = render(t).splitlines()
    assert lines[0] == "relevant articles per 1h, 2025-12-01 00:00 → 2025-12-01 04:00 UTC"
    assert lines[1] == "trade         ▁█ ▁      10  peak 8 at 2025-12-01 01:00"
    assert lines[2] == "               ^    alert window(s)"
    assert lines[3] == "energy        ▄█         3  peak 2 at 2025-12-01 01:00"
    assert lines[4] == "all relevant  ▂█ ▁      13  peak 10 at 2025-12-01 01:00"
    assert lines[5].startswith("^ = a spike alert")
    coloured = render(t, colour=True).splitlines()
    assert coloured[1] == "trade         ▁\033[1;31m█\033[0m ▁      10  peak 8 at 2025-12-01 01:00"
    assert coloured[3] == lines[3]  # no alerts for energy: nothing highlighted
    shares = render(t, as_share=True).splitlines()
    assert shares[1] == "trade         ▄▇ █   76.9%  peak 100% at 2025-12-01 03:00"


def test_render_regroups_wide_periods_to_the_width() -> None:
    req = TrendsRequest(DAY0, DAY0 + 100 * H, H, topics=("trade",))
    t = trends_from_response(req, response([(DAY0 + i * H, 1, {"trade": 1}) for i in range(100)]))
    lines = render(t, width=50).splitlines()
    assert lines[0].endswith("(1 column = 2h)")
    assert lines[1].split()[1] == "█" * 50


def test_json_buckets_topics_and_alerts() -> None:
    req = TrendsRequest(DAY0, DAY0 + 2 * H, H, topics=("trade",))
    t = trends_from_response(
        req, response([(DAY0, 4, {"trade": 1}), (DAY0 + H, 0, {"trade": 0})]), [alert("trade", DAY0, DAY0 + 60)]
    )
    out = to_json(t, as_share=True)
    assert out["buckets"][0] == {
        "start": unix_to_iso(DAY0),
        "end": unix_to_iso(DAY0 + H),
        "total": 4,
        "topics": {"trade": {"count": 1, "share": 0.25, "alert": True}},
    }
    assert out["buckets"][1]["topics"]["trade"] == {"count": 0, "share": None, "alert": False}
    assert out["topics"]["trade"] == {
        "total": 1,
        "share": 0.25,
        "alert_buckets": 1,
        "peak": {"start": unix_to_iso(DAY0), "count": 1, "share": 0.25},
    }
    assert (out["since"], out["until"], out["interval_s"], len(out["alerts"])) == (
        unix_to_iso(DAY0),
        unix_to_iso(DAY0 + 2 * H),
        H,
        1,
    )
