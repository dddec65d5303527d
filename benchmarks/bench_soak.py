"""Soak: `newsmon run` against a field-like workload for a long time — schedule, recall, freshness, memory, CPU.

    source .var/stack.env && .venv/bin/python -m benchmarks.bench_soak \\
        --feeds 10000 --items 30 --churn 2 --interval 300 --duration 3600 [--restart-at 1800] \\
        [--job-arg=--job_server_timeout=100000] [--json-out soak.json]

Starts the workload server of :mod:`benchmarks.workload` (its own process,
one socket on each of ``--hosts`` loopback addresses), writes ``feeds.yaml``
for its feeds, runs `newsmon run` on Prism against the engine in
``$ELASTICSEARCH_URL`` with its own index for ``--duration`` seconds
(optionally SIGTERM and start again with the same index at
``--restart-at``), then reads the server's request log and the index and
reports. Everything is kept in ``--workdir`` (default
``.var/bench-soak/<time>``): feeds.yaml, the job's log ``run.log``, the server's
log, the figures as ``figures.json``. The index is deleted at the end unless
``--keep-index`` (with the job's feed-state index ``news-feeds-<index>``).

Figures (times in seconds, "window" = from job start to the end of the run):

* **polls per feed**: feed requests per feed in the window, from the server's
  log; expected ≈ duration / interval. *Gaps* are the times between a feed's
  consecutive requests (the gap across a restart is left out). newsmon
  stretches the interval of a feed that stayed unchanged for ``--quiet-polls``
  polls (up to ``--max-stretch`` ×, defaults read from
  ``pipeline.sources.schedule``), so each gap is judged against the gap that
  rule asks for after the polls before it: *late* when more than 10% longer
  (``gap_minus_expected_s`` is the difference). A feed is *on schedule* when
  it was first polled within the first interval (+60 s for start-up), had no
  late gap, and was polled within its expected gap before the end.
* **304 share**: 304 answers / feed requests. A *wasted 200* is a full answer
  for a feed whose content had not changed since the last 200 for it (a poll
  without usable validators).
* **recall**: of the items that were in some feed during the window and
  appeared at least ``interval + 10`` s before the end, the share whose
  canonical URL is in the job's index. *Ground truth* counts the workload's
  relevant items; *detector* counts the items that newsmon's own detector
  (``pipeline.detect.classify`` on the same text, offline) calls relevant —
  that one isolates losses in the pipeline from classification errors.
* **publish → indexed**: ``ingested_at`` of the indexed document minus the
  moment the item appeared in the feed, for items that appeared during the
  window (p50/p95/max; target p95 ≤ interval + 10 s). ``ingested_at`` is
  stamped just before the bulk request, so searchable is about a refresh
  interval (1 s) later. *Backlog*: for items present when the job started,
  ``ingested_at`` minus job start (the first cycle).
* **RSS**: resident memory of the job process and its children (Prism),
  sampled every ``--sample`` s; peak in the first cycle, peak after it, final,
  and the slope of a least-squares line through the samples after the first
  cycle of the last job run (MiB/hour: ≈0 means flat).
* **CPU**: cores used by the job tree (utime+stime of every process in it,
  plus what its reaped children used), by the workload server and, when its
  PID file is in ``.var/run``, the search engine: mean over the window and the
  largest ``--sample``-second mean.
* **restart** (with ``--restart-at``): for each feed's first request after the
  restart, whether it was a 304, a 200 with new content, or a 200 for
  unchanged content (a cold re-fetch); documents with ``_version`` > 1 or
  sharing a URL (duplicates); alert documents (``news-alerts*``, matched by
  this run's URLs in their examples) that appeared after the restart, and how
  many of them are for windows that closed before it (re-counted).
* **job metrics** and **log**: newsmon's own counters scraped before each
  stop, and counts of warnings/errors in ``run.log`` with the most frequent
  messages.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.bench_scale import descendants, rss_mb
from benchmarks.workload import Workload, feed_urls
from pipeline.core.errors import SearchError
from pipeline.core.text import strip_html
from pipeline.core.urls import canonical_url
from pipeline.detect import classify
from pipeline.sources import schedule as newsmon_schedule
from tests.support.job import REPO, Job

CLK_TCK = os.sysconf("SC_CLK_TCK")
ALERTS = "news-alerts*"


# ------------------------------------------------------------------ /proc
def cpu_ticks(pid: int, tree: bool = True) -> int:
    """utime+stime+cutime+cstime of ``pid`` (and every live descendant), in clock ticks."""
    total = 0
    for p in [pid, *(descendants(pid) if tree else [])]:
        try:
            rest = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += sum(int(v) for v in rest[11:15])
    return total


def rss_by_process(pid: int) -> dict[str, float]:
    """RSS in MiB of ``pid`` and its descendants, by command name."""
    out: dict[str, float] = {}
    for p in [pid, *descendants(pid)]:
        try:
            name = Path(f"/proc/{p}/comm").read_text().strip()
            kb = next(
                int(line.split()[1])
                for line in Path(f"/proc/{p}/status").read_text().splitlines()
                if line.startswith("VmRSS:")
            )
        except (OSError, StopIteration):
            continue
        out[name] = out.get(name, 0.0) + kb / 1024
    return out


@dataclass
class Sample:
    t: float
    job_pid: int
    rss_mb: float
    job_ticks: int
    server_ticks: int
    engine_ticks: int


@dataclass
class Sampler:
    """Every ``every`` s: job-tree RSS and CPU ticks, workload-server and engine CPU ticks."""

    job: Job
    server_pid: int
    engine_pid: int | None
    every: float
    samples: list[Sample] = field(default_factory=list)
    peak_by_process: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def take(self) -> None:
        proc = self.job.proc
        if proc is None or proc.poll() is not None:
            return
        by_process = rss_by_process(proc.pid)
        for name, mb in by_process.items():
            self.peak_by_process[name] = max(self.peak_by_process.get(name, 0.0), mb)
        self.samples.append(
            Sample(
                time.time(),
                proc.pid,
                rss_mb(proc.pid),
                cpu_ticks(proc.pid),
                cpu_ticks(self.server_pid, tree=False),
                cpu_ticks(self.engine_pid, tree=False) if self.engine_pid else 0,
            )
        )

    def run(self) -> None:
        while not self._stop.wait(self.every):
            self.take()

    def start(self) -> None:
        threading.Thread(target=self.run, name="sampler", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


def cores(samples: Sequence[Sample], attr: str) -> tuple[float, float]:
    """(mean, max) cores from consecutive samples of the same job process."""
    busy = wall = 0.0
    best = 0.0
    for a, b in itertools.pairwise(samples):
        if a.job_pid != b.job_pid or b.t <= a.t:
            continue
        used = (getattr(b, attr) - getattr(a, attr)) / CLK_TCK
        if used < 0:
            continue
        busy, wall = busy + used, wall + (b.t - a.t)
        best = max(best, used / (b.t - a.t))
    return (busy / wall if wall else 0.0), best


def slope_per_hour(points: Sequence[tuple[float, float]]) -> float | None:
    if len(points) < 3:
        return None
    mt = statistics.fmean(t for t, _ in points)
    mv = statistics.fmean(v for _, v in points)
    den = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (v - mv) for t, v in points) / den * 3600 if den else None


# ------------------------------------------------------------------ job, engine, log
def scrape(port: int) -> dict[str, float]:
    """Every ``newsmon_*`` sample of the job's /metrics, by its full name with labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("newsmon_") and not line.startswith(
            (
                "newsmon_feed_fetch_duration_seconds_bucket",
                "newsmon_index_request_duration_seconds_bucket",
                "newsmon_end_to_end_latency_seconds_bucket",
            )
        ):
            name, _, value = line.rpartition(" ")
            with contextlib.suppress(ValueError):
                out[name] = float(value)
    return out


