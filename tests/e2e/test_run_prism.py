"""`newsmon run` on Prism against a local feed server and the real OpenSearch node.

* new items appended to a served feed become searchable, and a restart over
  the same feeds indexes nothing twice;
* an engine outage in the middle of a run loses nothing;
* broken feeds (5xx, timeouts, HTML, oversized, wrong charset, entries without
  links or dates) are counted by reason and logged, and the good feeds go on.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import SearchSettings
from pipeline.errors import SearchError
from pipeline.feedserver import FeedServer
from pipeline.sinks.search import HttpClient
from tests.support.tcpproxy import TcpProxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.integration]
REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "deploy" / "local" / "demo-feeds"
NEW_ITEM = """    <item>
      <title>US and India sign deal on {what}</title>
      <link>https://demo.newsmon.invalid/e2e-{token}</link>
      <pubDate>{date}</pubDate>
      <description>Washington and New Delhi agreed to cooperate on {what}, officials said.</description>
    </item>
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def append_item(feed: Path, what: str) -> str:
    token = uuid.uuid4().hex[:10]
    item = NEW_ITEM.format(token=token, what=what, date=formatdate(time.time(), usegmt=True))
    feed.write_text(feed.read_text().replace("  </channel>", item + "  </channel>"))
    return f"https://demo.newsmon.invalid/e2e-{token}"


