"""The whole alert chain with real services: feed burst → `newsmon run` → Prometheus → Alertmanager → webhook.

The job polls the demo feeds on Prism and indexes into OpenSearch; a real
Prometheus scrapes its /metrics and evaluates the shipped rules with every
duration divided by 100 (15-minute windows → 9 s, one hour of history → 36 s);
a real Alertmanager with the shipped routes delivers to a webhook in the test.
Steady feeds raise nothing; a burst of trade stories raises NewsmonTopicSpike.
"""

from __future__ import annotations

import shutil
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.devtools.feedserver import FeedServer
from tests.support.alerting import (
    DURATION_SCALE,
    RULE_FILES,
    Services,
    WebhookSink,
    binary,
    get_json,
    run,
    scale_rules,
    start_alertmanager,
    wait_for,
)
from tests.support.job import REPO, Job, append_item
from tests.support.net import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.integration]


def test_a_trade_burst_reaches_the_webhook_and_steady_feeds_stay_quiet(
    tmp_path: Path, services: Services, sink: WebhookSink, search_url: str, prism_location: str
) -> None:
    root = tmp_path / "feeds"
    shutil.copytree(REPO / "deploy" / "local" / "demo-feeds", root)
    server = FeedServer(root)
    server.start_background()
    config = tmp_path / "feeds.yaml"
    config.write_text(f"defaults: {{interval: 1s}}\nfeeds:\n  - {{url: '{server.url}/business.xml', name: Biz}}\n")
    job = Job(tmp_path, config, search_url, prism_location)
    try:
        am = start_alertmanager(services, sink)
        rule_files = []
        for path in RULE_FILES:
            out = tmp_path / path.name
            doc = scale_rules(path, DURATION_SCALE)
            for rule in (r for group in doc["groups"] for r in group["rules"]):
                # absent(up) is true until this Prometheus's first scrape, which a loaded machine can delay
                # past a scaled `for` of a few seconds: it measures the test's Prometheus, not the job.
                if rule.get("alert") == "NewsmonTargetMissing":
                    rule["for"] = "60s"
            out.write_text(yaml.safe_dump(doc, sort_keys=False))
            rule_files.append(str(out))
        prom_config = tmp_path / "prometheus.yml"
        prom_config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "rule_files": rule_files,
                    "alerting": {"alertmanagers": [{"static_configs": [{"targets": [am.removeprefix("http://")]}]}]},
                    "scrape_configs": [
                        {"job_name": "newsmon", "static_configs": [{"targets": [f"127.0.0.1:{job.metrics_port}"]}]}
                    ],
                }
            )
        )
        check = run(binary("promtool"), "check", "config", str(prom_config))
        assert check.returncode == 0, check.stdout + check.stderr
        prom_port = free_port()
        services.start(
            "prometheus",
            binary("prometheus"),
            f"--config.file={prom_config}",
            f"--storage.tsdb.path={tmp_path / 'prom-data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        )

        def query(expr: str) -> list[dict[str, Any]]:
            url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
            result: list[dict[str, Any]] = get_json(url)["data"]["result"]
            return result

        job.start()
        job.settled_count(minimum=3)
        wait: Callable[[str, Callable[[], Any]], Any] = lambda what, check: wait_for(  # noqa: E731
            what, check, [*services.logs, job.log]
        )
        # Steady: the feeds are unchanged, so the trade baseline forms (scaled: one hour = 36 s) and nothing fires.
        wait("a baseline for trade", lambda: query('topic:newsmon_relevant_articles:increase15m_avg1d{topic="trade"}'))
        assert query('ALERTS{alertname="NewsmonTopicSpike"}') == []
        assert sink.alerts_at("newsroom-slack") == []

        burst = [
            append_item(root / "business.xml", f"tariff cuts and a trade deal for farm goods, part {n}")
            for n in range(8)
        ]
        started = time.monotonic()
        delivered = wait("the spike at the newsroom webhook", lambda: sink.alerts_at("newsroom-slack"))
        took = time.monotonic() - started
        print(f"\nburst → webhook in {took:.1f}s (rules scaled by {DURATION_SCALE}: for: 5m → 3s)")
        alert = delivered[0]
        assert alert["status"] == "firing"
        assert alert["labels"] == {"alertname": "NewsmonTopicSpike", "severity": "warning", "topic": "trade"}
        assert alert["annotations"]["summary"].startswith("US–India news on trade is spiking")
        assert "newsmon-search-topic-trade" in alert["annotations"]["kibana_url"]
        assert job.count({"terms": {"url": burst}}) == len(burst)
        # Only trade spiked: no other topic reached the webhook, and nothing paged.
        assert {a["labels"]["topic"] for a in sink.alerts_at("newsroom-slack")} == {"trade"}
        assert sink.alerts_at("oncall-page") == []
        assert job.stop() == 0
    finally:
        job.close()
        server.shutdown()
        server.server_close()
