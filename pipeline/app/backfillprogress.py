"""Progress of ``newsmon backfill``: feeds done of the total, rate, ETA and failures so far.

Read from the Prometheus counters the DoFns keep (:mod:`pipeline.telemetry.metrics`):
this process's registry when the DoFns run here (DirectRunner, and Prism or
Flink with the LOOPBACK environment), or the sum over the multiprocess
directory the SDK workers of a PROCESS environment write to. A feed is *done*
when its document was parsed (``newsmon_feed_documents_parsed_total``) or
could not be read at all (a ``read``/``fetch`` dead letter). *Failures* are
rejected entries and documents (``newsmon_entry_failures_total``) plus unread
documents and documents the engine refused (dead letters of stage ``read``,
``fetch``, ``index``): at the end they add up to the summary's failures.

On a terminal (text logs) it is a bar redrawn in place; otherwise (piped, or
JSON logs) one log line every ``every_s`` seconds, with the same facts as
fields in JSON mode. Either way a last report is written when the job ends.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, TextIO

from prometheus_client import CollectorRegistry

from pipeline.telemetry import logs, metrics

__all__ = ["BackfillCounts", "BackfillProgress", "Estimate", "bar", "counts", "estimate", "report_line"]

log = logging.getLogger("newsmon.backfill")
UNREAD_STAGES = ("read", "fetch")
FAILED_STAGES = (*UNREAD_STAGES, "index")
BAR_REFRESH_S = 0.5


@dataclass(frozen=True)
class BackfillCounts:
    """Cumulative counts of one backfill so far."""

    feeds_done: int = 0
    entries: int = 0
    relevant: int = 0
    indexed: int = 0
    failures: int = 0


@dataclass(frozen=True)
class Estimate:
    """Where a backfill stands: ``rate`` in feeds per second and ``eta_s`` in seconds (``None`` until
    a feed is done); ``entries_rate`` in entries per second."""

    done: int
    total: int
    elapsed_s: float
    rate: float | None
    entries_rate: float | None
    eta_s: float | None

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 1.0


def counts(registry: CollectorRegistry) -> BackfillCounts:
    """The counts from the metrics of ``registry`` (summed over label values)."""
    parsed = entries = relevant = indexed = failures = unread = 0.0
    for family in registry.collect():
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            if name == metrics.FEEDS_PARSED:
                parsed += value
            elif name == metrics.ENTRIES_PARSED:
                entries += value
            elif name == metrics.ARTICLES_CLASSIFIED and labels.get("relevant") == "true":
                relevant += value
            elif name == metrics.DOCUMENTS_INDEXED and labels.get("result") == "created":
                indexed += value
            elif name == metrics.ENTRY_FAILURES:
                failures += value
            elif name == metrics.DEADLETTERS and labels.get("stage") in FAILED_STAGES:
                failures += value
                if labels.get("stage") in UNREAD_STAGES:
                    unread += value
    return BackfillCounts(int(parsed + unread), int(entries), int(relevant), int(indexed), int(failures))


def estimate(now: BackfillCounts, total: int, elapsed_s: float) -> Estimate:
    """Rate since the start and the time left at that rate."""
    done = min(now.feeds_done, total)
    if elapsed_s <= 0 or done == 0:
        return Estimate(done, total, elapsed_s, None, None, None)
    rate = done / elapsed_s
    return Estimate(done, total, elapsed_s, rate, now.entries / elapsed_s, (total - done) / rate)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def report_line(now: BackfillCounts, est: Estimate) -> tuple[str, dict[str, Any]]:
    """The periodic line and its fields (JSON logs)."""
    fields: dict[str, Any] = {
        "feeds_done": est.done,
        "feeds_total": est.total,
        "percent": round(100 * est.fraction, 1),
        "entries": now.entries,
        "relevant": now.relevant,
        "indexed": now.indexed,
        "failures": now.failures,
        "feeds_per_second": None if est.rate is None else round(est.rate, 2),
        "entries_per_second": None if est.entries_rate is None else round(est.entries_rate, 1),
        "eta_seconds": None if est.eta_s is None else round(est.eta_s, 1),
        "elapsed_seconds": round(est.elapsed_s, 1),
    }
    text = (
        f"backfill: {est.done}/{est.total} feeds ({100 * est.fraction:.0f}%), {now.entries} entries, "
        f"{now.relevant} relevant, {now.indexed} indexed, {now.failures} failures so far; "
        f"{_rate(est.rate)} feeds/s, {_rate(est.entries_rate)} entries/s, ETA {_clock(est.eta_s)} "
        f"(elapsed {_clock(est.elapsed_s)})"
    )
    return text, fields


def bar(now: BackfillCounts, est: Estimate, width: int = 100) -> str:
    """One terminal line: a bar of the feeds done, then rate, ETA and counts, at most ``width`` characters."""
    tail = (
        f" {est.done}/{est.total} feeds {100 * est.fraction:3.0f}%  {_rate(est.rate)} feeds/s  "
        f"ETA {_clock(est.eta_s)}  entries {now.entries}  relevant {now.relevant}  failures {now.failures}"
    )
    room = max(10, min(40, width - len(tail) - 2))
    filled = round(room * est.fraction)
    return ("[" + "#" * filled + "." * (room - filled) + "]" + tail)[:width]


class BackfillProgress:
    """Reports a backfill of ``total`` feed documents while it runs (a context manager).

    ``mode``: ``"bar"`` (redrawn on ``stream``), ``"lines"`` (a log line every ``every_s``) or ``"off"``.
    """

    def __init__(
        self,
        total: int,
        registry: CollectorRegistry,
        mode: str,
        every_s: float = 10.0,
        stream: TextIO | None = None,
        width: int = 100,
    ) -> None:
        if mode not in ("bar", "lines", "off"):
            raise ValueError(f"unknown progress mode {mode!r}")
        self.total, self.registry, self.mode, self.every_s = total, registry, mode, every_s
        self.stream, self.width = stream, width
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="backfill-progress")
        self._started = time.monotonic()

    def _report(self, final: bool = False) -> None:
        now = counts(self.registry)
        est = estimate(now, self.total, time.monotonic() - self._started)
        if self.mode == "bar" and self.stream is not None:
            self.stream.write("\r" + bar(now, est, self.width) + ("\n" if final else ""))
            self.stream.flush()
        elif self.mode == "lines":
            text, fields = report_line(now, est)
            log.info(text, extra={**fields, **logs.SAID})  # text mode: the line alone

    def _loop(self) -> None:
        while not self._stop.wait(BAR_REFRESH_S if self.mode == "bar" else self.every_s):
            self._report()

    def __enter__(self) -> BackfillProgress:
        self._started = time.monotonic()
        if self.mode != "off":
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self.mode != "off":
            self._report(final=True)
