"""The demo newsroom's stories, its timeline and its spike settings: plain data and functions, no I/O
beyond reading the packaged bank.

**The bank** (``bank.jsonl``, next to this module) holds invented articles
written for the demo, one JSON object per line: ``id``, ``feed`` (a key of
:data:`FEEDS`), ``phase``, ``title``, ``summary`` and ``expect`` (the verdict
the current detector gives: ``relevant`` and ``topics``; a unit test checks
every story against ``newsmon classify``). Mixed topics, US–India stories and
others, and false friends (Indiana, the Colts, Indian Wells, IPA, West Indies,
Washington state). Phases:

* ``backlog``: already in the feeds when the demo starts (as a real feed holds
  its last items);
* ``steady``: one every :data:`STEADY_EVERY_S` seconds from the first poll;
* ``burst``: one afternoon's tariff story, all ``trade``, one every
  :data:`BURST_EVERY_S` seconds from :data:`BURST_AT_S`: the spike.

After the scripted round the newsroom keeps publishing the steady stories
again at the same pace (round 2, 3, ... under new URLs), without a burst.

**Time scale.** Every time here is multiplied by the demo's time scale (1 for
the human demo; less to run it faster, as the end-to-end test does).

**Spike settings.** The demo's topic-spike rule is the production rule
(:data:`pipeline.alerting.spikes.DEFAULT_RULE`, the same thresholds) with
every duration :data:`DEMO_SPEEDUP` times shorter: 30-second windows, 2 minutes
of history before a verdict. ``deploy/local/prometheus-demo-rules.yml`` is the
Prometheus side of the same scaling (a unit test checks they agree).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from pipeline.alerting.spikes import DEFAULT_RULE
from pipeline.core.topics import TOPICS

__all__ = [
    "BANK_PATH",
    "BURST_AT_S",
    "BURST_EVERY_S",
    "DEMO_SPEEDUP",
    "FEEDS",
    "STEADY_EVERY_S",
    "Publication",
    "Story",
    "load_bank",
    "poll_interval_s",
    "publications",
    "run_args",
]

BANK_PATH: Final = Path(__file__).with_name("bank.jsonl")
# Feed file stem → outlet name shown as `source`.
FEEDS: Final[dict[str, str]] = {"wire": "Demo Wire", "business": "Demo Business", "usdesk": "Demo US Desk"}
PHASES: Final = ("backlog", "steady", "burst")

# The timeline at time scale 1, in seconds from the first poll of a demo feed.
STEADY_EVERY_S: Final = 20.0
BURST_AT_S: Final = 190.0
BURST_EVERY_S: Final = 1.0
BACKLOG_SPACING_S: Final = 20 * 60.0  # publication dates of the backlog, going back from the start
POLL_EVERY_S: Final = 10.0  # the demo feeds' interval in feeds.yaml
TICK_S: Final = 2.0  # newsmon run --tick
# Production spike windows / demo spike windows (Prometheus demo rules and the job's --spike-* options).
DEMO_SPEEDUP: Final = 30


@dataclass(frozen=True)
class Story:
    """One demo article and the verdict the detector is expected to give it."""

    id: str
    feed: str
    phase: str
    title: str
    summary: str
    relevant: bool
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Publication:
    """``story`` appears in its feed ``at_s`` seconds after the first poll (round 1 = the scripted one)."""

    at_s: float
    story: Story
    round: int = 1

    def url(self, edition: str) -> str:
        """The article's link: unique per demo run (``edition``) and per round, so every run is news."""
        suffix = f"-r{self.round}" if self.round > 1 else ""
        return f"https://demo.newsmon.invalid/{edition}/{self.story.id}{suffix}"


def _story(raw: dict[str, object], line: int) -> Story:
    expect = raw.get("expect")
    if not isinstance(expect, dict):
        raise ValueError(f"{BANK_PATH.name}:{line}: 'expect' must be an object")
    story = Story(
        id=str(raw["id"]),
        feed=str(raw["feed"]),
        phase=str(raw["phase"]),
        title=str(raw["title"]),
        summary=str(raw["summary"]),
        relevant=bool(expect["relevant"]),
        topics=tuple(str(t) for t in expect["topics"]),
    )
    if story.feed not in FEEDS or story.phase not in PHASES or not set(story.topics) <= set(TOPICS):
        raise ValueError(f"{BANK_PATH.name}:{line}: unknown feed, phase or topic in {story}")
    if story.topics and not story.relevant:
        raise ValueError(f"{BANK_PATH.name}:{line}: an irrelevant story has no topics")
    return story


@cache
def load_bank(path: Path = BANK_PATH) -> tuple[Story, ...]:
    """Every story of the bank, in file order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    stories = tuple(_story(json.loads(text), n) for n, text in enumerate(lines, start=1) if text.strip())
    if len({s.id for s in stories}) != len(stories):
        raise ValueError(f"{path.name}: story ids must be unique")
    return stories


def publications(bank: Sequence[Story], scale: float = 1.0) -> Iterator[Publication]:
    """The stories published after the first poll, in time order, for ever (backlog excluded).

    Round 1: steady stories every ``STEADY_EVERY_S``, the burst from ``BURST_AT_S``; later rounds
    repeat the steady stories at the same pace."""
    if scale <= 0:
        raise ValueError(f"time scale must be positive, got {scale}")
    steady = [s for s in bank if s.phase == "steady"]
    burst = [s for s in bank if s.phase == "burst"]
    first = [Publication((i + 1) * STEADY_EVERY_S * scale, s) for i, s in enumerate(steady)]
    first += [Publication((BURST_AT_S + j * BURST_EVERY_S) * scale, s) for j, s in enumerate(burst)]
    yield from sorted(first, key=lambda p: p.at_s)
    if not steady:
        return
    period = (len(steady) + 1) * STEADY_EVERY_S * scale
    n = 2
    while True:
        for i, s in enumerate(steady):
            yield Publication((n - 1) * period + (i + 1) * STEADY_EVERY_S * scale, s, n)
        n += 1


def backlog(bank: Sequence[Story], start: float) -> list[tuple[float, Story]]:
    """(publication time, story) of the stories already in the feeds at ``start`` (unix seconds), oldest first."""
    old = [s for s in bank if s.phase == "backlog"]
    return [(start - (len(old) - i) * BACKLOG_SPACING_S, s) for i, s in enumerate(old)]


def poll_interval_s(scale: float = 1.0) -> int:
    """The demo feeds' poll interval (feeds.yaml), whole seconds, at least 1."""
    return max(1, round(POLL_EVERY_S * scale))


def run_args(scale: float = 1.0) -> list[str]:
    """The ``newsmon run`` options of the demo: a short tick and the production spike rule with every
    duration ``DEMO_SPEEDUP`` times shorter (times ``scale``); thresholds unchanged."""
    window = max(1, round(DEFAULT_RULE.window_s / DEMO_SPEEDUP * scale))
    return [
        "--tick",
        f"{max(1.0, TICK_S * scale):g}",
        "--spike-window",
        str(window),
        "--spike-history",
        str(window * DEFAULT_RULE.history_windows),
        "--spike-min-history",
        str(window * DEFAULT_RULE.min_history_windows),
        "--spike-ratio",
        f"{DEFAULT_RULE.ratio_threshold:g}",
        "--spike-min-count",
        str(DEFAULT_RULE.min_count),
    ]
