"""`newsmon status` against the real OpenSearch node and a real job endpoint (the service's own HTTP server)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from pipeline.alerting.spikes import Assessment, alert_document
from pipeline.core.config import SearchSettings
from pipeline.core.dates import unix_to_iso
from pipeline.core.errors import SearchError
from pipeline.core.model import Article, Classification, ClassifiedArticle, Feed
from pipeline.runtime.service import ServiceServer, Status
from pipeline.sinks.document import to_document
from pipeline.sinks.feedstate import FeedStateStore, feeds_index
from pipeline.sinks.search import SearchWriter
from pipeline.sources.schedule import PollState

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def classified(n: int, topics: tuple[str, ...], relevant: bool = True) -> ClassifiedArticle:
    when = unix_to_iso(time.time() - 600)
    article = Article(
        article_id=f"status{n:04d}",
        url=f"https://status.example/{n}",
        title=f"Story {n}",
        source="Status Test",
        language="en",
        published_at=when,
        seen_at=when,
    )
    return ClassifiedArticle(article, Classification(relevant=relevant, relevance_score=0.9, topics=topics))


@pytest.fixture(scope="module")
def indices(search_url: str) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:8]
    prefix, alerts = f"news-articles-status-{tag}", f"news-alerts-status-{tag}"
    writer = SearchWriter(SearchSettings(url=search_url, index=prefix))
    writer.connect()
    writer.ensure_templates()
    now = time.time()
    try:
        recent = [
            to_document(classified(n, t), unix_to_iso(now - 60))
            for n, t in enumerate([("trade",), ("trade", "energy"), ()])
        ]
        old = [to_document(classified(9, ("defense",)), unix_to_iso(now - 3 * 3600))]  # indexed hours ago
        assert writer.write(recent + old).created == 4
        windows = [int(now) - 7200 + i * 900 for i in range(6)]
        docs = [
            alert_document("trade" if i % 2 else "energy", s, s + 900, Assessment(5 + i, 1.0, 5.0 + i, True), [])
            for i, s in enumerate(windows)
        ]
        assert writer.write_raw(alerts, docs, id_field="alert_id").created == 6
        store = FeedStateStore(writer, feeds_index(prefix))
        assert (
            store.save_schedules(
                [
                    (
                        Feed(url="https://ok.example/rss", name="Fine"),
                        PollState(last_poll=now, last_success=now, last_outcome="changed"),
                    ),
                    (
                        Feed(url="https://bad.example/rss", name="Broken"),
                        PollState(last_poll=now, failures=4, last_outcome="http_error", last_error="HTTP 500"),
                    ),
                ],
                now,
            )
            == 0
        )
        writer.refresh()
        for index in (alerts, feeds_index(prefix)):
            writer.client.request("POST", f"/{index}/_refresh")
        yield prefix, alerts
    finally:
        with contextlib.suppress(SearchError):
            writer.client.request("DELETE", f"/{prefix}-*")
            writer.client.request("DELETE", f"/{alerts}")
            writer.client.request("DELETE", f"/{feeds_index(prefix)}")
            writer.client.request("DELETE", f"/_index_template/newsmon-{prefix}")


@contextlib.contextmanager
def job_endpoint(ready: bool) -> Iterator[str]:
    status = Status(lambda: None if ready else "connecting to the search engine at http://nowhere", ttl_s=0.0)
    status.job_state = "RUNNING"
    server = ServiceServer("127.0.0.1", 0, status, registry=CollectorRegistry())
    server.start_background()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def status(indices: tuple[str, str], search_url: str, metrics_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    prefix, alerts = indices
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.app.cli",
            "status",
            "--search-url",
            search_url,
            "--index",
            prefix,
            "--alerts-index",
            alerts,
            "--metrics-url",
            metrics_url,
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
        env=dict(os.environ),
    )


def test_status_json_of_a_healthy_service(indices: tuple[str, str], search_url: str) -> None:
    with job_endpoint(ready=True) as url:
        done = status(indices, search_url, url, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    engine = report["engine"]
    assert (engine["reachable"], engine["engine"]) == (True, "opensearch") and engine["version"].startswith("2.")
    assert engine["counts"]["articles"]["docs"] == 4 and engine["counts"]["alerts"]["docs"] == 6
    assert engine["counts"]["feeds"]["docs"] == 2
    assert (report["job"]["healthz"]["status"], report["job"]["healthz"]["body"]) == (200, {"job": "RUNNING"})
    assert report["job"]["readyz"]["ok"] is True
    assert {k: report["feeds"][k] for k in ("total", "ok", "failing")} == {"total": 2, "ok": 1, "failing": 1}
    assert [(f["name"], f["last_error"]) for f in report["feeds"]["failing_feeds"]] == [("Broken", "HTTP 500")]
    assert report["last_hour"]["total"] == 3
    assert report["last_hour"]["topics"] == {
        "trade": 2,
        "energy": 1,
        "defense": 0,
        "immigration": 0,
        "diplomacy": 0,
        "technology": 0,
    }
    alerts = report["alerts"]
    assert len(alerts) == 5 and [a["count"] for a in alerts] == [10, 9, 8, 7, 6]  # newest first, oldest left out


def test_status_screen_when_the_job_is_not_ready_or_gone(indices: tuple[str, str], search_url: str) -> None:
    with job_endpoint(ready=False) as url:
        done = status(indices, search_url, url)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("newsmon status at ")
    assert any(
        line.startswith("job ")
        and "healthz 200 ok (RUNNING)" in line
        and "readyz 503 FAILING" in line
        and "connecting to the search engine" in line
        for line in lines
    ), done.stdout
    assert "feeds      2: 1 ok, 1 failing, 0 gone, 0 new" in lines
    assert (
        "last hour  3 relevant article(s) indexed: trade 2, defense 0, immigration 0, energy 1, diplomacy 0, "
        "technology 0" in lines
    )
    assert sum(1 for line in lines if " trade: " in line or " energy: " in line) == 5
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    gone = status(indices, search_url, closed)
    assert gone.returncode == 1 and "Traceback" not in gone.stderr
    assert f"job        {closed}: UNREACHABLE (" in gone.stdout
    assert "engine     opensearch" in gone.stdout
    with job_endpoint(ready=True) as url:  # the engine down: reported, and the job's health still shown
        no_engine = subprocess.run(
            [sys.executable, "-m", "pipeline.app.cli", "status", "--search-url", closed, "--metrics-url", url],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            check=False,
            env=dict(os.environ),
        )
    assert no_engine.returncode == 3 and "Traceback" not in no_engine.stderr
    assert f"engine     UNREACHABLE at {closed}" in no_engine.stdout
    assert "healthz 200 ok (RUNNING); readyz 200 ok (ready)" in no_engine.stdout
