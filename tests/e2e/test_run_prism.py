"""`newsmon run` on Prism against a local feed server and the real OpenSearch node.

* new items appended to a served feed become searchable, and a restart over
  the same feeds indexes nothing twice;
* an engine outage in the middle of a run loses nothing;
* broken feeds (5xx, timeouts, HTML, oversized, wrong charset, entries without
  links or dates) are counted by reason and logged, and the good feeds go on.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.devtools.feedserver import FeedServer
from tests.support.job import Job, append_item
from tests.support.tcpproxy import TcpProxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.integration]


def demo_config(tmp: Path, server: FeedServer, extra_feeds: str = "") -> Path:
    config = tmp / "feeds.yaml"
    config.write_text(
        f"defaults: {{interval: 2s}}\nfeeds:\n"
        f"  - {{url: '{server.url}/wire.xml', name: Demo Wire}}\n"
        f"  - {{url: '{server.url}/business.xml', name: Demo Business}}\n{extra_feeds}"
    )
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


def _urls(job: Job) -> list[str]:
    job.client.request("POST", f"/{job.index}-*/_refresh")
    hits = job.client.request("POST", f"/{job.index}-*/_search", {"size": 500, "_source": ["url"]})
    return [h["_source"]["url"] for h in hits["hits"]["hits"]]


def test_new_items_become_searchable_and_a_restart_is_warm(
    served: tuple[FeedServer, Path], tmp_path: Path, job_factory: Callable[..., Job]
) -> None:
    server, root = served
    # Short spike windows, so that re-counting the feeds' articles after the restart would alert.
    job = job_factory(
        demo_config(tmp_path, server),
        "--spike-window",
        "2",
        "--spike-history",
        "40",
        "--spike-min-history",
        "2",
        "--spike-min-count",
        "2",
        "--spike-ratio",
        "2",
    )
    job.start()
    first = job.settled_count(minimum=5)
    url = append_item(root / "wire.xml", "critical minerals and semiconductor supply chains")
    appended = time.monotonic()
    job.wait_for(lambda: job.count({"term": {"url": url}}), 120, "the appended item to be searchable")
    print(f"\nfreshness: appended item searchable after {time.monotonic() - appended:.1f}s (poll interval 2s)")
    assert job.metric("newsmon_feed_polls_total", outcome="not_modified") > 0
    for probe in ("healthz", "readyz"):
        with urllib.request.urlopen(f"http://127.0.0.1:{job.metrics_port}/{probe}", timeout=10) as resp:
            assert resp.status == 200
    assert job.metric("newsmon_documents_indexed_total", result="created") == first + 1
    assert job.stop() == 0
    total = job.count()
    assert total == first + 1

    # Restart: the feed state comes back from the engine, so unchanged feeds are answered 304
    # and nothing is parsed, indexed or counted again.
    restarted = time.time()
    job.start()
    job.wait_for(
        lambda: job.metric("newsmon_feed_polls_total", outcome="not_modified") >= 6,
        120,
        "three polls of each feed after the restart",
    )
    after = [status for path in ("/wire.xml", "/business.xml") for t, status in server.hits_for(path) if t >= restarted]
    assert after and set(after) == {304}, after
    assert job.metric("newsmon_documents_indexed_total", result="created") == 0
    assert job.metric("newsmon_documents_indexed_total", result="exists") == 0
    assert job.metric("newsmon_relevant_articles_total") == 0
    assert job.metric("newsmon_feed_polls_total", outcome="ok") == 0

    # A feed added to feeds.yaml while the job runs is picked up and indexed.
    (root / "extra.xml").write_text((root / "wire.xml").read_text().replace("Demo Wire", "Demo Extra"))
    extra = append_item(root / "extra.xml", "an extra feed about H-1B visa rules")
    with job.config.open("a") as config:
        config.write(f"  - {{url: '{server.url}/extra.xml', name: Demo Extra}}\n")
    job.wait_for(lambda: job.count({"term": {"url": extra}}), 120, "the added feed's new item")
    assert "feeds file reloaded" in job.log.read_text()
    assert job.stop() == 0
    assert job.versions() == {1}
    assert job.alerts_naming(_urls(job)) == []


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
    (root / "huge.xml").write_bytes(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>'
        + b"<item><title>x</title></item>" * 40_000
        + b"</channel></rss>"
    )
    (root / "latin1.xml").write_bytes(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Lat</title>'
        "<item><title>Caf\xe9 talks: India and US resume tariff négociations</title></item>"
        "<item><description>Only a summary, no title, no link, no date</description></item>"
        "</channel></rss>".encode("latin-1")
    )
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

        def polled(outcome: str = outcome) -> bool:
            return job.metric("newsmon_feed_polls_total", outcome=outcome) >= 1

        job.wait_for(polled, 60, f"a poll counted as {outcome}")
    assert job.metric("newsmon_feed_polls_total", outcome="ok") >= 3
    log = job.log.read_text()
    for url in broken.values():
        assert url in log, f"no log line names {url}"
    dead = [json.loads(line) for line in job.deadletter.read_text().splitlines()]
    assert any(d["reason"] == "not_a_feed" and d["feed_url"] == broken["not_a_feed"] for d in dead)
    # The wrongly declared charset still yields its article; the link- and date-less entry too.
    # Counted as ok when parsed; indexed (and searchable after a refresh) a moment later.
    job.wait_for(
        lambda: job.count({"match_phrase": {"title": "resume tariff"}}) == 1,
        60,
        "the article of the wrongly declared feed",
    )
    assert job.alive()
    assert job.stop() == 0


def test_a_burst_of_trade_articles_raises_one_spike_alert_in_the_alerts_index(
    served: tuple[FeedServer, Path], tmp_path: Path, job_factory: Callable[..., Job]
) -> None:
    server, root = served
    job = job_factory(
        demo_config(tmp_path, server),
        "--spike-window",
        "4",
        "--spike-history",
        "60",
        "--spike-min-history",
        "8",
        "--spike-min-count",
        "4",
        "--spike-ratio",
        "3",
    )
    job.start()
    job.settled_count(minimum=5)
    feed = root / "business.xml"
    steady: list[str] = []
    for n in range(4):  # about one trade story per window: the baseline
        steady.append(append_item(feed, f"tariff cuts for farm exports, round {n}"))
        time.sleep(4)

    assert job.alerts_naming(steady) == []
    burst = [append_item(feed, f"tariff and trade deal on steel and farm goods, part {n}") for n in range(8)]
    started = time.monotonic()
    [alert] = job.wait_for(lambda: job.alerts_naming(burst), 120, "a spike alert for the trade burst")
    print(f"\nspike alert indexed {time.monotonic() - started:.1f}s after the burst")
    assert alert["topic"] == "trade"
    assert alert["count"] >= 8 and alert["ratio"] >= 3
    assert {e["url"] for e in alert["examples"]} <= set(burst) | set(steady)
    assert job.metric("newsmon_topic_spike_ratio", topic="trade") >= 3
    assert job.stop() == 0
