"""Every metric newsmon exports, defined once.

Names follow Prometheus conventions (``newsmon_`` prefix, ``_total`` counters,
seconds). Labels are bounded sets: never a URL or an article id. Every counter
increment is also a Beam counter (namespace ``newsmon``) so runners such as
Dataflow and Flink show them too, and ``newsmon backfill`` reads its summary
from them: the Beam counter's name is derived from the Prometheus name and
labels here (:func:`beam_name`), and the DoFns count each event once through
:class:`pipeline.transforms.telemetry.Telemetry`, which feeds both.

Use :func:`get` (or a ``Telemetry``) in ``DoFn.setup`` (metric objects hold locks and must not be
pickled); tests build their own :class:`Metrics` on a fresh ``CollectorRegistry``.

**Workers in other processes.** On Prism the DoFns run in the ``newsmon run``
process, which serves its own registry. Where a runner starts SDK workers as
processes of their own (Flink's PROCESS environment), each worker is started
with ``PROMETHEUS_MULTIPROC_DIR`` set: prometheus_client then keeps every
value in a file of that directory, and whoever serves ``/metrics`` for those
workers (``newsmon run`` on the same host, or ``newsmon export-metrics`` beside
a TaskManager) serves the sum over the directory (:func:`exporter_registry`)
under the same names, so rules and dashboards work unchanged.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.multiprocess import MultiProcessCollector

from pipeline import __version__
from pipeline.core.topics import TOPICS, UNTAGGED

PREFIX: Final = "newsmon_"
POLL_OUTCOMES: Final = (
    "ok",
    "unchanged",
    "not_modified",
    "http_error",
    "rate_limited",
    "timeout",
    "connection_error",
    "too_large",
    "parse_error",
    "not_a_feed",
    "gone",
    "refused",
)

FEED_POLLS: Final = "newsmon_feed_polls_total"
FETCH_DURATION: Final = "newsmon_feed_fetch_duration_seconds"
LAST_SUCCESSFUL_POLL: Final = "newsmon_feed_last_success_timestamp_seconds"
ENTRIES_PARSED: Final = "newsmon_entries_parsed_total"
FEEDS_PARSED: Final = "newsmon_feed_documents_parsed_total"
FEEDS_UNREAD: Final = "newsmon_feed_documents_unread_total"
ENTRY_FAILURES: Final = "newsmon_entry_failures_total"
ARTICLES_DUPLICATE: Final = "newsmon_articles_deduplicated_total"
ARTICLES_CLASSIFIED: Final = "newsmon_articles_classified_total"
RELEVANT_ARTICLES: Final = "newsmon_relevant_articles_total"
DOCUMENTS_INDEXED: Final = "newsmon_documents_indexed_total"
INDEX_ERRORS: Final = "newsmon_index_errors_total"
DEADLETTERS: Final = "newsmon_deadletter_records_total"
INDEX_DURATION: Final = "newsmon_index_request_duration_seconds"
E2E_LATENCY: Final = "newsmon_end_to_end_latency_seconds"
SPIKE_RATIO: Final = "newsmon_topic_spike_ratio"
SPIKE_STORIES: Final = "newsmon_topic_window_stories"
STORY_ASSIGNMENTS: Final = "newsmon_story_assignments_total"
STORY_OUTCOMES: Final = ("founded", "joined", "ungrouped")
BUILD_INFO: Final = "newsmon_build"  # exported as newsmon_build_info
MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable
log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)


class Metrics:
    """The metric objects, registered on one registry."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        def name(full: str) -> str:
            return full.removesuffix("_total")  # prometheus_client appends _total to counters

        self.registry = registry
        self.feed_polls = Counter(name(FEED_POLLS), "Feed polls by outcome.", ["outcome"], registry=registry)
        self.fetch_duration = Histogram(
            FETCH_DURATION,
            "Time to fetch one feed (seconds).",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60),
            registry=registry,
        )
        self.last_success = Gauge(
            LAST_SUCCESSFUL_POLL,
            "Unix time of the last successful poll, by feed group.",
            ["feed_group"],
            registry=registry,
            multiprocess_mode="max",
        )
        self.entries_parsed = Counter(name(ENTRIES_PARSED), "Feed entries parsed.", registry=registry)
        self.feeds_parsed = Counter(
            name(FEEDS_PARSED),
            "Feed documents parsed, by parser (fast, feedparser) and "
            "why the fast path declined (none when it did not).",
            ["parser", "fallback"],
            registry=registry,
        )
        self.feeds_unread = Counter(
            name(FEEDS_UNREAD),
            "Feed documents a backfill could not read (a file) or fetch (a URL), by reason.",
            ["reason"],
            registry=registry,
        )
        self.entry_failures = Counter(
            name(ENTRY_FAILURES), "Feed entries or documents rejected, by reason.", ["reason"], registry=registry
        )
        self.duplicates = Counter(name(ARTICLES_DUPLICATE), "Articles dropped as already seen.", registry=registry)
        self.classified = Counter(
            name(ARTICLES_CLASSIFIED), "Articles classified, by relevance.", ["relevant"], registry=registry
        )
        self.relevant = Counter(
            name(RELEVANT_ARTICLES), "Relevant articles by topic ('none' when untagged).", ["topic"], registry=registry
        )
        self.indexed = Counter(
            name(DOCUMENTS_INDEXED), "Documents written to the search engine, by result.", ["result"], registry=registry
        )
        self.index_errors = Counter(name(INDEX_ERRORS), "Indexing failures, by reason.", ["reason"], registry=registry)
        self.deadletters = Counter(
            name(DEADLETTERS), "Records written to the dead-letter, by stage.", ["stage"], registry=registry
        )
        self.index_duration = Histogram(
            INDEX_DURATION,
            "Duration of one bulk request (seconds).",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.e2e_latency = Histogram(
            E2E_LATENCY,
            "Seconds from first seen (or published) to indexed.",
            ["since"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.spike_ratio = Gauge(
            SPIKE_RATIO,
            "Current topic volume over its baseline.",
            ["topic"],
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.spike_stories = Gauge(
            SPIKE_STORIES,
            "Distinct stories among a topic's articles in its last judged window.",
            ["topic"],
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.stories = Counter(
            name(STORY_ASSIGNMENTS),
            "Articles put in a story, by outcome (founded a story, joined one, ungrouped: too little text).",
            ["outcome"],
            registry=registry,
        )
        self.build = _build_info(registry)
        # Every topic's series exists from start-up at 0: increase() needs a first sample to count the
        # first article, and a dashboard shows quiet topics as 0 rather than "no data".
        for topic in (*TOPICS, UNTAGGED):
            self.relevant.labels(topic=topic)
            self.spike_ratio.labels(topic=topic)
            self.spike_stories.labels(topic=topic)
        for outcome in STORY_OUTCOMES:
            self.stories.labels(outcome=outcome)


def _build_info(registry: CollectorRegistry) -> Info:
    info = Info(BUILD_INFO, "newsmon build information.", registry=registry)
    info.info({"version": __version__})
    return info


def multiprocess_dir(environ: Mapping[str, str] = os.environ) -> str | None:
    """The directory worker processes write their metrics to, when there is one."""
    return environ.get(MULTIPROC_ENV) or None


def ensure_multiprocess_dir(prefix: str = "newsmon-metrics-") -> str:
    """The folder the worker processes this process starts write their metrics to: ``$PROMETHEUS_MULTIPROC_DIR``
    when set, else a fresh temporary folder, set in the environment (workers inherit it, or are handed it)
    and removed when this process exits."""
    path = multiprocess_dir()
    if path is None:
        import atexit
        import shutil
        import tempfile

        path = os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix=prefix)
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def exporter_registry(environ: Mapping[str, str] = os.environ) -> CollectorRegistry:
    """What ``/metrics`` serves: this process's registry, or the sum over the multiprocess directory.

    In that directory each process (this one too, once it counts anything) has
    its own files: counters and histograms add up, the last-success gauge takes
    the largest value, the spike ratio the most recent. Info does not work
    across processes, so build info is this process's."""
    path = multiprocess_dir(environ)
    if path is None:
        get()
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    _build_info(registry)
    return registry


def clear_multiprocess_dir(environ: Mapping[str, str] = os.environ) -> int:
    """Remove the value files a previous run left (start of a run: counters begin again at 0, which
    Prometheus reads as a reset). Returns how many were removed."""
    path = multiprocess_dir(environ)
    if path is None:
        return 0
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    stale = list(folder.glob("*.db"))
    for file in stale:
        file.unlink(missing_ok=True)
    if stale:
        log.info("removed %d metric file(s) of an earlier run from %s", len(stale), path)
    return len(stale)


_SAMPLE_SUFFIXES = {"counter": ("_total",), "info": ("_info",), "histogram": ("", "_bucket", "_sum", "_count")}


def exported_names() -> set[str]:
    """Every sample name the exporter can produce (for checking rules and dashboards against it)."""
    registry = CollectorRegistry()
    Metrics(registry)
    names: set[str] = set()
    for family in registry.collect():
        names.update(family.name + suffix for suffix in _SAMPLE_SUFFIXES.get(family.type, ("",)))
    return names


def beam_name(metric: str, **labels: str) -> str:
    """The Beam counter of one Prometheus series: ``newsmon_documents_indexed_total{result=created}``
    (labels sorted; the bare name when there are none). One definition: the name in this module."""
    if not labels:
        return metric
    return metric + "{" + ",".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}"


def parse_beam_name(name: str) -> tuple[str, dict[str, str]]:
    """The metric and labels of a :func:`beam_name` (the inverse)."""
    metric, brace, rest = name.partition("{")
    if not brace:
        return name, {}
    pairs = (item.partition("=") for item in rest.removesuffix("}").split(",") if item)
    return metric, {k: v for k, _, v in pairs}


def beam_total(counters: Mapping[str, int], metric: str, **labels: str) -> int:
    """Sum of the Beam counters of ``metric`` whose labels include ``labels`` (a job's
    ``{beam name: value}``, as :func:`pipeline.transforms.beam_metrics.counters` reads them)."""
    total = 0
    for name, value in counters.items():
        found, have = parse_beam_name(name)
        if found == metric and all(have.get(k) == v for k, v in labels.items()):
            total += value
    return total


def beam_by_label(counters: Mapping[str, int], metric: str, label: str) -> dict[str, int]:
    """The Beam counters of ``metric`` summed by the value of ``label``."""
    out: dict[str, int] = {}
    for name, value in counters.items():
        found, have = parse_beam_name(name)
        if found == metric and label in have:
            out[have[label]] = out.get(have[label], 0) + value
    return out


_default: Metrics | None = None
_lock = threading.Lock()


def get() -> Metrics:
    """The process-wide metrics on the default registry (created on first use)."""
    global _default  # noqa: PLW0603 - one registry per process is the point
    with _lock:
        if _default is None:
            _default = Metrics(REGISTRY)
        return _default
