"""``newsmon trends``: per-topic volume over time, from the engine, as buckets, a terminal chart and JSON.

Pure functions: the query bodies (a ``date_histogram`` on ``@timestamp`` over
relevant articles with one ``filters`` sub-bucket per topic; the alerts that
overlap the period), the bucket maths, a topic's share of all relevant
coverage per bucket (GDELT-style), which buckets an alert marks, and the
sparkline rendering. The CLI sends the queries through the sink's client;
:mod:`pipeline.app.trendchart` draws the PNG.

Buckets are fixed intervals aligned to the Unix epoch (as the engine's
``fixed_interval`` aligns them); bucket ``i`` covers ``[start_i, start_i + interval)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.core.dates import iso_to_unix, unix_to_iso
from pipeline.core.errors import ConfigError
from pipeline.core.topics import TOPICS

MAX_BUCKETS = 5000
_INTERVAL = re.compile(r"^(\d+)([mhdw])$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
BLOCKS = "▁▂▃▄▅▆▇█"
ASCII_LEVELS = ".:-=+*#@"
ALERT_MARK = "^"


def parse_interval(value: str) -> int:
    """``30m``, ``1h``, ``1d``, ``1w`` → seconds."""
    m = _INTERVAL.match(value.strip())
    if not m or int(m.group(1)) <= 0:
        raise ConfigError(f"--interval {value!r}: fix: use a positive number with m, h, d or w, e.g. 1h or 30m")
    return int(m.group(1)) * _SECONDS[m.group(2)]


@dataclass(frozen=True)
class TrendsRequest:
    """A period ``[since, until)`` in unix seconds, its bucket width and the topics to show."""

    since: int
    until: int
    interval_s: int
    topics: tuple[str, ...] = TOPICS
    share: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.topics) - set(TOPICS)
        if unknown:
            raise ConfigError(f"--topic {sorted(unknown)}: not a topic — fix: use one of {', '.join(TOPICS)}")
        if self.until <= self.since:
            raise ConfigError("--since must be before --until — fix: e.g. --since 7d (and no --until: now)")
        if len(self.starts) > MAX_BUCKETS:
            raise ConfigError(
                f"{len(self.starts)} buckets — fix: a wider --interval or a shorter --since "
                f"(at most {MAX_BUCKETS} buckets)"
            )

    @property
    def first(self) -> int:
        """The start of the first bucket: ``since`` rounded down to the interval."""
        return self.since - self.since % self.interval_s

    @property
    def starts(self) -> list[int]:
        return bucket_starts(self.since, self.until, self.interval_s)


def bucket_starts(since: int, until: int, interval_s: int) -> list[int]:
    """Starts of the epoch-aligned buckets that cover ``[since, until)``."""
    first = since - since % interval_s
    return list(range(first, until, interval_s))


def build_query(req: TrendsRequest) -> dict[str, Any]:
    """Relevant articles per bucket of ``@timestamp``, and per topic in each bucket (empty buckets included)."""
    starts = req.starts
    return {
        "size": 0,
        "track_total_hits": True,
        "query": {
            "bool": {
                "filter": [
                    {"term": {"relevant": True}},
                    {"range": {"@timestamp": {"gte": unix_to_iso(req.first), "lt": unix_to_iso(req.until)}}},
                ]
            }
        },
        "aggs": {
            "over_time": {
                "date_histogram": {
                    "field": "@timestamp",
                    "fixed_interval": f"{req.interval_s}s",
                    "min_doc_count": 0,
                    "extended_bounds": {"min": starts[0] * 1000, "max": starts[-1] * 1000},
                },
                "aggs": {"topics": {"filters": {"filters": {t: {"term": {"topics": t}} for t in req.topics}}}},
            }
        },
    }


def alerts_query(req: TrendsRequest, size: int = 1000) -> dict[str, Any]:
    """Alert documents of these topics whose window overlaps the period."""
    return {
        "size": size,
        "query": {
            "bool": {
                "filter": [
                    {"terms": {"topic": list(req.topics)}},
                    {"range": {"window_start": {"lt": unix_to_iso(req.until)}}},
                    {"range": {"window_end": {"gt": unix_to_iso(req.first)}}},
                ]
            }
        },
        "sort": [{"window_start": "asc"}],
        "_source": ["alert_id", "topic", "window_start", "window_end", "count", "baseline", "ratio"],
    }


@dataclass(frozen=True)
class Trends:
    """Counts per bucket: ``totals[i]`` relevant articles, ``counts[topic][i]`` of them tagged ``topic``."""

    starts: tuple[int, ...]
    interval_s: int
    totals: tuple[int, ...]
    counts: dict[str, tuple[int, ...]]
    alerts: tuple[dict[str, Any], ...] = ()
    marks: dict[str, frozenset[int]] = field(default_factory=dict)


def trends_from_response(req: TrendsRequest, response: dict[str, Any], alerts: Sequence[dict[str, Any]] = ()) -> Trends:
    """The engine's answer on the request's own bucket grid (buckets it left out count 0)."""
    starts = req.starts
    index = {s: i for i, s in enumerate(starts)}
    totals = [0] * len(starts)
    counts = {t: [0] * len(starts) for t in req.topics}
    agg = (response.get("aggregations") or {}).get("over_time") or {}
    for bucket in agg.get("buckets", []):
        i = index.get(int(bucket["key"]) // 1000)
        if i is None:
            continue
        totals[i] = int(bucket.get("doc_count", 0))
        per_topic = (bucket.get("topics") or {}).get("buckets") or {}
        for t in req.topics:
            counts[t][i] = int((per_topic.get(t) or {}).get("doc_count", 0))
    return Trends(
        tuple(starts),
        req.interval_s,
        tuple(totals),
        {t: tuple(v) for t, v in counts.items()},
        tuple(alerts),
        alert_marks(starts, req.interval_s, alerts),
    )


def share(counts: Sequence[int], totals: Sequence[int]) -> list[float | None]:
    """A topic's fraction (0..1) of all relevant articles per bucket; None where there were none at all."""
    return [c / t if t else None for c, t in zip(counts, totals, strict=True)]


