"""Backfill progress: counts from the metrics, rate and ETA, the bar, the line and how it is shown."""

from __future__ import annotations

import argparse
import io
import logging

import pytest
from prometheus_client import CollectorRegistry

from pipeline.app.backfillprogress import BackfillCounts, BackfillProgress, bar, counts, estimate, report_line
from pipeline.app.cli import _progress_mode
from pipeline.telemetry.metrics import Metrics


def registry_with_a_backfill() -> CollectorRegistry:
    registry = CollectorRegistry()
    m = Metrics(registry)
    m.feeds_parsed.labels(parser="fast", fallback="none").inc(7)
    m.feeds_parsed.labels(parser="none", fallback="error").inc(1)
    m.entries_parsed.inc(120)
    m.classified.labels(relevant="true").inc(9)
    m.classified.labels(relevant="false").inc(100)
    m.indexed.labels(result="created").inc(8)
    m.indexed.labels(result="exists").inc(1)
    m.entry_failures.labels(reason="not_a_feed").inc()
    m.entry_failures.labels(reason="no_link").inc(2)
    m.deadletters.labels(stage="parse").inc(3)  # the entry failures' own dead letters: not counted twice
    m.deadletters.labels(stage="read").inc(2)  # unread documents: done, and failed
    m.deadletters.labels(stage="index").inc()
    return registry


def test_counts_add_parsed_and_unread_documents_and_every_failure_once() -> None:
    assert counts(registry_with_a_backfill()) == BackfillCounts(
        feeds_done=10, entries=120, relevant=9, indexed=8, failures=6
    )
    assert counts(CollectorRegistry()) == BackfillCounts()


def test_estimate_rate_and_time_left_at_the_mean_rate() -> None:
    est = estimate(BackfillCounts(feeds_done=25, entries=500), total=100, elapsed_s=10.0)
    assert (est.done, est.rate, est.entries_rate, est.eta_s, est.fraction) == (25, 2.5, 50.0, 30.0, 0.25)
    assert estimate(BackfillCounts(), 100, 5.0).eta_s is None
    assert estimate(BackfillCounts(feeds_done=120), 100, 1.0).fraction == 1.0
    assert estimate(BackfillCounts(), 0, 1.0).fraction == 1.0


def test_the_line_and_its_fields() -> None:
    now = BackfillCounts(feeds_done=25, entries=500, relevant=12, indexed=10, failures=3)
    text, fields = report_line(now, estimate(now, 100, 10.0))
    assert text == (
        "backfill: 25/100 feeds (25%), 500 entries, 12 relevant, 10 indexed, 3 failures so far; "
        "2.5 feeds/s, 50.0 entries/s, ETA 0:30 (elapsed 0:10)"
    )
    assert fields["feeds_done"] == 25 and fields["eta_seconds"] == 30.0 and fields["percent"] == 25.0
    text, fields = report_line(BackfillCounts(), estimate(BackfillCounts(), 100, 0.5))
    assert "- feeds/s" in text and "ETA --:--" in text and fields["eta_seconds"] is None
    long = estimate(BackfillCounts(feeds_done=1), 10_000, 3.0)
    assert "ETA 8:19:57" in report_line(BackfillCounts(feeds_done=1), long)[0]


def test_the_bar_fills_with_the_fraction_and_fits_the_width() -> None:
    now = BackfillCounts(feeds_done=50, entries=900, relevant=4, failures=1)
    line = bar(now, estimate(now, 100, 5.0), width=200)
    assert line.startswith("[" + "#" * 20 + "." * 20 + "]") and " 50/100 feeds  50%" in line
    assert "ETA 0:05" in line and "failures 1" in line
    assert len(bar(now, estimate(now, 100, 5.0), width=60)) <= 60


def test_a_progress_writes_a_last_report_when_the_job_ends(caplog: pytest.LogCaptureFixture) -> None:
    registry = registry_with_a_backfill()
    stream = io.StringIO()
    with BackfillProgress(10, registry, "bar", stream=stream, width=150):
        pass
    assert stream.getvalue().startswith("\r[") and " 10/10 feeds 100%" in stream.getvalue()
    assert stream.getvalue().endswith("\n")
    with caplog.at_level(logging.INFO, logger="newsmon.backfill"), BackfillProgress(10, registry, "lines", 60):
        pass
    [record] = caplog.records
    assert record.getMessage().startswith("backfill: 10/10 feeds (100%)")
    assert record.__dict__["failures"] == 6  # an extra= field: set on the record, unknown to LogRecord's type
    with BackfillProgress(10, registry, "off", stream=stream):
        pass
    with pytest.raises(ValueError, match="mode"):
        BackfillProgress(10, registry, "fancy")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "log_format", "every", "tty", "mode"),
    [
        (None, None, 10.0, True, "bar"),
        (None, "text", 10.0, False, "lines"),
        (None, "json", 10.0, True, "lines"),
        (None, None, 0.0, True, "off"),
        ("0", None, 10.0, True, "off"),
        ("lines", None, 10.0, True, "lines"),
        ("bar", "json", 10.0, False, "bar"),
    ],
)
def test_progress_mode(
    monkeypatch: pytest.MonkeyPatch, env: str | None, log_format: str | None, every: float, tty: bool, mode: str
) -> None:
    if env is None:
        monkeypatch.delenv("NEWSMON_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("NEWSMON_PROGRESS", env)
    args = argparse.Namespace(log_format=log_format, progress_every=every)
    assert _progress_mode(args, _Tty() if tty else io.StringIO()) == mode
