"""The Grafana dashboard and its provisioning files are consistent with the code and the rules.

(That its queries parse as PromQL is checked with promtool in
tests/integration/test_prometheus_rules.py.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from pipeline.telemetry import metrics

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "dashboards" / "grafana"
DASHBOARD = GRAFANA / "newsmon.json"
RULES = sorted((REPO / "deploy" / "prometheus" / "rules").glob("*.yml"))


def dashboard() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return result


def all_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))  # collapsed rows nest their panels


def exprs() -> list[str]:
    d = dashboard()
    out = [t["expr"] for p in all_panels(d["panels"]) for t in p.get("targets", [])]
    out += [a["expr"] for a in d["annotations"]["list"] if "expr" in a]
    out += [v["definition"] for v in d["templating"]["list"] if "definition" in v]
    return out


def recording_rule_names() -> set[str]:
    return {
        r["record"]
        for path in RULES
        for g in yaml.safe_load(path.read_text())["groups"]
        for r in g["rules"]
        if "record" in r
    }


def test_dashboard_is_valid_json_with_identity() -> None:
    d = dashboard()
    assert d["uid"] == "newsmon" and d["title"] and isinstance(d["schemaVersion"], int)


def test_panel_ids_are_unique() -> None:
    ids = [p["id"] for p in all_panels(dashboard()["panels"])]
    assert len(ids) == len(set(ids)), sorted(ids)


def test_panels_do_not_overlap() -> None:
    cells: dict[tuple[int, int], str] = {}
    for p in all_panels(dashboard()["panels"]):
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = p["title"]


def test_every_query_uses_the_datasource_variable() -> None:
    d = dashboard()
    variables = {v["name"]: v for v in d["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for p in all_panels(d["panels"]):
        if p["type"] == "row":
            continue
        assert p["datasource"]["uid"] == "${datasource}", p["title"]
        assert p["targets"], p["title"]
        assert all(t["datasource"]["uid"] == "${datasource}" for t in p["targets"]), p["title"]


def test_every_metric_is_defined_in_pipeline_metrics_or_a_recording_rule() -> None:
    defined = metrics.exported_names() | recording_rule_names()
    used = {
        tok
        for e in exprs()
        for tok in re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", e)
        if tok.startswith(metrics.PREFIX) or tok.startswith("topic:")
    }
    assert used - defined == set(), f"not in pipeline/telemetry/metrics.py or the recording rules: {used - defined}"
    # The dashboard shows every metric newsmon exports (histograms through their buckets).
    shown = {re.sub(r"_bucket$", "", tok) for tok in used}
    families = {n for n in metrics.exported_names() if not n.endswith(("_bucket", "_sum", "_count"))}
    assert families - shown == set(), f"exported but not on the dashboard: {families - shown}"


def test_dashboard_has_the_four_sections() -> None:
    rows = [p["title"] for p in dashboard()["panels"] if p["type"] == "row"]
    assert {"Throughput", "Latency", "Errors", "Topics"} <= set(rows)


def test_provisioning_files() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "newsmon-prometheus.yml").read_text())
    assert ds["apiVersion"] == 1 and [d["type"] for d in ds["datasources"]] == ["prometheus"]
    prov = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "newsmon.yml").read_text())
    assert prov["apiVersion"] == 1
    assert [p["type"] for p in prov["providers"]] == ["file"] and prov["providers"][0]["options"]["path"]
