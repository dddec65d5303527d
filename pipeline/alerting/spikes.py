"""Topic-spike maths: the definition of a spike, on plain counts (no Beam, no I/O).

A *spike* is judged per topic and per window (15 minutes by default):

* ``count``: relevant articles tagged with the topic in the window (an article
  with two topics counts once for each; untagged relevant articles are left out).
* ``history``: the counts of the windows before it, oldest first, at most
  ``history_windows`` of them (96 = 24 hours). Windows before the topic was
  first seen are *unknown* and left out; windows after it without an article
  count as 0.
* ``baseline``: the mean of ``history``, or ``None`` (no verdict) while the
  topic has fewer than ``min_history_windows`` windows of history (4 = 1 hour),
  so a brand-new topic, or a job that just lost its state, never alerts.
* ``ratio``: ``count / max(baseline, baseline_floor)``; the floor (0.5 articles
  per window = 2 per hour) keeps a topic that is usually silent from dividing
  by zero and lets it spike only on real volume.
* ``is_spike``: a baseline exists, ``count >= min_count`` (5) and
  ``ratio >= ratio_threshold`` (3).

The Prometheus rules in ``deploy/prometheus/rules/`` implement the same
definition over ``newsmon_relevant_articles_total`` (see
``deploy/prometheus/README.md``): there the window slides and is re-evaluated
continuously; here windows are fixed and each is judged once, when it closes.

This module also builds the alert document written to the ``news-alerts``
index. Its ``alert_id`` hashes topic and window end, so re-running a window
(retries, replays, backfills) rewrites the same document instead of adding one.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.core.dates import from_iso, unix_to_iso
from pipeline.core.model import ClassifiedArticle

__all__ = [
    "DEFAULT_RULE",
    "Assessment",
    "Example",
    "SpikeRule",
    "TopicHistory",
    "alert_document",
    "alert_id",
    "assess",
    "baseline",
    "example_of",
    "previous_counts",
    "remember",
    "spike_ratio",
    "stories_label",
    "story_key",
    "top_examples",
]


@dataclass(frozen=True)
class SpikeRule:
    """Thresholds of the spike definition. Counts are articles per window; times are seconds."""

    window_s: int = 15 * 60
    history_windows: int = 96  # 24 h of 15-minute windows
    min_history_windows: int = 4  # 1 h
    min_count: int = 5
    ratio_threshold: float = 3.0
    baseline_floor: float = 0.5  # articles per window (2 per hour at 15 minutes)
    severity: str = "warning"
    max_examples: int = 5

    def __post_init__(self) -> None:
        # A rule is configuration: fail at pipeline construction, not mid-stream.
        if self.window_s <= 0:
            raise ValueError(f"window_s must be positive, got {self.window_s}")
        if not 1 <= self.min_history_windows <= self.history_windows:
            raise ValueError(
                f"need 1 <= min_history_windows ({self.min_history_windows}) "
                f"<= history_windows ({self.history_windows})"
            )
        if self.baseline_floor <= 0:
            raise ValueError(f"baseline_floor must be positive, got {self.baseline_floor}")
        if self.ratio_threshold <= 1:
            raise ValueError(f"ratio_threshold must be above 1, got {self.ratio_threshold}")
        if self.min_count < 1 or self.max_examples < 0:
            raise ValueError("min_count must be >= 1 and max_examples >= 0")


DEFAULT_RULE = SpikeRule()


@dataclass(frozen=True)
class Assessment:
    """The verdict on one window of one topic. ``baseline``/``ratio`` are ``None`` without enough history."""

    count: int
    baseline: float | None
    ratio: float | None
    is_spike: bool


def baseline(history: Sequence[int], rule: SpikeRule = DEFAULT_RULE) -> float | None:
    """Mean of the last ``history_windows`` counts; ``None`` with fewer than ``min_history_windows``."""
    recent = history[-rule.history_windows :]
    if len(recent) < rule.min_history_windows:
        return None
    return sum(recent) / len(recent)


def spike_ratio(count: int, base: float, floor: float) -> float:
    """``count`` over the baseline raised to ``floor`` (so a zero baseline never divides by zero)."""
    return count / max(base, floor)


def assess(count: int, history: Sequence[int], rule: SpikeRule = DEFAULT_RULE) -> Assessment:
    """Judge one window: ``count`` against the counts of the windows before it (oldest first)."""
    base = baseline(history, rule)
    if base is None:
        return Assessment(count, None, None, False)
    ratio = spike_ratio(count, base, rule.baseline_floor)
    return Assessment(count, base, ratio, count >= rule.min_count and ratio >= rule.ratio_threshold)


@dataclass(frozen=True)
class TopicHistory:
    """What DetectSpikes remembers per topic between windows (bounded: ``history_windows`` + 1 entries).

    ``first_window_start`` is when the topic was first seen (unix seconds of a
    window start); ``counts`` holds ``(window_start, count)`` pairs, sorted,
    only for windows that had articles.
    """

    first_window_start: int | None = None
    counts: tuple[tuple[int, int], ...] = ()


def previous_counts(history: TopicHistory, window_start: int, rule: SpikeRule = DEFAULT_RULE) -> list[int]:
    """Counts of the windows before ``window_start``, oldest first, ready for :func:`assess`.

    At most ``history_windows`` windows, none before the topic was first seen;
    windows without articles in between count 0.
    """
    if history.first_window_start is None:
        return []
    size = rule.window_s
    start = max(history.first_window_start, window_start - rule.history_windows * size)
    known = dict(history.counts)
    return [known.get(slot, 0) for slot in range(start, window_start, size)]


def remember(history: TopicHistory, window_start: int, count: int, rule: SpikeRule = DEFAULT_RULE) -> TopicHistory:
    """``history`` with this window's count added and windows too old to matter dropped."""
    first = window_start if history.first_window_start is None else min(history.first_window_start, window_start)
    counts = dict(history.counts)
    counts[window_start] = counts.get(window_start, 0) + count
    oldest = max(counts) - rule.history_windows * rule.window_s
    kept = tuple(sorted((start, n) for start, n in counts.items() if start >= oldest))
    return TopicHistory(first, kept)