def indexed_documents(job: Job) -> list[dict[str, Any]]:
    """url, ingested_at, _version, _id of every document in the job's index."""
    job.client.request("POST", f"/{job.index}-*/_refresh")
    body = {"size": 5000, "version": True, "_source": ["url", "ingested_at", "relevant"], "sort": ["_doc"]}
    try:
        page = job.client.request("POST", f"/{job.index}-*/_search?scroll=2m", body)
    except SearchError:
        return []
    docs: list[dict[str, Any]] = []
    while hits := page.get("hits", {}).get("hits"):  # a missing index answers without hits
        docs.extend({**h["_source"], "_version": h.get("_version", 1), "_id": h["_id"]} for h in hits)
        page = job.client.request("POST", "/_search/scroll", {"scroll": "2m", "scroll_id": page["_scroll_id"]})
    if "_scroll_id" in page:
        with contextlib.suppress(SearchError):
            job.client.request("DELETE", "/_search/scroll", {"scroll_id": page["_scroll_id"]})
    return docs


def alert_docs(job: Job, run_id: str) -> dict[str, dict[str, Any]]:
    """Alert documents whose examples are articles of this run, by id (with _version)."""
    query = {"size": 1000, "version": True, "query": {"wildcard": {"examples.url": f"*-{run_id}*"}}}
    try:
        job.client.request("POST", f"/{ALERTS}/_refresh")
        hits = job.client.request("POST", f"/{ALERTS}/_search", query)["hits"]["hits"]
    except SearchError:
        return {}
    return {h["_id"]: {**h["_source"], "_version": h.get("_version", 1)} for h in hits}


