"""A real Prometheus scrapes newsmon's metrics endpoint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, start_http_server

from pipeline.telemetry import metrics
from tests.support.alerting import Services, start_prometheus
from tests.support.net import free_port

pytestmark = pytest.mark.integration


def query(base: str, expr: str) -> list[dict[str, Any]]:
    """The result vector of an instant query, parsed (JSON values: Any)."""
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as resp:
        data = json.load(resp)
    result: list[dict[str, Any]] = data["data"]["result"]
    return result


def test_prometheus_scrapes_pipeline_metrics(tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed: run deploy/local/install.sh"
    registry = CollectorRegistry()
    m = metrics.Metrics(registry)
    m.feed_polls.labels(outcome="ok").inc(3)
    m.relevant.labels(topic="defense").inc(2)
    exporter_port, prom_port = free_port(), free_port()
    server, _thread = start_http_server(exporter_port, addr="127.0.0.1", registry=registry)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"scrape_configs:\n  - job_name: newsmon\n    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
    )
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{prom_port}"
    try:
        deadline = time.monotonic() + 60
        result: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            try:
                result = query(base, 'newsmon_relevant_articles_total{topic="defense"}')
            except OSError:
                result = []
            if result:
                break
            time.sleep(0.5)
        assert result, "Prometheus never scraped newsmon_relevant_articles_total"
        assert result[0]["value"][1] == "2"
        assert query(base, 'newsmon_feed_polls_total{outcome="ok"}')[0]["value"][1] == "3"
        up = query(base, 'up{job="newsmon"}')
        assert up[0]["value"][1] == "1"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        server.shutdown()


WORKER = """
import sys
from pipeline.telemetry import metrics
m = metrics.get()
m.feed_polls.labels(outcome="ok").inc(int(sys.argv[1]))
m.relevant.labels(topic="trade").inc(int(sys.argv[1]))
m.spike_ratio.labels(topic="trade").set(float(sys.argv[1]))
"""


def _worker(folder: Path, n: int) -> None:
    """An SDK-worker-like process: counts with newsmon's metrics into the multiprocess directory, exits."""
    env = {**os.environ, metrics.MULTIPROC_ENV: str(folder)}
    subprocess.run([sys.executable, "-c", WORKER, str(n)], env=env, check=True, timeout=60)


def test_metrics_of_worker_processes_reach_prometheus_summed_under_the_same_names(tmp_path: Path) -> None:
    """Flink's PROCESS workers: each writes to PROMETHEUS_MULTIPROC_DIR; `newsmon export-metrics` serves the sum."""
    folder = tmp_path / "worker-metrics"
    folder.mkdir()
    _worker(folder, 2)
    _worker(folder, 5)  # a second worker (or a restarted one): its counts add up, none are lost
    exporter_port = free_port()
    exporter = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.app.cli",
            "export-metrics",
            "--dir",
            str(folder),
            "--addr",
            "127.0.0.1",
            "--port",
            str(exporter_port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    services = Services(tmp_path)
    base = start_prometheus(services, exporter_port, job="workers")
    try:
        deadline = time.monotonic() + 60
        result: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not result:
            try:
                result = query(base, 'newsmon_feed_polls_total{outcome="ok", job="workers"}')
            except OSError:
                result = []
            time.sleep(0.5)
        assert result, "Prometheus never scraped the workers' newsmon_feed_polls_total"
        assert result[0]["value"][1] == "7"
        assert query(base, 'newsmon_relevant_articles_total{topic="trade"}')[0]["value"][1] == "7"
        assert query(base, 'newsmon_topic_spike_ratio{topic="trade"}')[0]["value"][1] == "5"
        assert query(base, "newsmon_build_info")  # the exporter's own
    finally:
        services.stop()
        exporter.terminate()
        assert exporter.wait(timeout=30) == 0, exporter.stderr.read() if exporter.stderr else ""
