"""The quickstart's live demo on the real stack, run by ``deploy/local/quickstart.sh`` itself.

The script runs with ``NEWSMON_QUICKSTART_SETUP=0`` (no install, no ``stack.sh
up``: the shared services are not touched) and the endpoints of services this
test starts: a real Prometheus loading the demo rules
(``deploy/local/prometheus-demo-rules.yml``) and a real Alertmanager with the
local stack's config (``deploy/local/alertmanager.yml``, its webhook pointed at
the test); the shared OpenSearch node with an index of the test's own; Prism.
The demo runs at time scale 0.5 (the burst 95 s after the first poll instead of
190 s); the Prometheus rules are scaled by the same factor, as every time of the
demo is. Seen: new stories indexed after the backlog, counters rising in
Prometheus, the job's spike document in ``news-alerts`` and the alert firing in
Alertmanager, for trade only; no false friend indexed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.core.errors import SearchError
from pipeline.demo.stories import load_bank
from tests.support.alerting import (
    Services,
    WebhookSink,
    am_alerts,
    binary,
    get_json,
    run,
    scale_rules,
    wait_for,
)
from tests.support.job import REPO, Job
from tests.support.net import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.integration]

TIME_SCALE = 0.5
QUICKSTART = REPO / "deploy" / "local" / "quickstart.sh"
DEMO_RULES = REPO / "deploy" / "local" / "prometheus-demo-rules.yml"
LOCAL_AM = REPO / "deploy" / "local" / "alertmanager.yml"
DEMO_HOST = "https://demo.newsmon.invalid/"


class QuickstartDemo(Job):
    """``bash deploy/local/quickstart.sh --index ...`` against the given services (the script execs
    ``newsmon demo``, so the process is the job and SIGTERM stops it)."""

    def start(self, search_url: str | None = None) -> None:
        env = {
            **os.environ,
            **self.env,
            "ELASTICSEARCH_URL": search_url or self.search_url,
            "NEWSMON_PRISM_LOCATION": self.prism,
            "NEWSMON_DEADLETTER_PATH": str(self.deadletter),
            "NEWSMON_METRICS_PORT": str(self.metrics_port),
        }
        self.proc = subprocess.Popen(
            ["bash", str(QUICKSTART), "--index", self.index],
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            cwd=REPO,
            start_new_session=True,
        )

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


def start_local_alertmanager(services: Services, sink: WebhookSink) -> str:
    """Alertmanager with deploy/local/alertmanager.yml, its one webhook pointed at ``sink``."""
    config: dict[str, Any] = yaml.safe_load(LOCAL_AM.read_text())
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = f"http://127.0.0.1:{sink.port}/{receiver['name']}"
    path = services.tmp / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port()
    services.start(
        "alertmanager",
        binary("prometheus-alertmanager", "alertmanager"),
        f"--config.file={path}",
        f"--storage.path={services.tmp / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    )
    base = f"http://127.0.0.1:{port}"
    wait_for("Alertmanager to be ready", lambda: get_json(f"{base}/api/v2/status"), services.logs)
    return base


def start_demo_prometheus(services: Services, am: str, metrics_port: int) -> str:
    rules = services.tmp / DEMO_RULES.name
    rules.write_text(yaml.safe_dump(scale_rules(DEMO_RULES, TIME_SCALE), sort_keys=False))
    config = services.tmp / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(rules)],
                "alerting": {"alertmanagers": [{"static_configs": [{"targets": [am.removeprefix("http://")]}]}]},
                "scrape_configs": [
                    {"job_name": "newsmon", "static_configs": [{"targets": [f"127.0.0.1:{metrics_port}"]}]}
                ],
            }
        )
    )
    check = run(binary("promtool"), "check", "config", str(config))
    assert check.returncode == 0, check.stdout + check.stderr
    port = free_port()
    services.start(
        "prometheus",
        binary("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={services.tmp / 'prom-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    )
    base = f"http://127.0.0.1:{port}"
    wait_for("Prometheus to be ready", lambda: get_json(f"{base}/api/v1/status/buildinfo"), services.logs)
    return base


def test_the_quickstart_demo_indexes_new_stories_and_alerts_on_its_burst(
    tmp_path: Path, services: Services, sink: WebhookSink, search_url: str, prism_location: str
) -> None:
    demo = QuickstartDemo(tmp_path, tmp_path / "unused.yaml", search_url, prism_location)
    am = start_local_alertmanager(services, sink)
    prometheus = start_demo_prometheus(services, am, demo.metrics_port)
    demo.env = {
        "NEWSMON_QUICKSTART_SETUP": "0",
        "NEWSMON_PROMETHEUS_URL": prometheus,
        "NEWSMON_ALERTMANAGER_URL": am,
        "DEMO_FEEDS_PORT": str(free_port()),
        "NEWSMON_DEMO_TIME_SCALE": str(TIME_SCALE),
        "NEWSMON_DEMO_FEEDS_DIR": str(tmp_path / "newsroom"),
    }
    bank = load_bank()

    def wait(what: str, check: Callable[[], Any]) -> Any:
        return demo.wait_for(check, 300, what)

    def query(expr: str) -> float | None:
        url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        result = get_json(url)["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    try:
        demo.start()
        backlog = sum(s.relevant for s in bank if s.phase == "backlog")
        wait("the backlog indexed", lambda: demo.count() >= backlog)
        wait("new stories indexed after the backlog", lambda: demo.count() > backlog)
        # Counters rising in Prometheus (scraped from the job's /metrics).
        created = 'sum(newsmon_documents_indexed_total{result="created"})'
        first = wait("the indexed counter in Prometheus", lambda: query(created))
        wait("the indexed counter rising in Prometheus", lambda: (query(created) or 0) > first)

        demo.client.request("POST", f"/{demo.index}-*/_refresh")
        hit = demo.client.request("POST", f"/{demo.index}-*/_search", {"size": 1})["hits"]["hits"][0]
        edition = hit["_source"]["url"].removeprefix(DEMO_HOST).split("/")[0]
        ours = f"{DEMO_HOST}{edition}/"

        def spike_documents() -> list[dict[str, Any]]:
            try:
                demo.client.request("POST", "/news-alerts/_refresh")
                hits = demo.client.request(
                    "POST", "/news-alerts/_search", {"size": 20, "query": {"prefix": {"examples.url": ours}}}
                )["hits"]["hits"]
            except SearchError:  # no alerts index yet
                return []
            return [h["_source"] for h in hits]

        [alert] = wait("the demo's spike document in news-alerts", spike_documents)
        assert alert["topic"] == "trade" and alert["count"] >= 5 and alert["ratio"] >= 3
        assert any(e["url"].startswith(f"{ours}burst-") for e in alert["examples"])

        def firing() -> list[dict[str, Any]]:
            return [
                a
                for a in am_alerts(am)
                if a["labels"].get("alertname") == "NewsmonDemoTopicSpike" and a["status"]["state"] == "active"
            ]

        [fired] = wait("NewsmonDemoTopicSpike firing in Alertmanager", firing)
        assert fired["labels"] == {
            "alertname": "NewsmonDemoTopicSpike",
            "severity": "warning",
            "settings": "demo",
            "topic": "trade",
        }
        assert fired["annotations"]["summary"].startswith("[demo settings] US–India news on trade is spiking")
        [delivered] = wait(
            "the alert at the local stack's webhook",
            lambda: [
                a for a in sink.alerts_at("newsmon-webhook") if a["labels"]["alertname"] == "NewsmonDemoTopicSpike"
            ][:1],
        )
        assert delivered["labels"]["topic"] == "trade"

        # Only the burst alerted, and the detector kept the false friends out.
        assert {a["labels"]["topic"] for a in am_alerts(am)} == {"trade"}
        assert {a["topic"] for a in spike_documents()} == {"trade"}
        irrelevant = [s.title for s in bank if not s.relevant]
        assert demo.count({"terms": {"title.keyword": irrelevant}}) == 0
        assert demo.stop() == 0
    finally:
        demo.close()
        print(demo.log.read_text()[-4000:] if demo.log.exists() else "")