_NUMBERS = re.compile(r"\d+(\.\d+)?")


def log_summary(path: Path, top: int = 8) -> dict[str, Any]:
    """Counts by level of the job's JSON log lines, and the most frequent warning/error messages."""
    levels: Counter[str] = Counter()
    messages: Counter[str] = Counter()
    other = 0
    for line in path.read_text(errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            other += 1
            if "Traceback" in line or "Error" in line:
                messages[f"(raw) {_NUMBERS.sub('N', line.strip())[:160]}"] += 1
            continue
        if not isinstance(rec, dict):
            other += 1
            continue
        level = str(rec.get("level", "?")).upper()
        levels[level] += 1
        if level in ("WARNING", "ERROR", "CRITICAL"):
            messages[f"{level} {rec.get('logger', '')}: {_NUMBERS.sub('N', str(rec.get('msg', '')))[:160]}"] += 1
    return {"levels": dict(levels), "non_json_lines": other, "top_messages": messages.most_common(top)}


# ------------------------------------------------------------------ ground truth and figures
@dataclass(frozen=True)
class Truth:
    url: str  # canonical
    appeared_at: float
    relevant: bool  # ground truth
    detected: bool  # newsmon's detector on the same text, offline
    topic: str | None
    left_at: float = float("inf")  # when newer items pushed it out of its feed


def ground_truth(w: Workload, start: float, end: float) -> list[Truth]:
    """Every item that was in some feed between ``start`` and ``end``."""
    out = []
    for f in range(w.feeds):
        times = w.timeline(f, end)
        spec = w.spec(f)
        for seq, appeared in enumerate(times):
            leaves = times[seq + w.items] if seq + w.items < len(times) else float("inf")
            if leaves <= start:
                continue
            it = w.item(f, seq, appeared, spec)
            verdict = classify(it.title, strip_html(it.summary_html)).relevant
            out.append(Truth(canonical_url(it.link), appeared, it.relevant, verdict, it.topic, leaves))
    return out


def pct(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def spread(values: Sequence[float]) -> dict[str, float | None]:
    return {
        "n": len(values),
        "min": min(values, default=None),
        "p50": pct(values, 50),
        "p95": pct(values, 95),
        "p99": pct(values, 99),
        "max": max(values, default=None),
    }


@dataclass(frozen=True)
class Schedule:
    """newsmon's polling rule, to judge a gap against: the configured interval, stretched for quiet feeds.

    After ``quiet_polls`` polls in a row that found nothing new, each further one stretches the interval by
    ``1/quiet_polls`` of itself, up to ``max_stretch`` times (``pipeline/sources/schedule.py``).
    """

    interval: float
    quiet_polls: int = 12
    max_stretch: float = 4.0
    slack: float = 1.1  # a gap up to 10% over the expected one is on time

    def expected_gap(self, unchanged_polls: int) -> float:
        q = max(1, self.quiet_polls)
        return self.interval * min(max(1.0, self.max_stretch), 1.0 + max(0, unchanged_polls - q) / q)


def poll_figures(
    rows: Sequence[Sequence[float]],
    feeds: int,
    start: float,
    end: float,
    schedule: Schedule,
    restart: tuple[float, float] | None,
) -> dict[str, Any]:
    interval = schedule.interval
    per_feed: list[list[tuple[float, int, int]]] = [[] for _ in range(feeds)]
    statuses: Counter[str] = Counter()
    wasted = 0
    per_interval: Counter[int] = Counter()
    for t, f, status, flags in rows:
        if start <= t <= end:
            per_feed[int(f)].append((t, int(status), int(flags)))
            per_interval[int((t - start) // interval)] += 1
            statuses[str(int(status))] += 1
            wasted += int(status == 200 and not int(flags) & 1)
    gaps: list[float] = []
    lateness: list[float] = []  # gap minus the gap newsmon's rule asks for, seconds
    late = stretched = on_schedule = 0
    for polls in per_feed:
        polls.sort()
        unchanged = 0
        feed_ok = bool(polls) and polls[0][0] - start <= interval + 60
        expected = interval
        for (a, status, flags), (b, _, _) in itertools.pairwise(polls):
            unchanged = 0 if status == 200 and flags & 1 else unchanged + 1
            expected = schedule.expected_gap(unchanged)
            if restart is not None and a < restart[1] and b >= restart[0]:
                unchanged = 0  # a restarted job starts its count again
                continue
            gaps.append(b - a)
            lateness.append(b - a - expected)
            stretched += expected > interval
            if b - a > expected * schedule.slack:
                late += 1
                feed_ok = False
        if polls and end - polls[-1][0] > expected * schedule.slack:
            feed_ok = False
        on_schedule += feed_ok
    counts = [len(p) for p in per_feed]
    requests = sum(statuses.values())
    return {
        "expected_polls_per_feed": round((end - start) / interval, 2),
        "polls_per_feed": {"min": min(counts), "median": statistics.median(counts), "max": max(counts)},
        "feeds_never_polled": sum(1 for c in counts if c == 0),
        "on_schedule_share": round(on_schedule / feeds, 4),
        "gap_s": spread(gaps),
        "late_gap_share": round(late / len(gaps), 4) if gaps else None,
        "gap_minus_expected_s": spread(lateness),
        "stretched_gap_share": round(stretched / len(gaps), 4) if gaps else None,
        "first_poll_after_start_s": spread([p[0][0] - start for p in per_feed if p]),
        "requests": requests,
        "requests_per_interval": [per_interval[k] for k in range(max(per_interval, default=-1) + 1)],
        "by_status": dict(statuses),
        "share_304": round(statuses["304"] / requests, 4) if requests else None,
        "wasted_200": wasted,
    }


def restart_figures(rows: Sequence[Sequence[float]], feeds: int, restarted_at: float, end: float) -> dict[str, Any]:
    first: dict[int, tuple[int, int]] = {}
    for t, f, status, flags in sorted(rows, key=lambda r: r[0]):
        if restarted_at <= t <= end and int(f) not in first:
            first[int(f)] = (int(status), int(flags))
    return {
        "feeds_polled_after_restart": len(first),
        "first_poll_304": sum(1 for s, _ in first.values() if s == 304),
        "first_poll_200_new_content": sum(1 for s, fl in first.values() if s == 200 and fl & 1),
        "first_poll_200_unchanged_refetch": sum(1 for s, fl in first.values() if s == 200 and not fl & 1),
        "first_poll_without_validators": sum(1 for _, fl in first.values() if not fl & 2),
        "feeds_not_polled_after_restart": feeds - len(first),
    }


def recall_figures(
    truth: Sequence[Truth], docs: Sequence[dict[str, Any]], start: float, end: float, interval: float
) -> dict[str, Any]:
    ingested: dict[str, float] = {}
    by_url: Counter[str] = Counter()
    for d in docs:
        url = str(d.get("url") or "")
        by_url[url] += 1
        at = _timestamp(d.get("ingested_at"))
        if at is not None:
            ingested[url] = min(at, ingested.get(url, at))
    cutoff = end - interval - 10
    # An item counts when a poller on schedule had to see it: it appeared early enough before the end, and
    # it stayed in its feed for a whole interval (+10 s) after the job started.
    window = [x for x in truth if x.appeared_at <= cutoff and x.left_at - max(x.appeared_at, start) > interval + 10]
    short_lived = sum(1 for x in truth if x.appeared_at <= cutoff) - len(window)
    gt = [x for x in window if x.relevant]
    det = [x for x in window if x.detected]
    missing = [x for x in det if x.url not in ingested]
    fresh = [ingested[x.url] - x.appeared_at for x in det if x.appeared_at >= start and x.url in ingested]
    backlog = [ingested[x.url] - start for x in det if x.appeared_at < start and x.url in ingested]
    known = {x.url for x in truth}
    return {
        "items_in_window": len(window),
        "items_left_out_short_lived": short_lived,
        "relevant_ground_truth": len(gt),
        "recall_ground_truth": round(sum(1 for x in gt if x.url in ingested) / len(gt), 4) if gt else None,
        "relevant_detector": len(det),
        "recall_detector": round((len(det) - len(missing)) / len(det), 4) if det else None,
        "detector_vs_truth": {
            "true_pos": sum(1 for x in window if x.relevant and x.detected),
            "false_neg": sum(1 for x in window if x.relevant and not x.detected),
            "false_pos": sum(1 for x in window if x.detected and not x.relevant),
        },
        "missing_examples": [{"url": x.url, "appeared_at": round(x.appeared_at, 1)} for x in missing[:5]],
        "publish_to_indexed_s": spread(fresh),
        "fresh_within_target_share": (
            round(sum(1 for v in fresh if v <= interval + 10) / len(fresh), 4) if fresh else None
        ),
        "backlog_indexed_after_start_s": spread(backlog),
        "documents": len(docs),
        "documents_not_in_workload": sum(1 for u in by_url if u not in known),
        "duplicate_urls": sum(1 for c in by_url.values() if c > 1),
        "documents_version_gt_1": sum(1 for d in docs if int(d.get("_version", 1)) > 1),
    }


def memory_cpu_figures(sampler: Sampler, start: float, end: float, interval: float) -> dict[str, Any]:
    s = [x for x in sampler.samples if x.t <= end]  # not while stopping
    if not s:
        return {}
    first = [x.rss_mb for x in s if x.t - start <= interval]
    later = [x.rss_mb for x in s if x.t - start > interval]
    last_pid = s[-1].job_pid
    last_run = [x for x in s if x.job_pid == last_pid]
    run_start = last_run[0].t
    steady = [(x.t, x.rss_mb) for x in last_run if x.t - run_start > interval]
    if not steady or steady[-1][0] - steady[0][0] < 2 * interval:
        steady = []  # too short to call a trend
    by_cycle: dict[int, float] = {}
    for x in s:
        k = int((x.t - start) // interval)
        by_cycle[k] = max(by_cycle.get(k, 0.0), x.rss_mb)
    job_mean, job_max = cores(s, "job_ticks")
    srv_mean, srv_max = cores(s, "server_ticks")
    eng_mean, eng_max = cores(s, "engine_ticks")
    slope = slope_per_hour(steady)
    return {
        "rss_mb": {
            "peak": round(max(x.rss_mb for x in s)),
            "peak_first_cycle": round(max(first, default=0)),
            "peak_after_first_cycle": round(max(later, default=0)),
            "final": round(s[-1].rss_mb),
            "slope_mb_per_hour_after_first_cycle": None if slope is None else round(slope, 1),
            "max_by_cycle": [round(by_cycle[k]) for k in sorted(by_cycle)],
            "peak_by_process": {k: round(v) for k, v in sampler.peak_by_process.items()},
        },
        "cpu_cores": {
            "job_mean": round(job_mean, 2),
            "job_max": round(job_max, 2),
            "server_mean": round(srv_mean, 3),
            "server_max": round(srv_max, 2),
            "engine_mean": round(eng_mean, 2) if sampler.engine_pid else None,
            "engine_max": round(eng_max, 2) if sampler.engine_pid else None,
        },
        "samples": len(s),
    }


# ------------------------------------------------------------------ report
def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def print_table(fig: dict[str, Any], out: Any = sys.stdout) -> None:
    for section, values in fig.items():
        if not isinstance(values, dict):
            print(f"{section:<36} {_fmt(values)}", file=out)
            continue
        print(f"\n== {section}", file=out)
        for k, v in values.items():
            if isinstance(v, list) and v and isinstance(v[0], (list, tuple)):
                print(f"  {k}:", file=out)
                for row in v:
                    print(f"    {_fmt(list(row))}", file=out)
            else:
                print(f"  {k:<34} {_fmt(v)}", file=out)


def git_version() -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *a], capture_output=True, text=True, check=False).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("log", "-1", "--oneline") + (" + uncommitted changes" if dirty else "")


# ------------------------------------------------------------------ run
class CodeJob(Job):
    """A :class:`Job` that runs newsmon from ``code`` (a snapshot of one commit) instead of the work tree."""

    def __init__(self, code: Path | None, *args: Any) -> None:
        super().__init__(*args)
        self.code = code

    def start(self, search_url: str | None = None) -> None:
        if self.code is None:
            super().start(search_url)
            return
        env = {
            **os.environ,
            "ELASTICSEARCH_URL": search_url or self.search_url,
            "PYTHONPATH": str(self.code),
            "NEWSMON_PRISM_LOCATION": self.prism,
            "NEWSMON_DEADLETTER_PATH": str(self.deadletter),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipeline.app.cli",
                "run",
                "--config",
                str(self.config),
                "--index",
                self.index,
                "--metrics-port",
                str(self.metrics_port),
                "--tick",
                "1",
                *self.extra,
            ],
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            cwd=self.code,
        )


def snapshot(rev: str, into: Path) -> tuple[Path, str]:
    """``git archive`` of ``rev`` extracted into ``into``; returns it and the commit's one-line summary."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    line = subprocess.run(
        ["git", "-C", str(REPO), "log", "-1", "--oneline", rev], capture_output=True, text=True, check=True
    ).stdout.strip()
    return into, line


@dataclass
class Run:
    """One soak run's live parts and timestamps (unix seconds)."""

    args: argparse.Namespace
    workdir: Path
    workload: Workload
    server: subprocess.Popen[bytes]
    server_url: str
    job: CodeJob
    version: str = ""
    started: float = 0.0
    stopped_for_restart: float | None = None
    restarted: float | None = None
    ended: float = 0.0
    died: dict[str, Any] | None = None
    metrics_runs: list[dict[str, float]] = field(default_factory=list)
    stop_seconds: list[float] = field(default_factory=list)
    alerts_before_restart: dict[str, dict[str, Any]] = field(default_factory=dict)


def start_server(args: argparse.Namespace, workdir: Path, w: Workload) -> tuple[subprocess.Popen[bytes], list[Any]]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.workload",
        "serve",
        "--feeds",
        str(w.feeds),
        "--items",
        str(w.items),
        "--churn",
        repr(w.churn_per_hour),
        "--seed",
        str(w.seed),
        "--t0",
        repr(w.t0),
        "--run-id",
        w.run_id,
        "--ttl",
        str(w.ttl_minutes),
        "--hosts",
        str(args.hosts),
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=(workdir / "server.log").open("ab"))
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"workload server did not start: {(workdir / 'server.log').read_text()[-2000:]}")
    return proc, json.loads(line)["addresses"]