def alert_marks(starts: Sequence[int], interval_s: int, alerts: Sequence[dict[str, Any]]) -> dict[str, frozenset[int]]:
    """Per topic, the indices of the buckets that overlap one of its alert windows ``[window_start, window_end)``."""
    out: dict[str, set[int]] = {}
    for alert in alerts:
        ws, we = iso_to_unix(alert.get("window_start")), iso_to_unix(alert.get("window_end"))
        if ws is None or we is None:
            continue
        hit = {i for i, s in enumerate(starts) if s < we and ws < s + interval_s}
        if hit:
            out.setdefault(str(alert.get("topic")), set()).update(hit)
    return {t: frozenset(v) for t, v in out.items()}


def regroup(trends: Trends, factor: int) -> Trends:
    """Merge every ``factor`` consecutive buckets into one (sums; a merged bucket is marked if any part was)."""
    if factor <= 1:
        return trends
    n = len(trends.starts)

    def merge(values: Sequence[int]) -> tuple[int, ...]:
        return tuple(sum(values[i : i + factor]) for i in range(0, n, factor))

    marks = {t: frozenset(i // factor for i in idx) for t, idx in trends.marks.items()}
    return Trends(
        tuple(trends.starts[::factor]),
        trends.interval_s * factor,
        merge(trends.totals),
        {t: merge(v) for t, v in trends.counts.items()},
        trends.alerts,
        marks,
    )


def sparkline(values: Sequence[float | None], top: float | None = None, ascii_only: bool = False) -> str:
    """One character per value, scaled to ``top`` (default: the largest value); 0 and None are a space,
    any positive value at least the lowest level, so a single article is never invisible."""
    levels = ASCII_LEVELS if ascii_only else BLOCKS
    peak = top if top is not None else max((v for v in values if v is not None), default=0.0)
    out = []
    for v in values:
        if v is None or v <= 0 or peak <= 0:
            out.append(" ")
        else:
            out.append(levels[min(len(levels) - 1, max(0, int(v / peak * len(levels) - 1e-9)))])
    return "".join(out)


def marks_line(n: int, marked: frozenset[int]) -> str:
    return "".join(ALERT_MARK if i in marked else " " for i in range(n))


def _when(unix_s: int, interval_s: int) -> str:
    text = unix_to_iso(unix_s)
    return text[:10] if interval_s % 86400 == 0 else text[:16].replace("T", " ")


def _duration(seconds: int) -> str:
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def topic_summary(trends: Trends, topic: str, as_share: bool) -> dict[str, Any]:
    """Total, overall share and the peak bucket of one topic."""
    counts = trends.counts[topic]
    total, all_total = sum(counts), sum(trends.totals)
    values: Sequence[float | None] = share(counts, trends.totals) if as_share else counts
    best = max(range(len(values)), key=lambda i: (values[i] or 0.0, -i)) if values else None
    peak = None
    if best is not None and (values[best] or 0) > 0:
        peak = {
            "start": unix_to_iso(trends.starts[best]),
            "count": counts[best],
            "share": round(counts[best] / trends.totals[best], 4) if trends.totals[best] else None,
        }
    return {
        "total": total,
        "share": round(total / all_total, 4) if all_total else None,
        "peak": peak,
        "alert_buckets": len(trends.marks.get(topic, frozenset())),
    }


def to_json(trends: Trends, as_share: bool) -> dict[str, Any]:
    """The ``--json`` object: one entry per bucket, then per-topic totals, peaks and alerts."""
    topics = list(trends.counts)
    shares = {t: share(trends.counts[t], trends.totals) for t in topics}
    buckets = []
    for i, start in enumerate(trends.starts):
        buckets.append(
            {
                "start": unix_to_iso(start),
                "end": unix_to_iso(start + trends.interval_s),
                "total": trends.totals[i],
                "topics": {
                    t: {
                        "count": trends.counts[t][i],
                        "share": None if shares[t][i] is None else round(shares[t][i] or 0.0, 4),
                        "alert": i in trends.marks.get(t, frozenset()),
                    }
                    for t in topics
                },
            }
        )
    return {
        "since": unix_to_iso(trends.starts[0]) if trends.starts else None,
        "until": unix_to_iso(trends.starts[-1] + trends.interval_s) if trends.starts else None,
        "interval_s": trends.interval_s,
        "share": as_share,
        "buckets": buckets,
        "topics": {t: topic_summary(trends, t, as_share) for t in topics},
        "alerts": list(trends.alerts),
    }


def highlight(spark: str, marked: frozenset[int]) -> str:
    """The marked columns of a sparkline in bold red (ANSI), for a terminal."""
    return "".join(f"\033[1;31m{c}\033[0m" if i in marked else c for i, c in enumerate(spark))


def render(
    trends: Trends, as_share: bool = False, width: int = 72, ascii_only: bool = False, colour: bool = False
) -> str:
    """One line per topic (sparkline, total, peak) and, under a topic with alerts, ``^`` under the buckets
    its alert windows overlap; then a line for all relevant coverage. Plain text unless ``colour`` (a
    terminal), which also shows the alert buckets of the sparkline in bold red."""
    factor = max(1, -(-len(trends.starts) // max(8, width)))
    shown = regroup(trends, factor)
    n = len(shown.starts)
    unit = "share of relevant coverage" if as_share else "relevant articles"
    lines = [
        f"{unit} per {_duration(trends.interval_s)}, {_when(trends.starts[0], trends.interval_s)} → "
        f"{_when(trends.starts[-1] + trends.interval_s, trends.interval_s)} UTC"
        + (f" (1 column = {_duration(shown.interval_s)})" if factor > 1 else "")
    ]
    name_w = max([len("all relevant"), *(len(t) for t in shown.counts)])
    for topic in shown.counts:
        counts = shown.counts[topic]
        values: Sequence[float | None] = share(counts, shown.totals) if as_share else counts
        top = 1.0 if as_share else None
        info = topic_summary(shown, topic, as_share)
        peak = ""
        if info["peak"]:
            at = _when(iso_to_unix_int(info["peak"]["start"]), shown.interval_s)
            peak = (
                f"peak {(info['peak']['share'] or 0) * 100:.0f}% at {at}"
                if as_share
                else f"peak {info['peak']['count']} at {at}"
            )
        if as_share:
            total_text = "-" if info["share"] is None else f"{info['share'] * 100:.1f}%"
        else:
            total_text = str(info["total"])
        spark = sparkline(values, top, ascii_only).ljust(n)
        if colour:
            spark = highlight(spark, shown.marks.get(topic, frozenset()))
        line = f"{topic:<{name_w}}  {spark}  {total_text:>6}  {peak}"
        lines.append(line.rstrip())
        if trends.marks.get(topic):
            lines.append(f"{'':<{name_w}}  {marks_line(n, shown.marks[topic])}  alert window(s)")
    all_peak = max(range(n), key=lambda i: (shown.totals[i], -i)) if n else None
    peak_text = (
        f"peak {shown.totals[all_peak]} at {_when(shown.starts[all_peak], shown.interval_s)}"
        if all_peak is not None and shown.totals[all_peak]
        else ""
    )
    lines.append(
        f"{'all relevant':<{name_w}}  {sparkline(shown.totals, None, ascii_only).ljust(n)}  "
        f"{sum(shown.totals):>6}  {peak_text}".rstrip()
    )
    if any(trends.marks.values()):
        lines.append(f"{ALERT_MARK} = a spike alert in news-alerts overlaps the bucket")
    return "\n".join(lines)


def iso_to_unix_int(value: object) -> int:
    return int(iso_to_unix(value) or 0)
