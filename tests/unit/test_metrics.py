from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from pipeline import metrics


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
    constants = [v for k, v in vars(metrics).items() if k.isupper() and isinstance(v, str)
                 and v.startswith("newsmon_") and v != metrics.PREFIX]
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


def test_export_metrics_without_a_directory_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline import cli

    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    assert cli.main(["export-metrics"]) == 2
    assert "PROMETHEUS_MULTIPROC_DIR" in capsys.readouterr().err