def _timestamp(value: Any) -> float | None:
    """Unix seconds from an engine date (ISO text or epoch milliseconds)."""
    if isinstance(value, (int, float)):
        return float(value) / 1000
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as resp:
        return json.loads(resp.read())


def _sleep_until(run: Run, t: float) -> bool:
    """Sleep until ``t``; False when the job died first."""
    while time.time() < t:
        if not run.job.alive():
            proc = run.job.proc
            run.died = {"at_s": round(time.time() - run.started, 1), "returncode": proc.returncode if proc else None}
            return False
        with contextlib.suppress(OSError):
            run.metrics_runs[-1] = scrape(run.job.metrics_port)
        time.sleep(min(15.0, max(0.0, t - time.time())))
    return True


def soak(run: Run) -> None:
    args, job = run.args, run.job
    run.metrics_runs.append({})
    run.started = time.time()
    job.start()
    end = run.started + args.duration
    if args.restart_at and args.restart_at < args.duration and _sleep_until(run, run.started + args.restart_at):
        run.alerts_before_restart = alert_docs(job, run.workload.run_id)
        run.stopped_for_restart = time.time()
        job.stop()
        run.stop_seconds.append(time.time() - run.stopped_for_restart)
        run.metrics_runs.append({})
        run.restarted = time.time()
        job.start()
    if run.died is None and _sleep_until(run, end):
        with contextlib.suppress(OSError):
            run.metrics_runs[-1] = scrape(job.metrics_port)
        run.ended = time.time()
        t = time.time()
        job.stop()
        run.stop_seconds.append(time.time() - t)
    else:
        run.ended = time.time()


