"""`newsmon run --sdk-workers 2` on Prism: two worker processes share the feeds, one job to watch and stop.

Prism starts one SDK worker per environment; the graph's lanes are separate
environments, and newsmon's pool starts each worker as a process of its own
(pipeline/runtime/harness.py). The test checks the processes, that each one polled
and counted (their metric files), the summed /metrics, /healthz, and a clean
stop that takes the workers with it.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from pipeline.devtools.feedserver import FeedServer
from pipeline.telemetry import metrics
from tests.support.job import Job, append_item

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.integration]
CHANNEL = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Lane test desk {n}</title>
    <link>https://demo.newsmon.invalid/desk{n}</link>
    <description>Test feed {n}</description>
  </channel>
</rss>
"""
FEEDS = 8


def worker_pids(parent: int) -> list[int]:
    """Live child processes of ``parent`` running newsmon's SDK worker."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"pipeline.runtime.worker" in cmdline:
            found.append(int(stat.parent.name))
    return sorted(found)


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie left for a non-reaping init is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def polls_by(folder: Path, pid: int) -> float:
    """Feed polls counted by one process, from its own metric file of the multiprocess folder."""
    with tempfile.TemporaryDirectory() as alone:
        for file in folder.glob(f"counter_{pid}.db"):
            shutil.copy(file, alone)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=alone)  # type: ignore[no-untyped-call]  # __init__ unannotated upstream
        return sum(s.value for family in registry.collect() for s in family.samples if s.name == metrics.FEED_POLLS)


@pytest.fixture
def job(tmp_path: Path, search_url: str, prism_location: str, served: tuple[FeedServer, Path]) -> Iterator[Job]:
    server, root = served
    lines = ["defaults: {interval: 2s}", "feeds:"]
    for n in range(FEEDS):
        (root / f"desk{n}.xml").write_text(CHANNEL.format(n=n))
        append_item(root / f"desk{n}.xml", f"semiconductor supply chains, working group {n}")
        lines.append(f"  - {{url: '{server.url}/desk{n}.xml', name: Desk {n}}}")
    config = tmp_path / "feeds.yaml"
    config.write_text("\n".join(lines) + "\n")
    job = Job(tmp_path, config, search_url, prism_location, "--sdk-workers", "2", "--feed-shards", "4")
    job.env = {metrics.MULTIPROC_ENV: str(tmp_path / "metrics")}
    yield job
    job.close()
    print(job.log.read_text()[-3000:] if job.log.exists() else "")


def test_two_worker_processes_share_the_feeds_and_stop_with_the_job(
    job: Job, served: tuple[FeedServer, Path], tmp_path: Path
) -> None:
    _server, root = served
    job.start()
    assert job.settled_count(minimum=FEEDS) == FEEDS
    assert job.proc is not None
    pids = worker_pids(job.proc.pid)
    assert len(pids) == 2, pids
    folder = tmp_path / "metrics"
    # Each process polled its own share of the feeds; /metrics serves the sum.
    job.wait_for(lambda: all(polls_by(folder, pid) > 0 for pid in pids), 60, "polls counted by both workers")
    job.wait_for(lambda: job.healthz() == 200, 60, "/healthz to see the workers' ticks")
    total = sum(job.metric(metrics.FEED_POLLS, outcome=outcome) for outcome in metrics.POLL_OUTCOMES)
    assert total >= sum(polls_by(folder, pid) for pid in pids) - 2 * FEEDS  # sampled a moment apart
    assert job.metric(metrics.DOCUMENTS_INDEXED, result="created") == FEEDS
    url = append_item(root / "desk5.xml", "a new round of talks, seen while two workers run")
    job.wait_for(lambda: job.count({"term": {"url": url}}), 120, "an item appended while running")
    stopping = time.monotonic()
    assert job.stop() == 0
    assert time.monotonic() - stopping < 30
    assert not [pid for pid in pids if running(pid)], "a worker outlived the job"
    assert job.count() == FEEDS + 1 and job.versions() == {1}
