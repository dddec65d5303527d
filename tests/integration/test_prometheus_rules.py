"""newsmon's alert rules and Alertmanager config on the real tools.

promtool of the deployments' Prometheus release (3.x, built by
``deploy/local/install.sh promtool``; Prometheus 3 range selectors are
left-open, so 2.x computes other values) checks and unit-tests the rules,
amtool checks the Alertmanager config and its routes; the rules are checked
against the metric names of ``pipeline/telemetry/metrics.py`` and the topic set of
``pipeline/core/topics.py``. Finally a real Prometheus of the same release
evaluates the shipped rules (every duration divided by 100) on a live
exporter and a real Alertmanager routes and inhibits what it sends. Missing
binaries fail the tests: ``deploy/local/install.sh`` installs them.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry, start_http_server

from pipeline.core.topics import TOPICS, UNTAGGED
from pipeline.telemetry import metrics
from tests.support.alerting import (
    AM_CONFIG,
    DURATION_SCALE,
    RULE_FILES,
    RULES_DIR,
    Services,
    WebhookSink,
    am_alerts,
    binary,
    get_json,
    prometheus3,
    promtool,
    run,
    scale_rules,
    scaled,
    start_alertmanager,
    wait_for,
)
from tests.support.net import free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TEST_FILES = sorted((REPO / "deploy" / "prometheus" / "tests").glob("*.yml"))
KIBANA_PLACEHOLDER = "https://kibana.example.org"
SEVERITIES = {"page", "warning"}


def rule_groups() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for path in RULE_FILES:
        groups.extend(yaml.safe_load(path.read_text())["groups"])
    return groups


def rules() -> list[dict[str, Any]]:
    return [rule for group in rule_groups() for rule in group["rules"]]


def alerts() -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for r in rules() if "alert" in r}


def recorded_names() -> set[str]:
    return {r["record"] for r in rules() if "record" in r}


def test_rule_files_exist() -> None:
    assert [p.name for p in RULE_FILES] == ["newsmon-alerts.yml", "newsmon-recording.yml"]
    assert TEST_FILES, "no promtool test files in deploy/prometheus/tests/"


# --- promtool ---------------------------------------------------------------------------------------------------


def test_promtool_is_the_release_the_deployments_run() -> None:
    pinned = dict(re.findall(r"^([A-Z_]+)=(\S+)$", (REPO / "deploy" / "local" / "versions.env").read_text(), re.M))
    for name, path in (("promtool", promtool()), ("prometheus", prometheus3())):
        result = run(path, "--version")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"{name}, version {pinned['PROMETHEUS_VERSION']} "), result.stdout
    compose = yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())
    assert compose["services"]["prometheus"]["image"].endswith(f":v{pinned['PROMETHEUS_VERSION']}")


def test_promtool_check_rules_passes() -> None:
    result = run(promtool(), "check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr
    for path in RULE_FILES:
        count = sum(len(g["rules"]) for g in yaml.safe_load(path.read_text())["groups"])
        assert f"Checking {path}\n  SUCCESS: {count} rules found" in result.stdout


@pytest.mark.parametrize("test_file", TEST_FILES, ids=lambda p: p.name)
def test_promtool_unit_tests_pass(test_file: Path) -> None:
    result = run(promtool(), "test", "rules", str(test_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "FAILED" not in result.stdout


def test_every_alert_has_unit_tests_that_fire_it_and_keep_it_quiet() -> None:
    fired: set[str] = set()
    quiet: set[str] = set()
    for path in TEST_FILES:
        doc = yaml.safe_load(path.read_text())
        assert {str((path.parent / f).resolve()) for f in doc["rule_files"]} == {str(p) for p in RULE_FILES}
        for case in doc["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    assert set(alerts()) - fired == set(), "alerts no test makes fire"
    assert set(alerts()) - quiet == set(), "alerts no test shows quiet"


# --- the rules against pipeline/telemetry/metrics.py and pipeline/core/topics.py ---


def rule_texts() -> list[str]:
    """Every expression and annotation: runbooks and templates name metrics too."""
    out: list[str] = []
    for rule in rules():
        out.append(rule["expr"])
        out.extend(rule.get("annotations", {}).values())
    return out


def test_every_alert_has_severity_summary_description_and_runbook() -> None:
    for name, rule in alerts().items():
        assert rule["labels"]["severity"] in SEVERITIES, name
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), name
        assert "for" in rule, f"{name}: no `for:`, it would fire on one evaluation"
        assert name.startswith("Newsmon"), name


def test_every_metric_in_the_rules_is_defined_in_pipeline_metrics() -> None:
    defined = metrics.exported_names()
    recorded = recorded_names()
    used = {
        tok
        for text in rule_texts()
        for tok in re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", text)
        if tok.startswith(metrics.PREFIX)
    }
    assert used, "no newsmon_ metric found in the rules"
    unknown = {tok for tok in used - recorded if tok not in defined}
    assert unknown == set(), f"metrics not defined in pipeline/telemetry/metrics.py: {sorted(unknown)}"
    assert all(name.split(":")[1].startswith(metrics.PREFIX) for name in recorded)


def label_values(text: str, label: str) -> set[str]:
    """Values a PromQL matcher on ``label`` names (regex alternatives split)."""
    values: set[str] = set()
    for _, value in re.findall(rf'\b{label}\s*(=~|!~|!=|=)\s*"([^"]*)"', text):
        values.update(value.split("|"))
    return values


def test_topic_and_outcome_label_values_exist() -> None:
    exprs = [r["expr"] for r in rules()]
    topics = {v for e in exprs for v in label_values(e, "topic")}
    assert topics <= {*TOPICS, UNTAGGED}, topics
    outcomes = {v for e in exprs for v in label_values(e, "outcome")}
    assert outcomes and outcomes <= set(metrics.POLL_OUTCOMES), outcomes
    # The unit tests' input series use the real topic set too.
    series = [
        s["series"]
        for path in TEST_FILES
        for case in yaml.safe_load(path.read_text())["tests"]
        for s in case.get("input_series", [])
    ]
    assert {v for s in series for v in label_values(s, "topic")} <= {*TOPICS, UNTAGGED}


def test_kibana_base_url_is_in_one_place() -> None:
    hits = [
        (p.name, n)
        for p in RULE_FILES
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if KIBANA_PLACEHOLDER in line and not line.lstrip().startswith("#")
    ]
    assert len(hits) == 1, hits


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Grafana's queries, with its variables filled in, parse as PromQL (as recording rules, for promtool)."""
    dashboard = json.loads((REPO / "dashboards" / "grafana" / "newsmon.json").read_text())

    def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))

    exprs = [t["expr"] for p in panels(dashboard["panels"]) for t in p.get("targets", [])]
    exprs += [a["expr"] for a in dashboard["annotations"]["list"] if "expr" in a]
    filled = [e.replace("$__rate_interval", "5m").replace("$topic", ".*") for e in exprs]
    assert not [e for e in filled if "$" in e], "a dashboard variable the test does not fill in"
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "groups": [
                    {
                        "name": "dashboard",
                        "rules": [{"record": f"dashboard:query:{i}", "expr": e} for i, e in enumerate(filled)],
                    }
                ]
            }
        )
    )
    result = run(promtool(), "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


# --- Alertmanager --------------------------------------------------------------------------------------------------


def test_amtool_check_config_passes() -> None:
    result = run(binary("amtool"), "check-config", str(AM_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        ({"alertname": "NewsmonTopicSpike", "topic": "trade", "severity": "warning"}, "ops-webhook,newsroom-slack"),
        ({"alertname": "NewsmonDown", "severity": "page", "job": "newsmon"}, "ops-webhook,oncall-page"),
        ({"alertname": "NewsmonTargetMissing", "severity": "page", "job": "newsmon"}, "ops-webhook,oncall-page"),
        ({"alertname": "NewsmonIndexingErrors", "severity": "warning", "reason": "x"}, "ops-webhook,ops-slack"),
        ({"alertname": "NewsmonFeedErrorRatioHigh", "severity": "warning"}, "ops-webhook,ops-slack"),
        ({"alertname": "SomeoneElsesAlert", "severity": "critical"}, "ops-webhook"),
    ],
    ids=lambda v: v.get("alertname") if isinstance(v, dict) else v,
)
def test_amtool_routes(labels: dict[str, str], receivers: str) -> None:
    result = run(
        binary("amtool"),
        "config",
        "routes",
        "test",
        f"--config.file={AM_CONFIG}",
        f"--verify.receivers={receivers}",
        *(f"{k}={v}" for k, v in labels.items()),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receivers


def test_every_alert_routes_by_its_severity() -> None:
    for name, rule in alerts().items():
        labels = {"alertname": name, **rule["labels"], "topic": "trade"}
        result = run(
            binary("amtool"),
            "config",
            "routes",
            "test",
            f"--config.file={AM_CONFIG}",
            *(f"{k}={v}" for k, v in labels.items()),
        )
        got = result.stdout.strip().split(",")
        assert result.returncode == 0 and got[0] == "ops-webhook" and len(got) == 2, (name, got)


def test_alertmanager_matchers_name_real_alerts() -> None:
    config = yaml.safe_load(AM_CONFIG.read_text())
    matchers: list[str] = []

    def walk(route: dict[str, Any]) -> None:
        matchers.extend(route.get("matchers", []))
        for child in route.get("routes", []):
            walk(child)

    walk(config["route"])
    for rule in config["inhibit_rules"]:
        matchers += rule["source_matchers"] + rule["target_matchers"]
    names = set(alerts())
    for matcher in matchers:
        m = re.fullmatch(r'alertname(=~|=)"([^"]*)"', matcher)
        if m:
            pattern = m.group(2) if m.group(1) == "=~" else re.escape(m.group(2))
            alternatives = pattern.split("|") if m.group(1) == "=~" else [pattern]
            for alt in alternatives:
                assert any(re.fullmatch(alt, n) for n in names), f"{matcher}: {alt} matches no alert"
        m = re.fullmatch(r'severity(=~|=)"([^"]*)"', matcher)
        if m:
            assert set(m.group(2).split("|")) <= SEVERITIES, matcher


def test_secrets_come_from_files() -> None:
    text = AM_CONFIG.read_text()
    config = yaml.safe_load(text)
    assert config["global"]["smtp_auth_password_file"] and config["global"]["slack_api_url_file"]
    for key in ("smtp_auth_password:", "api_url:", "slack_api_url:", "credentials:", "password:"):
        assert not re.search(rf"^\s*{key}", text, re.M), f"{key} in {AM_CONFIG}: read it from a file"


# --- live: Prometheus evaluates the rules, Alertmanager routes and inhibits ---------------------------------------


def test_scaling_changes_only_durations() -> None:
    doc = scale_rules(RULES_DIR / "newsmon-recording.yml", DURATION_SCALE)
    exprs = [r["expr"] for r in doc["groups"][0]["rules"]]
    assert exprs[0] == ('sum by (namespace, topic) (increase(newsmon_relevant_articles_total{topic!="none"}[9000ms]))')
    assert "[864000ms] offset 9000ms" in exprs[1] and "offset 45000ms" in exprs[1]
    assert scaled("1h15m", 1) == "4500000ms"


@pytest.mark.slow
def test_alertmanager_routes_health_alerts_and_inhibits_spikes(services: Services, sink: WebhookSink) -> None:
    base = start_alertmanager(services, sink)
    spike = {
        "labels": {"alertname": "NewsmonTopicSpike", "severity": "warning", "topic": "energy"},
        "annotations": {"summary": "energy spiking"},
    }
    down = {
        "labels": {"alertname": "NewsmonDown", "severity": "page", "job": "newsmon", "instance": "newsmon-0:9108"},
        "annotations": {"summary": "newsmon is down"},
    }
    request = urllib.request.Request(
        f"{base}/api/v2/alerts",
        data=json.dumps([down, spike]).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        assert resp.status == 200

    def spike_state() -> dict[str, Any] | None:
        for alert in am_alerts(base):
            if alert["labels"]["alertname"] == "NewsmonTopicSpike" and alert["status"]["inhibitedBy"]:
                return dict(alert["status"])
        return None

    status = wait_for("the spike to be inhibited by NewsmonDown", spike_state, services.logs)
    assert status["state"] == "suppressed"
    paged = wait_for("NewsmonDown at oncall-page", lambda: sink.alerts_at("oncall-page"), services.logs)
    assert [a["labels"]["alertname"] for a in paged] == ["NewsmonDown"]
    wait_for("NewsmonDown copied to ops-webhook", lambda: sink.alerts_at("ops-webhook"), services.logs)
    assert sink.alerts_at("newsroom-slack") == []  # the inhibited spike was never sent


@pytest.mark.slow
def test_live_spike_fires_through_prometheus_and_alertmanager(services: Services, sink: WebhookSink) -> None:
    am = start_alertmanager(services, sink)
    registry = CollectorRegistry()
    m = metrics.Metrics(registry)
    m.relevant.labels(topic="trade")  # the series exists (at 0) from the start: the topic has history
    exporter_port = free_port()
    exporter, _thread = start_http_server(exporter_port, addr="127.0.0.1", registry=registry)
    try:
        rule_files = []
        for path in RULE_FILES:
            out = services.tmp / path.name
            out.write_text(yaml.safe_dump(scale_rules(path, DURATION_SCALE), sort_keys=False))
            rule_files.append(str(out))
        check = run(promtool(), "check", "rules", *rule_files)
        assert check.returncode == 0, check.stdout + check.stderr
        config = services.tmp / "prometheus.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "rule_files": rule_files,
                    "alerting": {"alertmanagers": [{"static_configs": [{"targets": [am.removeprefix("http://")]}]}]},
                    "scrape_configs": [
                        {"job_name": "newsmon", "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}]}
                    ],
                }
            )
        )
        prom_port = free_port()
        services.start(
            "prometheus",
            prometheus3(),
            f"--config.file={config}",
            f"--storage.tsdb.path={services.tmp / 'prom-data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        )
        prom = f"http://127.0.0.1:{prom_port}"

        def query(expr: str) -> list[dict[str, Any]]:
            url = f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
            result: list[dict[str, Any]] = get_json(url)["data"]["result"]
            return result

        # A baseline exists once the topic has (scaled) an hour of history: 45 s.
        baseline = wait_for(
            "a baseline for trade",
            lambda: query('topic:newsmon_relevant_articles:increase15m_avg1d{topic="trade"}'),
            services.logs,
        )
        assert float(baseline[0]["value"][1]) == 0.0
        assert query('ALERTS{alertname="NewsmonTopicSpike"}') == []

        m.relevant.labels(topic="trade").inc(30)  # 30 articles in one (scaled) window over a zero baseline

        delivered = wait_for("the spike at newsroom-slack", lambda: sink.alerts_at("newsroom-slack"), services.logs)
        alert = delivered[0]
        assert alert["status"] == "firing"
        assert alert["labels"] == {"alertname": "NewsmonTopicSpike", "severity": "warning", "topic": "trade"}
        assert alert["annotations"]["summary"].startswith("US–India news on trade is spiking: ")
        assert "relevant articles tagged trade" in alert["annotations"]["description"]
        assert "#/view/newsmon-search-topic-trade?" in alert["annotations"]["kibana_url"]
        assert any(a["labels"]["alertname"] == "NewsmonTopicSpike" for a in sink.alerts_at("ops-webhook"))
        assert sink.alerts_at("oncall-page") == []
    finally:
        exporter.shutdown()
