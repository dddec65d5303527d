"""`newsmon run` on a real Flink cluster: checkpoints, a TaskManager crash, a savepoint restart.

The cluster is deploy/local/stack.sh's (a JobManager and a TaskManager
process, started here if it is not running); the job is submitted through
Beam's Flink job server with PROCESS SDK workers that the TaskManager starts
(deploy/local/flink/sdk-worker) and a checkpoint every 5 s. Feeds come from a
local feed server; the articles go to the real search engine.

One test, in the order a cluster's life has them: items appended while the
job runs become searchable; the TaskManager is SIGKILLed (an item appended
while it is down) and started again, and the job restores its last
checkpoint and indexes the item; `newsmon run` is stopped (the job stops
with a savepoint) and started again from that savepoint. Through all of it no
article is lost or written twice: every document has ``_version`` 1 and the
count is the initial one plus the appended items.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.devtools.feedserver import FeedServer
from pipeline.telemetry import metrics
from tests.support.alerting import Services, get_json, start_prometheus, wait_for
from tests.support.flinkcluster import FlinkCluster, children, flink_run_args, peak_rss_mb, unique_job_name
from tests.support.job import Job, append_item

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.integration]
# Generous: on 2 shared cores a submission (job server start, ~150 MB of jars to
# the JobManager, task deployment, SDK worker start) takes one to two minutes.
START_S = 300


@pytest.fixture(scope="module")
def cluster() -> Iterator[FlinkCluster]:
    cluster = FlinkCluster()
    cluster.up()
    yield cluster
    cluster.down()


@pytest.fixture
def named_job(
    tmp_path: Path, search_url: str, prism_location: str, served: tuple[FeedServer, Path], cluster: FlinkCluster
) -> Iterator[tuple[Job, str]]:
    """A `newsmon run` on the cluster, and the name its Flink job has there."""
    server, _root = served
    config = tmp_path / "feeds.yaml"
    config.write_text(
        f"defaults: {{interval: 2s}}\nfeeds:\n"
        f"  - {{url: '{server.url}/wire.xml', name: Demo Wire}}\n"
        f"  - {{url: '{server.url}/business.xml', name: Demo Business}}\n"
    )
    name = unique_job_name()
    job = Job(tmp_path, config, search_url, prism_location, *flink_run_args(tmp_path, name), "--log-format", "text")
    yield job, name
    if job.alive():  # a failed test: the job server Beam started is in the job's process group
        assert job.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job.proc.pid, signal.SIGKILL)
    job.close()
    for live in cluster.rest.live_jobs_named(name):  # a failed test must not leave the job on the cluster
        cluster.rest.cancel(live.jid)
    print(job.log.read_text()[-3000:] if job.log.exists() else "")


def test_streaming_on_flink_survives_a_taskmanager_crash_and_a_savepoint_restart(
    named_job: tuple[Job, str], cluster: FlinkCluster, served: tuple[FeedServer, Path]
) -> None:
    _server, root = served
    job, name = named_job
    # The SDK workers are TaskManager processes: they write their metrics to a directory that
    # `newsmon run` serves; a real Prometheus scrapes it and evaluates the shipped recording rules.
    job.env[metrics.MULTIPROC_ENV] = str(job.tmp / "worker-metrics")
    services = Services(job.tmp)
    rules = Path(__file__).resolve().parents[2] / "deploy/prometheus/rules/newsmon-recording.yml"
    prom = start_prometheus(services, job.metrics_port, rules=(rules,))
    job.start()
    job.wait_for(lambda: cluster.running(name), START_S, f"Flink job {name} running on the cluster")
    first = job.settled_count(minimum=5, timeout=START_S)
    live = cluster.rest.live_jobs_named(name)
    assert len(live) == 1, live

    # Items appended while the job runs become searchable.
    appended = [append_item(root / "wire.xml", "a semiconductor supply chain")]
    job.wait_for(lambda: job.count({"term": {"url": appended[0]}}), 120, "the appended item")
    try:
        wait_for(
            "the workers' counters in Prometheus",
            lambda: _value(prom, 'newsmon_documents_indexed_total{result="created"}') >= first + 1,
            services.logs,
        )
        assert _value(prom, 'sum(newsmon_feed_polls_total{outcome=~"ok|not_modified|unchanged"})') >= 2
        wait_for(
            "a recording rule over the workers' counters",
            lambda: _query(prom, "topic:newsmon_relevant_articles:increase15m"),
            services.logs,
        )
    finally:
        services.stop()

    # A TaskManager crash after a checkpoint that already holds that item's poll.
    done = cluster.completed_checkpoints(name)
    job.wait_for(lambda: cluster.completed_checkpoints(name) >= done + 2, 120, "two more checkpoints")
    sdk_workers = children(cluster.pid("taskmanager"))
    assert sdk_workers, "the TaskManager runs no SDK worker process"
    cluster.kill_taskmanager()
    killed = time.monotonic()
    appended.append(append_item(root / "business.xml", "a defence pact while the TaskManager is down"))
    cluster.start_taskmanager()
    restored = job.wait_for(
        lambda: cluster.running(name) and cluster.restored(name),
        START_S,
        "the job restored from its checkpoint on the new TaskManager",
    )
    running_again = time.monotonic() - killed
    assert restored["is_savepoint"] is False
    job.wait_for(lambda: job.count({"term": {"url": appended[1]}}), 180, "the item appended during the crash")
    indexed_again = time.monotonic() - killed
    print(
        f"\nTaskManager SIGKILL -> job running from checkpoint {restored['id']} after {running_again:.0f}s, "
        f"the item appended meanwhile indexed after {indexed_again:.0f}s"
    )
    # Polls go on after the recovery.
    appended.append(append_item(root / "wire.xml", "visa rules after the recovery"))
    job.wait_for(lambda: job.count({"term": {"url": appended[2]}}), 120, "an item appended after the recovery")
    assert job.count() == first + len(appended)
    assert job.versions() == {1}

    rss = {role: peak_rss_mb(cluster.pid(role)) for role in ("jobmanager", "taskmanager")}
    rss["sdk worker"] = max((peak_rss_mb(pid) for pid in children(cluster.pid("taskmanager"))), default=0.0)
    print("peak RSS (MiB): " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))

    # Stop: the job stops with a savepoint; start again from it.
    assert job.stop() == 0
    saved = re.findall(r"stopped with a savepoint at (\S+)", job.log.read_text())
    assert saved, job.log.read_text()[-3000:]
    assert not cluster.rest.live_jobs_named(name)
    appended.append(append_item(root / "business.xml", "a space launch while the job is stopped"))
    job.extra = (*job.extra, f"--savepoint_path={saved[-1]}")
    job.start()
    restored = job.wait_for(
        lambda: cluster.running(name) and cluster.restored(name), START_S, "the job restored from its savepoint"
    )
    assert restored["is_savepoint"] is True and restored["external_path"] == saved[-1]
    job.wait_for(lambda: job.count({"term": {"url": appended[3]}}), 180, "the item appended while stopped")
    assert job.settled_count(minimum=first + len(appended)) == first + len(appended)
    assert all(job.count({"term": {"url": url}}) == 1 for url in appended)
    assert job.versions() == {1}
    assert job.stop() == 0
    assert not cluster.rest.live_jobs_named(name)


def _query(base: str, expr: str) -> list[dict[str, Any]]:
    try:
        data = get_json(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    except OSError:
        return []
    result: list[dict[str, Any]] = data["data"]["result"]
    return result


def _value(base: str, expr: str) -> float:
    result = _query(base, expr)
    return float(result[0]["value"][1]) if result else 0.0
