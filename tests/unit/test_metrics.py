from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from pipeline.telemetry import metrics


def test_every_metric_is_prefixed_and_named_once() -> None:
    registry = CollectorRegistry()
    m = metrics.Metrics(registry)
    m.feed_polls.labels(outcome="ok").inc()
    m.relevant.labels(topic="trade").inc(2)
    assert registry.get_sample_value("newsmon_feed_polls_total", {"outcome": "ok"}) == 1
    assert registry.get_sample_value("newsmon_relevant_articles_total", {"topic": "trade"}) == 2
    text = generate_latest(registry).decode()
    names = set(re.findall(r"^# TYPE (\S+)", text, re.M))
    assert names and all(n.startswith("newsmon_") for n in names)
    constants = [
        v
        for k, v in vars(metrics).items()
        if k.isupper() and isinstance(v, str) and v.startswith("newsmon_") and v != metrics.PREFIX
    ]
    assert len(constants) == len(set(constants))
    for const in constants:
        base = const.removesuffix("_total")
        assert any(n in (base, const) or n == f"{base}_info" for n in names), const


def test_counters_end_in_total_and_durations_in_seconds() -> None:
    text = generate_latest(metrics.Metrics(CollectorRegistry()).registry).decode()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)", text, re.M):
        if kind == "counter":
            assert name.endswith("_total") or f"{name}_total" in text
        if kind == "histogram":
            assert name.endswith("_seconds")


def test_a_run_starts_with_an_empty_multiprocess_directory(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old")
    (folder / "keep.txt").write_text("not ours")
    assert metrics.clear_multiprocess_dir({metrics.MULTIPROC_ENV: str(folder)}) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    assert metrics.clear_multiprocess_dir({}) == 0  # single process: nothing to clear


def test_export_metrics_without_a_directory_says_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipeline.app import cli

    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    assert cli.main(["export-metrics"]) == 2
    assert "PROMETHEUS_MULTIPROC_DIR" in capsys.readouterr().err


def test_beam_counter_names_are_derived_from_the_prometheus_series() -> None:
    name = metrics.beam_name(metrics.DOCUMENTS_INDEXED, result="created")
    assert name == "newsmon_documents_indexed_total{result=created}"
    assert metrics.beam_name(metrics.ENTRIES_PARSED) == metrics.ENTRIES_PARSED
    two = metrics.beam_name(metrics.FEEDS_PARSED, parser="fast", fallback="none")
    assert two == metrics.beam_name(metrics.FEEDS_PARSED, fallback="none", parser="fast")  # label order
    for each in (name, two, metrics.ENTRIES_PARSED):
        metric, labels = metrics.parse_beam_name(each)
        assert metrics.beam_name(metric, **labels) == each
    counts = {
        name: 3,
        metrics.beam_name(metrics.DOCUMENTS_INDEXED, result="exists"): 2,
        two: 5,
        metrics.beam_name(metrics.FEEDS_PARSED, parser="none", fallback="error"): 1,
    }
    assert metrics.beam_total(counts, metrics.DOCUMENTS_INDEXED) == 5
    assert metrics.beam_total(counts, metrics.DOCUMENTS_INDEXED, result="exists") == 2
    assert metrics.beam_by_label(counts, metrics.FEEDS_PARSED, "parser") == {"fast": 5, "none": 1}
    assert metrics.beam_total(counts, metrics.ENTRY_FAILURES) == 0


def test_one_telemetry_call_counts_in_prometheus_and_in_beam() -> None:
    from apache_beam.metrics.execution import MetricsContainer
    from apache_beam.metrics.metricbase import MetricName
    from apache_beam.runners.worker import statesampler
    from apache_beam.utils import counters

    from pipeline.core.model import Feed
    from pipeline.transforms.telemetry import Telemetry

    registry = CollectorRegistry()
    telemetry = Telemetry(metrics.Metrics(registry))
    container = MetricsContainer("step")
    sampler = statesampler.StateSampler("", counters.CounterFactory())  # what a Beam worker runs a step in
    statesampler.set_current_tracker(sampler)
    sampler.start()
    try:
        with sampler.scoped_state("step", "process", metrics_container=container):
            telemetry.polled(Feed(url="https://a.example/rss", name="A", tags=("wire",)), "ok")
            telemetry.polled(Feed(url="https://a.example/rss", name="A"), "timeout")
            telemetry.deduplicated(4)
            telemetry.classified(True, 2)
            telemetry.relevant(("trade", "energy"))
            telemetry.relevant(())
            telemetry.indexed(created=3, existing=1, seconds=0.2)
            telemetry.rejected("no_link", 2)
    finally:
        sampler.stop()
        statesampler.set_current_tracker(None)

    def beam(metric: str, **labels: str) -> int:
        cell = container.get_counter(MetricName("newsmon", metrics.beam_name(metric, **labels)))
        return int(cell.get_cumulative())

    for metric, labels, n in [
        (metrics.FEED_POLLS, {"outcome": "ok"}, 1),
        (metrics.FEED_POLLS, {"outcome": "timeout"}, 1),
        (metrics.ARTICLES_DUPLICATE, {}, 4),
        (metrics.ARTICLES_CLASSIFIED, {"relevant": "true"}, 2),
        (metrics.RELEVANT_ARTICLES, {"topic": "trade"}, 1),
        (metrics.RELEVANT_ARTICLES, {"topic": "none"}, 1),
        (metrics.DOCUMENTS_INDEXED, {"result": "created"}, 3),
        (metrics.DOCUMENTS_INDEXED, {"result": "exists"}, 1),
        (metrics.ENTRY_FAILURES, {"reason": "no_link"}, 2),
    ]:
        assert registry.get_sample_value(metric, labels) == n, (metric, labels)
        assert beam(metric, **labels) == n, (metric, labels)
    assert (registry.get_sample_value(metrics.LAST_SUCCESSFUL_POLL, {"feed_group": "wire"}) or 0) > 0
    assert registry.get_sample_value(metrics.LAST_SUCCESSFUL_POLL, {"feed_group": "default"}) is None  # timeout
    assert registry.get_sample_value(f"{metrics.INDEX_DURATION}_count") == 1


def test_worker_processes_count_through_telemetry_into_the_multiprocess_directory(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    folder = tmp_path / "metrics"
    folder.mkdir()
    code = (
        "from pipeline.core.model import Feed\n"
        "from pipeline.transforms.telemetry import process_telemetry\n"
        "t = process_telemetry()\n"
        "t.polled(Feed(url='https://a.example/rss', name='A'), 'ok')\n"
        "t.indexed(created=2, existing=0, seconds=0.1)\n"
    )
    env = {**os.environ, metrics.MULTIPROC_ENV: str(folder)}
    for _ in range(2):  # two worker processes
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    served = metrics.exporter_registry({metrics.MULTIPROC_ENV: str(folder)})
    assert served.get_sample_value(metrics.FEED_POLLS, {"outcome": "ok"}) == 2
    assert served.get_sample_value(metrics.DOCUMENTS_INDEXED, {"result": "created"}) == 4
