"""No feed can hold back another: `newsmon run` on Prism beside slow, silent, looping and rate-limiting servers.

Healthy feeds are served from 127.0.0.1, the misbehaving ones from 127.0.0.2
(another host for the per-host politeness cap, as on the open web):

* a feed that trickles its answer at 2 bytes a second (no read timeout ever fires),
* one that accepts the connection and never answers,
* a redirect loop,
* one that answers 429 with ``Retry-After``.

The fetch deadline stays at its default (30 s), so the stragglers really
straggle while the healthy feeds are polled on their interval and items
added to them become searchable.
"""

from __future__ import annotations

import functools
import itertools
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.devtools.feedserver import FeedServer
from tests.support.job import REPO, Job, append_item

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.integration]
DEMO = REPO / "deploy" / "local" / "demo-feeds"
INTERVAL_S = 2.0
RETRY_AFTER_S = 20
RUN_S = 100.0


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[FeedServer, FeedServer, Path]]:
    root = tmp_path / "feeds"
    shutil.copytree(DEMO, root)
    good, bad = FeedServer(root, "127.0.0.1", 0), FeedServer(root, "127.0.0.2", 0)
    for server in (good, bad):
        server.start_background()
    yield good, bad, root
    for server in (good, bad):
        server.shutdown()
        server.server_close()


def test_healthy_feeds_keep_their_schedule_beside_hostile_servers(
    servers: tuple[FeedServer, FeedServer, Path], tmp_path: Path, search_url: str, prism_location: str
) -> None:
    good, bad, root = servers
    hostile = {
        "drip": f"{bad.url}/wire.xml?drip=2",
        "hang": f"{bad.url}/business.xml?hang=1",
        "loop": f"{bad.url}/loop/0",
        "rate_limited": f"{bad.url}/wire.xml?status=429&retry_after={RETRY_AFTER_S}",
    }
    config = tmp_path / "feeds.yaml"
    config.write_text(
        f"defaults: {{interval: {INTERVAL_S:g}s}}\nfeeds:\n"
        f"  - {{url: '{good.url}/wire.xml', name: Demo Wire}}\n"
        f"  - {{url: '{good.url}/business.xml', name: Demo Business}}\n"
        + "".join(f"  - {{url: '{url}', name: {name}}}\n" for name, url in hostile.items())
    )
    job = Job(tmp_path, config, search_url, prism_location)
    try:
        job.start()
        first = job.settled_count(minimum=5)
        started = time.monotonic()
        freshness: list[float] = []
        n = 0
        while time.monotonic() - started < RUN_S:
            url = append_item(root / ("wire.xml" if n % 2 else "business.xml"), f"hostile-run item {n}")
            added = time.monotonic()
            job.wait_for(functools.partial(job.count, {"term": {"url": url}}), 60, f"item {n} to be searchable")
            freshness.append(time.monotonic() - added)
            assert job.healthz() == 200
            n += 1
            time.sleep(5)
        elapsed = time.monotonic() - started
        assert job.count() == first + n
        polls = {name: len(good.hits_for(f"/{name}")) for name in ("wire.xml", "business.xml")}
        expected = elapsed / INTERVAL_S
        print(
            f"\nhostile run: {elapsed:.0f}s, polls per healthy feed {polls} (schedule: {expected:.0f}), "
            f"freshness max {max(freshness):.1f}s over {n} items"
        )
        # Every healthy feed kept being polled through the whole run (loose: the machine may be slow).
        assert all(count >= expected / 3 for count in polls.values()), polls
        # The 429 feed was not asked again before its Retry-After (jitter is ±10%).
        asked = [t for t, _ in bad.hits_for("/wire.xml?status=429")]
        assert len(asked) >= 2
        assert min(b - a for a, b in itertools.pairwise(asked)) >= RETRY_AFTER_S * 0.9
        log = job.log.read_text()
        for name in ("drip", "hang", "loop"):
            assert hostile[name] in log, f"no log line names the {name} feed"
        assert job.metric("newsmon_feed_polls_total", outcome="timeout") >= 2
        stopping = time.monotonic()
        assert job.stop() == 0
        print(f"shutdown took {time.monotonic() - stopping:.1f}s")
        assert time.monotonic() - stopping < 30
    finally:
        job.close()
        print(job.log.read_text()[-3000:] if job.log.exists() else "")
