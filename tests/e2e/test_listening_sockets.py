"""Only the metrics/health port listens beyond loopback while `newsmon run` works.

The job runs as the image runs it (``NEWSMON_METRICS_ADDR=0.0.0.0``) on Prism
over the demo feeds. Once it has indexed them, every TCP socket in LISTEN
state held by the job's process tree (newsmon, Prism, any SDK worker) is read
from /proc (tests/support/sockets.py) at a few moments of the run: each must
be bound to a loopback address, except the metrics port. Prism's job
service/Fn API (deploy/prism/build.sh binds it to 127.0.0.1) and the SDK's
worker endpoints are in that tree.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.devtools.feedserver import FeedServer
from tests.support.job import Job
from tests.support.sockets import Listener, listeners

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.integration]


@pytest.fixture
def job(served: tuple[FeedServer, Path], tmp_path: Path, search_url: str, prism_location: str) -> Iterator[Job]:
    server, _root = served
    config = tmp_path / "feeds.yaml"
    config.write_text(
        f"defaults: {{interval: 2s}}\nfeeds:\n"
        f"  - {{url: '{server.url}/wire.xml', name: Demo Wire}}\n"
        f"  - {{url: '{server.url}/business.xml', name: Demo Business}}\n"
    )
    job = Job(tmp_path, config, search_url, prism_location)
    job.env = {"NEWSMON_METRICS_ADDR": "0.0.0.0"}  # the image's default (deploy/Dockerfile)
    yield job
    job.close()


def test_only_the_metrics_port_listens_beyond_loopback(job: Job) -> None:
    job.start()
    job.settled_count(minimum=5)  # Prism, the workers and the bundles are all up by now
    assert job.proc is not None
    seen: set[Listener] = set()
    for _ in range(3):  # the run goes on polling: a listener opened later is caught too
        seen.update(listeners(job.proc.pid))
        time.sleep(2)
    assert job.alive(), job.log.read_text()[-3000:]

    metrics = {item for item in seen if item.port == job.metrics_port}
    assert {item.address for item in metrics} == {"0.0.0.0"}, "the metrics port is where the image puts it"
    prism = {item for item in seen if Path(item.command.split()[0]).name == Path(job.prism).name}
    assert prism, f"no listener of Prism ({job.prism}) found in the job's process tree: {sorted(map(str, seen))}"
    exposed = sorted(str(item) for item in seen - metrics if not item.loopback)
    assert exposed == [], (
        "listening beyond loopback (only the metrics port may): "
        + "; ".join(exposed)
        + f"\nall listeners: {'; '.join(sorted(map(str, seen)))}"
    )
    assert job.stop() == 0
