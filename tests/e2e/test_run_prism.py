"""`newsmon run` on Prism against the local feed server and the real OpenSearch node.

The job polls two feeds; the test appends an item to one while it runs and
waits until it is searchable; then it stops the job (SIGTERM), starts it
again over the same feeds and shows nothing is indexed twice.
"""

from __future__ import annotations

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

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.integration]
REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "deploy" / "local" / "demo-feeds"
NEW_ITEM = """    <item>
      <title>US and India sign deal on critical minerals and semiconductor supply chains</title>
      <link>https://demo.newsmon.invalid/e2e-{token}</link>
      <pubDate>{date}</pubDate>
      <description>Washington and New Delhi agreed to cooperate on chips and lithium, officials said.</description>
    </item>
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float, what: str, proc: subprocess.Popen[bytes]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"newsmon run exited with {proc.returncode} while waiting for {what}")
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FeedServer, Path]]:
    root = tmp_path / "feeds"
    shutil.copytree(DEMO, root)
    server = FeedServer(root, "127.0.0.1", 0)
    server.start_background()
    yield server, root
    server.shutdown()
    server.server_close()


def start_job(config: Path, index: str, search_url: str, prism: str, metrics_port: int, log: Path
              ) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ELASTICSEARCH_URL": search_url, "NEWSMON_PRISM_LOCATION": prism,
           "NEWSMON_DEADLETTER_PATH": str(log.parent / "deadletter.jsonl")}
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run", "--config", str(config), "--index", index,
         "--metrics-port", str(metrics_port), "--tick", "1"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, cwd=REPO)


def stop_job(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("newsmon run did not stop within 60s of SIGTERM")


def test_streaming_job_indexes_new_items_once_across_restarts(
    served: tuple[FeedServer, Path], tmp_path: Path, search_url: str, prism_location: str
) -> None:
    server, root = served
    index = f"news-articles-e2e-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "feeds.yaml"
    config.write_text(f"defaults: {{interval: 2s}}\nfeeds:\n"
                      f"  - {{url: '{server.url}/wire.xml', name: Demo Wire}}\n"
                      f"  - {{url: '{server.url}/business.xml', name: Demo Business}}\n")
    client = HttpClient(SearchSettings(url=search_url))
    log = tmp_path / "run.log"

    def count(query: dict[str, Any] | None = None) -> int:
        body = {"query": query} if query else None
        try:
            got = client.request("POST", f"/{index}/_count", body)
        except SearchError:  # the index does not exist until the first document
            return 0
        return int(got.get("count", 0))

    seen_counts: list[int] = []

    def settled() -> int:
        """The count once it has stayed the same for 3 checks after the feeds were re-polled."""
        seen_counts.append(count())
        recent = seen_counts[-6:]
        return recent[-1] if len(recent) == 6 and len(set(recent)) == 1 and recent[-1] >= 5 else 0

    metrics_port = free_port()
    proc = start_job(config, index, search_url, prism_location, metrics_port, log)
    try:
        first = wait_for(settled, 180, "the demo feeds' relevant articles to be indexed", proc)
        # The new item: appended while the job runs; measured from append to searchable.
        token = uuid.uuid4().hex[:8]
        text = (root / "wire.xml").read_text()
        item = NEW_ITEM.format(token=token, date=formatdate(time.time(), usegmt=True))
        (root / "wire.xml").write_text(text.replace("  </channel>", item + "  </channel>"))
        appended = time.monotonic()
        wait_for(lambda: count({"term": {"url": f"https://demo.newsmon.invalid/e2e-{token}"}}), 120,
                 "the appended item to be searchable", proc)
        freshness = time.monotonic() - appended
        print(f"\nfreshness: appended item searchable after {freshness:.1f}s (poll interval 2s)")
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as resp:
            exposition = resp.read().decode()
        assert 'newsmon_feed_polls_total{outcome="not_modified"}' in exposition
        assert "newsmon_documents_indexed_total" in exposition
        assert stop_job(proc) == 0
        total = count()
        assert total == first + 1

        # Restart: every feed is polled and parsed again from scratch.
        proc = start_job(config, index, search_url, prism_location, metrics_port, log)

        def repolled() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as r:
                body = r.read().decode()
            prefix = 'newsmon_documents_indexed_total{result="exists"}'
            line = next((ln for ln in body.splitlines() if ln.startswith(prefix)), "")
            return bool(line) and float(line.split()[-1]) >= total
        wait_for(lambda: _safe(repolled), 180, "the restarted job to re-read every article", proc)
        assert stop_job(proc) == 0
        client.request("POST", f"/{index}/_refresh")
        assert count() == total
        versions = client.request("POST", f"/{index}/_search", {"size": 100, "version": True})
        assert {h["_version"] for h in versions["hits"]["hits"]} == {1}
    finally:
        if proc.poll() is None:
            proc.kill()
        client.request("DELETE", f"/{index}")
        sys.stdout.write(log.read_text()[-3000:] if log.exists() else "")


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except OSError:
        return False