def seeded_history(
    buckets: Sequence[tuple[int, int]], first_seen: float | None, before: int, rule: SpikeRule = DEFAULT_RULE
) -> TopicHistory:
    """History for a topic from counts already in the engine: ``buckets`` of (window start, documents
    created) and when the topic was first created, for the windows before ``before`` (a window start).
    A restarted job judges its first windows against this instead of waiting ``min_history_windows``."""
    if first_seen is None:
        return TopicHistory()
    size = rule.window_s
    oldest = before - rule.history_windows * size
    first = max(oldest, int(first_seen) // size * size)
    if first >= before:
        return TopicHistory()
    counts = tuple(sorted((start, n) for start, n in buckets if first <= start < before and n > 0))
    return TopicHistory(first, counts)


@dataclass(frozen=True, order=True)
class Example:
    """One headline shown in an alert. Ordering is the ranking: see :func:`top_examples`."""

    sort_key: tuple[float, float, str] = field(repr=False)
    article_id: str = field(compare=False)
    title: str = field(compare=False)
    url: str = field(compare=False)
    source: str = field(compare=False)
    published_at: str | None = field(compare=False)
    story_id: str | None = field(default=None, compare=False)

    @property
    def story(self) -> str:
        """The story this headline stands for (its own URL when it has none)."""
        return self.story_id or self.url

    def to_dict(self) -> dict[str, Any]:
        out = {
            "article_id": self.article_id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "published_at": self.published_at,
        }
        if self.story_id:
            out["story_id"] = self.story_id
        return out


def example_of(item: ClassifiedArticle) -> Example:
    """The headline fields of an article, with its rank key."""
    a = item.article
    # Most relevant first, then newest (undated last), then URL so ties never depend on arrival order.
    key = (-item.classification.relevance_score, -_unix(a.published_at), a.url)
    return Example(
        key, a.article_id, a.title, a.url, a.source, a.published_at, item.story.story_id if item.story else None
    )


def story_key(item: ClassifiedArticle) -> str:
    """What counts as one story in a window: the article's story, or the article itself without one."""
    return item.story.story_id if item.story else item.article.article_id


def _unix(published_at: str | None) -> float:
    """Seconds since the epoch; minus infinity when undated or unreadable (ranks last)."""
    if not published_at:
        return -math.inf
    try:
        return from_iso(published_at).timestamp()
    except ValueError:
        return -math.inf


def top_examples(examples: Iterable[Example], n: int) -> tuple[Example, ...]:
    """The ``n`` best examples: highest relevance score, then newest, then by URL; one per story (one per
    URL for articles without a story), so an alert names the distinct stories behind it."""
    best: dict[str, Example] = {}
    for ex in examples:
        if ex.story not in best or ex < best[ex.story]:
            best[ex.story] = ex
    return tuple(sorted(best.values())[:n])


def stories_label(count: int, stories: int) -> str:
    """How an alert describes what drove it."""
    if stories == 1:
        return f"{count} article(s), one story: a single syndicated story"
    return f"{count} articles, {stories} distinct stories"


def alert_id(topic: str, window_end: str) -> str:
    """Stable id of the alert for ``topic`` and the window ending at ``window_end`` (ISO-8601)."""
    return hashlib.sha256(f"topic-spike|{topic}|{window_end}".encode()).hexdigest()[:32]


def _iso(unix_s: int) -> str:
    return unix_to_iso(unix_s)


def alert_document(
    topic: str,
    window_start: int,
    window_end: int,
    verdict: Assessment,
    examples: Iterable[Example],
    rule: SpikeRule = DEFAULT_RULE,
    stories: int | None = None,
) -> dict[str, Any]:
    """The ``news-alerts`` document for one spiking window (times in unix seconds).

    Matches ``pipeline/sinks/alerts-template.json`` (a strict mapping).

    ``@timestamp`` is the window end, not the wall clock, so the same window
    always yields the same document. ``stories`` is how many distinct stories
    the window's ``count`` articles belong to (``single_story`` when one
    syndicated story drove the whole spike).
    """
    if verdict.baseline is None or verdict.ratio is None:
        raise ValueError(f"no alert without a baseline (topic {topic!r}, window ending {window_end})")
    end = _iso(window_end)
    doc: dict[str, Any] = {
        "alert_id": alert_id(topic, end),
        "topic": topic,
        "window_start": _iso(window_start),
        "window_end": end,
        "count": verdict.count,
        "baseline": round(verdict.baseline, 3),
        "ratio": round(verdict.ratio, 3),
        "severity": rule.severity,
        "examples": [ex.to_dict() for ex in top_examples(examples, rule.max_examples)],
        "@timestamp": end,
    }
    if stories is not None:
        doc["stories"] = stories
        doc["single_story"] = stories == 1
        doc["summary"] = stories_label(verdict.count, stories)
    return doc
