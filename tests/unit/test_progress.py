"""The per-cycle line of `newsmon run`: differences of the exported counters."""

from __future__ import annotations

import logging
import time

import pytest
from prometheus_client import CollectorRegistry

from pipeline.app.progress import CycleReporter, cycle, snapshot
from pipeline.telemetry import metrics


def test_a_cycle_line_says_what_changed_since_the_last() -> None:
    registry = CollectorRegistry()
    m = metrics.Metrics(registry)
    m.feed_polls.labels(outcome="not_modified").inc(5)
    before = snapshot(registry)
    m.feed_polls.labels(outcome="ok").inc(2)
    m.feed_polls.labels(outcome="not_modified").inc(7)
    m.feed_polls.labels(outcome="timeout").inc(1)
    m.entries_parsed.inc(60)
    m.relevant.labels(topic="trade").inc(3)
    m.relevant.labels(topic="defense").inc(1)
    m.indexed.labels(result="created").inc(4)
    m.indexed.labels(result="exists").inc(9)  # already there: not news
    m.deadletters.labels(stage="parse").inc(1)
    text, fields = cycle(before, snapshot(registry), 60.0)
    assert text == (
        "last 60s: 10 feeds polled, 2 changed, 1 failed; 60 entries, 4 new relevant "
        "(defense 1, trade 3); 4 indexed, 1 dead-lettered"
    )
    assert fields["relevant_by_topic"] == {"trade": 3, "defense": 1}
    assert (fields["feeds_polled"], fields["feeds_failed"], fields["indexed"]) == (10, 1, 4)


def test_a_counter_that_went_back_counts_from_zero() -> None:
    before = {"polled": 50.0, "changed": 1.0, "failed": 0.0, "entries": 9.0, "created": 3.0, "dead_letters": 0.0}
    after = {**before, "polled": 4.0}  # a worker restarted: its counter began again
    _text, fields = cycle(before, after, 30.0)
    assert fields["feeds_polled"] == 4


def test_the_reporter_logs_a_line_each_period(caplog: pytest.LogCaptureFixture) -> None:
    registry = CollectorRegistry()
    m = metrics.Metrics(registry)
    reporter = CycleReporter(registry, 0.05)
    with caplog.at_level(logging.INFO, logger="newsmon.progress"):
        reporter.start()
        m.feed_polls.labels(outcome="ok").inc()
        deadline = time.monotonic() + 10
        while not any("feeds polled" in r.message for r in caplog.records):
            assert time.monotonic() < deadline, "no cycle line within 10 s"
            time.sleep(0.02)
        reporter.stop()
    assert any(getattr(r, "feeds_polled", None) is not None for r in caplog.records)
