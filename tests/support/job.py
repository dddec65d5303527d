"""A `newsmon run` process under test: start/stop, counts in the engine, metrics, feed edits.

Shared by the end-to-end tests and the freshness benchmark.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.config import SearchSettings
from pipeline.core.errors import SearchError
from pipeline.sinks.engines import HttpClient
from pipeline.sinks.feedstate import feeds_index
from pipeline.sinks.stories import stories_index
from tests.support.net import free_port

REPO = Path(__file__).resolve().parents[2]
NEW_ITEM = """    <item>
      <title>US and India sign deal on {what}</title>
      <link>https://demo.newsmon.invalid/e2e-{token}</link>
      <pubDate>{date}</pubDate>
      <description>Washington and New Delhi agreed to cooperate on {what}, officials said.</description>
    </item>
"""


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
        self.wrapper: list[str] = []  # a command the job runs under (e.g. a read-only mount namespace)
        self.env: dict[str, str] = {}  # extra environment

    def start(self, search_url: str | None = None) -> None:
        env = {
            **os.environ,
            "ELASTICSEARCH_URL": search_url or self.search_url,
            "NEWSMON_PRISM_LOCATION": self.prism,
            "NEWSMON_DEADLETTER_PATH": str(self.deadletter),
            **self.env,
        }
        self.proc = subprocess.Popen(
            [
                *self.wrapper,
                sys.executable,
                "-m",
                "pipeline.app.cli",
                "run",
                "--config",
                str(self.config),
                "--index",
                self.index,
                "--metrics-port",
                str(self.metrics_port),
                "--tick",
                "1",
                *self.extra,
            ],
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            cwd=REPO,
            # Its own process group, as in a terminal: `interrupt()` sends Ctrl-C to the whole group.
            start_new_session=True,
        )

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("newsmon run did not stop within 60s of SIGTERM")

    def interrupt(self) -> int:
        """Ctrl-C as a terminal sends it: SIGINT to the job's whole process group."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("newsmon run did not stop within 60s of Ctrl-C")

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
                pytest.fail(
                    f"newsmon run exited with {self.proc and self.proc.returncode} while waiting for "
                    f"{what}:\n{self.log.read_text()[-3000:]}"
                )
            time.sleep(0.5)
        pytest.fail(f"timed out after {timeout}s waiting for {what}:\n{self.log.read_text()[-3000:]}")

    def count(self, query: dict[str, Any] | None = None) -> int:
        try:
            got = self.client.request("POST", f"/{self.index}-*/_count", {"query": query} if query else None)
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

    def healthz(self) -> int:
        """The status code of the job's /healthz."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/healthz", timeout=5) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as err:
            return int(err.code)

    def alerts_naming(self, urls: list[str]) -> list[dict[str, Any]]:
        """Spike alert documents whose examples include any of ``urls``."""
        with contextlib.suppress(SearchError):
            self.client.request("POST", "/news-alerts/_refresh")
            hits = self.client.request(
                "POST", "/news-alerts/_search", {"size": 20, "query": {"terms": {"examples.url": urls}}}
            )["hits"]["hits"]
            return [h["_source"] for h in hits]
        return []

    def versions(self) -> set[int]:
        self.client.request("POST", f"/{self.index}-*/_refresh")
        hits = self.client.request("POST", f"/{self.index}-*/_search", {"size": 500, "version": True})
        return {h["_version"] for h in hits["hits"]["hits"]}

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(SearchError):
            self.client.request("DELETE", f"/{self.index}-*")
            self.client.request("DELETE", f"/_index_template/newsmon-{self.index}")
        with contextlib.suppress(SearchError):  # the job's feed state (pipeline/sinks/feedstate.py)
            self.client.request("DELETE", f"/{feeds_index(self.index)}")
        with contextlib.suppress(SearchError):  # story band claims and records (pipeline/sinks/stories.py)
            self.client.request("DELETE", f"/{stories_index(self.index)}")
