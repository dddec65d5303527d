"""Real Prometheus and Alertmanager processes for tests: start them, scale the rules, catch webhooks.

Used by the rule tests (tests/integration) and the end-to-end alert chain (tests/e2e).
Missing binaries fail the tests: ``deploy/local/install.sh`` installs them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.net import free_port

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "deploy" / "prometheus" / "rules"
RULE_FILES = sorted(RULES_DIR.glob("*.yml"))
AM_CONFIG = REPO / "deploy" / "alertmanager" / "alertmanager.yml"
DURATION_SCALE = 0.01  # live tests run the rules 100 times faster


def binary(*names: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(f"{' / '.join(names)} is not installed: run deploy/local/install.sh")


PROMETHEUS_BIN_DIR = REPO / ".cache" / "bin"


def _prometheus_release_binary(name: str) -> str:
    path = PROMETHEUS_BIN_DIR / name
    if not path.is_file():
        pytest.fail(f"{path} is not installed: run deploy/local/install.sh promtool")
    return str(path)


def promtool() -> str:
    """The promtool of the deployments' Prometheus release (deploy/local/versions.env PROMETHEUS_VERSION),
    built by ``deploy/local/install.sh promtool``; Debian's (2.x) evaluates ranges differently."""
    return _prometheus_release_binary("promtool")


def prometheus3() -> str:
    """The Prometheus server of that release (same install step; API only, no web UI assets)."""
    return _prometheus_release_binary("prometheus")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)


_DURATION = r"(?:\d+(?:ms|[smhdwy]))+"
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "y": 31_536_000_000}


def scaled(duration: str, factor: float) -> str:
    ms = sum(int(n) * _UNIT_MS[unit] for n, unit in re.findall(r"(\d+)(ms|[smhdwy])", duration))
    return f"{max(1, round(ms * factor))}ms"


def scale_rules(path: Path, factor: float) -> dict[str, Any]:
    """The rule file with every PromQL range, offset and ``for:`` multiplied by ``factor``."""
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    for group in doc["groups"]:
        for rule in group["rules"]:
            expr = re.sub(rf"\[({_DURATION})\]", lambda m: f"[{scaled(m.group(1), factor)}]", rule["expr"])
            rule["expr"] = re.sub(rf"\boffset\s+({_DURATION})", lambda m: f"offset {scaled(m.group(1), factor)}", expr)
            if "for" in rule:
                rule["for"] = scaled(rule["for"], factor)
    return doc


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.load(resp)


def wait_for(what: str, check: Callable[[], Any], logs: list[Path], deadline_s: float = 180) -> Any:
    """Poll ``check`` until it returns something truthy; fail with the services' logs otherwise."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.5)
    tails = "\n".join(f"--- {p.name}\n" + "\n".join(p.read_text().splitlines()[-30:]) for p in logs if p.exists())
    pytest.fail(f"timed out waiting for {what}\n{tails}")


class WebhookSink:
    """An HTTP server recording Alertmanager's webhook notifications, by path (= receiver name)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with sink.lock:
                    sink.received.append((self.path.strip("/"), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts_at(self, receiver: str) -> list[dict[str, Any]]:
        with self.lock:
            return [a for path, body in self.received if path == receiver for a in body["alerts"]]


def alertmanager_test_config(sink_port: int) -> dict[str, Any]:
    """The shipped config with every receiver replaced by the sink and notification delays shortened.

    Routes and inhibition rules are untouched: they are what the live tests check.
    """
    config: dict[str, Any] = yaml.safe_load(AM_CONFIG.read_text())
    config["global"] = {"resolve_timeout": "5m"}
    config["receivers"] = [
        {"name": r["name"], "webhook_configs": [{"url": f"http://127.0.0.1:{sink_port}/{r['name']}"}]}
        for r in config["receivers"]
    ]

    def faster(route: dict[str, Any]) -> None:
        for key in ("group_wait", "group_interval"):
            if key in route:
                route[key] = "1s"
        for child in route.get("routes", []):
            faster(child)

    faster(config["route"])
    return config


class Services:
    """Processes started by one test, stopped (by their own handles) at its end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self, name: str, *args: str) -> None:
        log = self.tmp / f"{name}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.procs.append(subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT))

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_prometheus(services: Services, target_port: int, job: str = "newsmon", rules: tuple[Path, ...] = ()) -> str:
    """The deployments' Prometheus release scraping ``127.0.0.1:target_port`` every second (with ``rules``);
    its base URL."""
    config = services.tmp / f"prometheus-{job}.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(r) for r in rules],
                "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}]}],
            }
        )
    )
    port = free_port()
    services.start(
        f"prometheus-{job}",
        prometheus3(),
        f"--config.file={config}",
        f"--storage.tsdb.path={services.tmp / f'prom-data-{job}'}",
        f"--web.listen-address=127.0.0.1:{port}",
    )
    return f"http://127.0.0.1:{port}"


def start_alertmanager(services: Services, sink: WebhookSink) -> str:
    config = services.tmp / "alertmanager.yml"
    config.write_text(yaml.safe_dump(alertmanager_test_config(sink.port), sort_keys=False))
    check = run(binary("amtool"), "check-config", str(config))
    assert check.returncode == 0, check.stdout + check.stderr
    port = free_port()
    services.start(
        "alertmanager",
        binary("prometheus-alertmanager", "alertmanager"),
        f"--config.file={config}",
        f"--storage.path={services.tmp / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(
        "Alertmanager to be ready",
        lambda: urllib.request.urlopen(f"{base}/-/ready", timeout=5).status == 200,
        services.logs,
    )
    return base


def am_alerts(base: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = get_json(f"{base}/api/v2/alerts")
    return result