def figures(run: Run, sampler: Sampler) -> dict[str, Any]:
    args, w = run.args, run.workload
    stats = _get_json(f"{run.server_url}/_stats")
    rows = _get_json(f"{run.server_url}/_log")["rows"]
    (run.workdir / "requests.json").write_text(
        json.dumps(
            {  # raw material for questions the table leaves open
                "started": run.started,
                "stopped_for_restart": run.stopped_for_restart,
                "restarted": run.restarted,
                "ended": run.ended,
                "workload": vars(w),
                "samples": [vars(x) for x in sampler.samples],
                "columns": ["t", "feed", "status", "flags"],
                "rows": rows,
            }
        )
    )
    restart = (run.stopped_for_restart, run.restarted) if run.restarted and run.stopped_for_restart else None
    docs = indexed_documents(run.job)
    truth = ground_truth(w, run.started, run.ended)
    fig: dict[str, Any] = {
        "newsmon": run.version,
        "workload": {
            "feeds": w.feeds,
            "items": w.items,
            "churn_per_hour": w.churn_per_hour,
            "seed": w.seed,
            "hosts": args.hosts,
            "ttl_min": w.ttl_minutes,
            "interval_s": args.interval,
            "duration_s": round(run.ended - run.started),
            "restart_at_s": args.restart_at,
            "job_args": args.job_arg or [],
            "run_id": w.run_id,
            "t0": w.t0,
            "job_started": run.started,
        },
        "job_died": run.died,
        "polls": poll_figures(
            rows, w.feeds, run.started, run.ended, Schedule(args.interval, args.quiet_polls, args.max_stretch), restart
        ),
        "recall_freshness": recall_figures(truth, docs, run.started, run.ended, args.interval),
        "memory_cpu": memory_cpu_figures(sampler, run.started, run.ended, args.interval),
        "server": {**stats, "cpu_s": round(cpu_ticks(run.server.pid, tree=False) / CLK_TCK, 1)},
    }
    if restart:
        alerts = alert_docs(run.job, w.run_id)
        before = run.alerts_before_restart
        new = {k: v for k, v in alerts.items() if k not in before}
        rf = restart_figures(rows, w.feeds, restart[1], run.ended)
        rf.update(
            {
                "restart_at_s": round(restart[0] - run.started, 1),
                "down_s": round(restart[1] - restart[0], 1),
                "stop_took_s": round(run.stop_seconds[0], 1) if run.stop_seconds else None,
                "alerts_before_restart": len(before),
                "alerts_new_after_restart": len(new),
                "alerts_new_for_windows_before_restart": sum(
                    1 for v in new.values() if (_timestamp(v.get("window_end")) or 0) <= restart[0]
                ),
                "alerts_rewritten": sum(
                    1 for k, v in alerts.items() if k in before and v["_version"] > before[k]["_version"]
                ),
            }
        )
        fig["restart"] = rf
    for i, m in enumerate(run.metrics_runs):
        fig[f"job_metrics_run{i + 1}"] = {
            k.removeprefix("newsmon_"): v
            for k, v in m.items()
            if k.startswith(
                (
                    "newsmon_feed_polls_total",
                    "newsmon_documents_indexed_total",
                    "newsmon_index_errors_total",
                    "newsmon_deadletter_records_total",
                    "newsmon_entry_failures_total",
                    "newsmon_articles_classified_total",
                    "newsmon_entries_parsed_total",
                    "newsmon_articles_deduplicated_total",
                )
            )
        }
    fig["log"] = {**log_summary(run.job.log), "path": str(run.job.log)}
    return fig


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=30, help="items per feed")
    parser.add_argument("--churn", type=float, default=2.0, help="new items per feed per hour")
    parser.add_argument("--interval", type=float, default=300.0, help="poll interval in feeds.yaml, seconds")
    parser.add_argument("--duration", type=float, default=3600.0, help="seconds the job runs")
    parser.add_argument("--restart-at", type=float, default=None, help="SIGTERM and restart the job at this second")
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses the feeds are spread over")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--ttl",
        type=int,
        default=None,
        help="RSS <ttl> minutes (default: 5, or less when the interval is shorter, so the server's "
        "hint never overrides the schedule under test; 0: none)",
    )
    parser.add_argument(
        "--quiet-polls",
        type=int,
        default=getattr(newsmon_schedule, "QUIET_POLLS", 12),
        help="newsmon's adaptive-interval rule: unchanged polls before the interval stretches",
    )
    parser.add_argument(
        "--max-stretch",
        type=float,
        default=getattr(newsmon_schedule, "DEFAULT_MAX_STRETCH", 1.0),
        help="newsmon's adaptive-interval rule: the most the interval stretches",
    )
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between RSS/CPU samples")
    parser.add_argument("--job-arg", action="append", default=[], help="extra argument for `newsmon run` (repeat)")
    parser.add_argument("--workdir", type=Path, default=None, help="default .var/bench-soak/<time>")
    parser.add_argument("--json-out", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--keep-index", action="store_true", help="do not delete the job's index at the end")
    parser.add_argument(
        "--code-rev",
        default=None,
        help="run newsmon as committed at this revision (a git archive in the workdir) "
        "instead of the work tree, which others may be editing",
    )
    args = parser.parse_args(argv)
    workdir = (args.workdir or REPO / ".var" / "bench-soak" / time.strftime("%Y%m%dT%H%M%S")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    ttl = args.ttl if args.ttl is not None else min(5, int(args.interval // 60))
    w = Workload(
        feeds=args.feeds,
        items=args.items,
        churn_per_hour=args.churn,
        seed=args.seed,
        t0=time.time(),
        run_id="sk" + secrets.token_hex(3),
        ttl_minutes=ttl,
    )
    server, addresses = start_server(args, workdir, w)
    server_url = f"http://{addresses[0][0]}:{addresses[0][1]}"
    config = workdir / "feeds.yaml"
    config.write_text(
        f"defaults: {{interval: {args.interval:g}s}}\nfeeds:\n"
        + "".join(
            f"  - {{url: '{url}', name: {json.dumps(w.spec(i).name)}}}\n"
            for i, url in enumerate(feed_urls(w, addresses))
        )
    )
    code, version = snapshot(args.code_rev, workdir / "code") if args.code_rev else (None, git_version())
    job = CodeJob(
        code, workdir, config, os.environ["ELASTICSEARCH_URL"], os.environ["NEWSMON_PRISM_LOCATION"], *args.job_arg
    )
    engine_pid_file = REPO / ".var" / "run" / "opensearch.pid"
    engine_pid = int(engine_pid_file.read_text().split()[0]) if engine_pid_file.exists() else None
    run = Run(args, workdir, w, server, server_url, job, version=version + (" (snapshot)" if code else " (work tree)"))
    sampler = Sampler(job, server.pid, engine_pid, args.sample)
    print(
        f"soak: {w.feeds} feeds x {w.items} items, churn {w.churn_per_hour:g}/h, interval {args.interval:g}s, "
        f"{args.duration:g}s; newsmon {run.version}; workdir {workdir}",
        flush=True,
    )
    try:
        sampler.start()
        soak(run)
        sampler.stop()
        fig = figures(run, sampler)
    finally:
        sampler.stop()
        if not args.keep_index:
            job.close()
            with contextlib.suppress(SearchError):  # the job's feed-state index (newer newsmon), not in Job.close
                job.client.request("DELETE", f"/news-feeds-{job.index}")
        elif job.proc is not None and job.proc.poll() is None:
            job.proc.kill()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    print_table(fig)
    line = json.dumps(fig, default=str)
    (workdir / "figures.json").write_text(line + "\n")
    if args.json_out:
        args.json_out.write_text(line + "\n")
    print(line)
    return 0 if run.died is None else 1


if __name__ == "__main__":
    raise SystemExit(main())
