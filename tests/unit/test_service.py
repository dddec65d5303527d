"""The job's HTTP endpoints (/metrics, /healthz, /readyz) over a real loopback socket."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from pipeline.core.errors import SearchUnavailable
from pipeline.runtime.service import ServiceServer, Status
from pipeline.telemetry import metrics


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.fixture
def served() -> Iterator[tuple[str, Status, list[str | Exception | None]]]:
    answers: list[str | Exception | None] = [None]

    def readiness() -> str | None:
        answer = answers[-1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    status = Status(readiness, ttl_s=0)
    registry = CollectorRegistry()
    metrics.Metrics(registry).feed_polls.labels(outcome="ok").inc()
    server = ServiceServer("127.0.0.1", 0, status, registry)
    server.start_background()
    yield f"http://127.0.0.1:{server.server_address[1]}", status, answers
    server.shutdown()
    server.server_close()


def test_health_follows_the_job_state(served: tuple[str, Status, list[str | Exception | None]]) -> None:
    base, status, _ = served
    status.job_state = "RUNNING"
    assert get(f"{base}/healthz") == (200, b'{"job": "RUNNING"}\n')
    status.job_state = "FAILED"
    code, body = get(f"{base}/healthz")
    assert code == 503 and json.loads(body) == {"job": "FAILED"}


def test_readiness_reports_the_reason(served: tuple[str, Status, list[str | Exception | None]]) -> None:
    base, status, answers = served
    status.job_state = "RUNNING"
    assert get(f"{base}/readyz")[0] == 200
    answers.append(SearchUnavailable("http://es:9200: unreachable"))
    code, body = get(f"{base}/readyz")
    assert code == 503 and "unreachable" in json.loads(body)["reason"]
    answers.append(None)
    status.job_state = "FAILED"
    assert json.loads(get(f"{base}/readyz")[1])["reason"] == "job FAILED"


def test_metrics_and_unknown_paths(served: tuple[str, Status, list[str | Exception | None]]) -> None:
    base, _, _ = served
    code, body = get(f"{base}/metrics")
    assert code == 200 and b'newsmon_feed_polls_total{outcome="ok"} 1.0' in body
    assert get(f"{base}/nope")[0] == 404


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_running_job_whose_ticks_stopped_is_not_alive() -> None:
    clock = _Clock()
    ticks: list[float | None] = [None]
    status = Status(lambda: None, stall_after_s=60, tick_age=lambda: ticks[-1], clock=clock)
    assert status.alive and status.stalled() is None  # starting: nothing expected yet
    status.job_state = "RUNNING"
    clock.now += 59
    assert status.alive  # no tick yet, but the job is young
    clock.now += 2
    assert not status.alive
    assert "61s" in (status.stalled() or "")
    ticks.append(3.0)  # a shard ticked 3 s ago
    assert status.alive
    ticks.append(75.0)
    assert not status.alive


def test_without_a_stall_limit_only_the_job_state_counts() -> None:
    status = Status(lambda: None, tick_age=lambda: 10_000.0)
    status.job_state = "RUNNING"
    assert status.alive
    status.job_state = "FAILED"
    assert not status.alive


def test_healthz_says_why_a_job_is_stalled() -> None:
    status = Status(lambda: None, stall_after_s=5, tick_age=lambda: 30.0)
    status.job_state = "RUNNING"
    server = ServiceServer("127.0.0.1", 0, status, CollectorRegistry())
    server.start_background()
    try:
        code, body = get(f"http://127.0.0.1:{server.server_address[1]}/healthz")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 503
    assert "no feed shard has finished a poll tick for 30s" in json.loads(body)["stalled"]