class Job:
    """One `newsmon run` process with its own index, metrics port and log."""

    def __init__(self, tmp: Path, config: Path, search_url: str, prism: str, *extra: str) -> None:
        self.tmp, self.config, self.search_url, self.prism, self.extra = tmp, config, search_url, prism, extra
        self.index = f"news-articles-e2e-{uuid.uuid4().hex[:8]}"
        self.metrics_port = free_port()
        self.log = tmp / "run.log"
        self.deadletter = tmp / "deadletter.jsonl"
        self.proc: subprocess.Popen[bytes] | None = None
        self.client = HttpClient(SearchSettings(url=search_url))

    def start(self, search_url: str | None = None) -> None:
        env = {**os.environ, "ELASTICSEARCH_URL": search_url or self.search_url,
               "NEWSMON_PRISM_LOCATION": self.prism, "NEWSMON_DEADLETTER_PATH": str(self.deadletter)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "run", "--config", str(self.config), "--index", self.index,
             "--metrics-port", str(self.metrics_port), "--tick", "1", *self.extra],
            env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, cwd=REPO)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("newsmon run did not stop within 60s of SIGTERM")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_for(self, condition: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = condition()
            except OSError:
                value = None
            if value:
                return value
            if not self.alive():
                pytest.fail(f"newsmon run exited with {self.proc and self.proc.returncode} while waiting for "
                            f"{what}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.5)
        pytest.fail(f"timed out after {timeout}s waiting for {what}:\n{self.log.read_text()[-3000:]}")

    def count(self, query: dict[str, Any] | None = None) -> int:
        try:
            got = self.client.request("POST", f"/{self.index}/_count", {"query": query} if query else None)
        except SearchError:  # no index until the first document
            return 0
        return int(got.get("count", 0))

    def settled_count(self, minimum: int, timeout: float = 180) -> int:
        """The document count once it has stayed the same for 3 s (and is at least ``minimum``)."""
        history: list[int] = []

        def settled() -> int:
            history.append(self.count())
            recent = history[-6:]
            return recent[-1] if len(recent) == 6 and len(set(recent)) == 1 and recent[-1] >= minimum else 0

        return int(self.wait_for(settled, timeout, f"at least {minimum} documents, settled"))

    def metric(self, name: str, **labels: str) -> float:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
        want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        prefix = f"{name}{{{want}}} " if labels else f"{name} "
        return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(prefix))

    def versions(self) -> set[int]:
        self.client.request("POST", f"/{self.index}/_refresh")
        hits = self.client.request("POST", f"/{self.index}/_search", {"size": 500, "version": True})
        return {h["_version"] for h in hits["hits"]["hits"]}

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(SearchError):
            self.client.request("DELETE", f"/{self.index}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FeedServer, Path]]:
    root = tmp_path / "feeds"
    shutil.copytree(DEMO, root)
    server = FeedServer(root, "127.0.0.1", 0)
    server.start_background()
    yield server, root
    server.shutdown()
    server.server_close()


def demo_config(tmp: Path, server: FeedServer, extra_feeds: str = "") -> Path:
    config = tmp / "feeds.yaml"
    config.write_text(f"defaults: {{interval: 2s}}\nfeeds:\n"
                      f"  - {{url: '{server.url}/wire.xml', name: Demo Wire}}\n"
                      f"  - {{url: '{server.url}/business.xml', name: Demo Business}}\n{extra_feeds}")
    return config


@pytest.fixture
def job_factory(tmp_path: Path, search_url: str, prism_location: str) -> Iterator[Callable[..., Job]]:
    jobs: list[Job] = []

    def make(config: Path, *extra: str) -> Job:
        job = Job(tmp_path, config, search_url, prism_location, *extra)
        jobs.append(job)
        return job

    yield make
    for job in jobs:
        job.close()
        sys.stdout.write(job.log.read_text()[-2000:] if job.log.exists() else "")


def test_new_items_become_searchable_and_a_restart_indexes_nothing_twice(
    served: tuple[FeedServer, Path], tmp_path: Path, job_factory: Callable[..., Job]
) -> None:
    server, root = served
    job = job_factory(demo_config(tmp_path, server))
    job.start()
    first = job.settled_count(minimum=5)
    url = append_item(root / "wire.xml", "critical minerals and semiconductor supply chains")
    appended = time.monotonic()
    job.wait_for(lambda: job.count({"term": {"url": url}}), 120, "the appended item to be searchable")
    print(f"\nfreshness: appended item searchable after {time.monotonic() - appended:.1f}s (poll interval 2s)")
    assert job.metric("newsmon_feed_polls_total", outcome="not_modified") > 0
    assert job.metric("newsmon_documents_indexed_total", result="created") == first + 1
    assert job.stop() == 0
    total = job.count()
    assert total == first + 1

    # Restart: Prism keeps no state across runs, so every feed is fetched and parsed again.
    job.start()
    job.wait_for(lambda: job.metric("newsmon_documents_indexed_total", result="exists") >= total, 180,
                 "the restarted job to re-read every article")
    assert job.metric("newsmon_documents_indexed_total", result="created") == 0
    assert job.stop() == 0
    assert job.count() == total
    assert job.versions() == {1}


def test_engine_outage_mid_run_loses_nothing(
    served: tuple[FeedServer, Path], tmp_path: Path, job_factory: Callable[..., Job], search_url: str
) -> None:
    server, root = served
    host, port = search_url.removeprefix("http://").split(":")
    proxy = TcpProxy(host, int(port))
    proxy.up()
    job = job_factory(demo_config(tmp_path, server))
    job.start(search_url=proxy.url)
    try:
        first = job.settled_count(minimum=5)
        proxy.down()
        urls = [append_item(root / "business.xml", f"topic {n} of the outage test") for n in range(3)]
        # The job keeps running and holds the documents back while the engine is unreachable.
        job.wait_for(lambda: "search engine unavailable" in job.log.read_text(), 60, "the writer to retry")
        assert job.alive()
        assert job.count() == first
        proxy.up()
        job.wait_for(lambda: job.count() == first + 3, 120, "the held-back documents after the outage")
        for url in urls:
            assert job.count({"term": {"url": url}}) == 1
        assert job.versions() == {1}
        assert job.stop() == 0
    finally:
        proxy.down()


def test_broken_feeds_are_counted_logged_and_do_not_stop_the_good_ones(
    served: tuple[FeedServer, Path], tmp_path: Path, job_factory: Callable[..., Job]
) -> None:
    server, root = served
    (root / "page.html").write_text("<html><head><title>Not a feed</title></head><body>Hello</body></html>")
    (root / "huge.xml").write_bytes(b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>'
                                    + b"<item><title>x</title></item>" * 40_000 + b"</channel></rss>")
    (root / "latin1.xml").write_bytes(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Lat</title>'
        '<item><title>Caf\xe9 talks: India and US resume tariff négociations</title></item>'
        '<item><description>Only a summary, no title, no link, no date</description></item>'
        '</channel></rss>'.encode("latin-1"))
    broken = {
        "http_error": f"{server.url}/wire.xml?status=503",
        "timeout": f"{server.url}/business.xml?delay=5",
        "not_a_feed": f"{server.url}/page.html",
        "too_large": f"{server.url}/huge.xml",
    }
    extra = "".join(f"  - {{url: '{url}', name: broken {reason}}}\n" for reason, url in broken.items())
    extra += f"  - {{url: '{server.url}/latin1.xml', name: Latin}}\n"
    job = job_factory(demo_config(tmp_path, server, extra), "--fetch-timeout", "1", "--max-feed-bytes", "500000")
    job.start()
    job.settled_count(minimum=5)
    for outcome in broken:
        job.wait_for(lambda o=outcome: job.metric("newsmon_feed_polls_total", outcome=o) >= 1, 60,
                     f"a poll counted as {outcome}")
    assert job.metric("newsmon_feed_polls_total", outcome="ok") >= 3
    log = job.log.read_text()
    for url in broken.values():
        assert url in log, f"no log line names {url}"
    dead = [json.loads(line) for line in job.deadletter.read_text().splitlines()]
    assert any(d["reason"] == "not_a_feed" and d["feed_url"] == broken["not_a_feed"] for d in dead)
    # The wrongly declared charset still yields its article; the link- and date-less entry too.
    assert job.count({"match_phrase": {"title": "resume tariff"}}) == 1
    assert job.alive()
    assert job.stop() == 0
