"""Hostile servers: healthy feeds beside slow, silent, looping, huge, bombing and lying ones.

    source .var/stack.env && .venv/bin/python -m benchmarks.bench_hostile [--duration 300] [--interval 20]

The workload of the poller issue: 25 feeds, 15 healthy (the demo feeds under 15
names, on 127.0.0.1) and 10 misbehaving (on 127.0.0.2, another host for the
per-host cap): a body trickled at 1 byte/s, a server that never answers, a
redirect loop, a 2.5 MB feed, a gzip bomb (200 MB of zeros in 200 KB), an
entity bomb, an ETag that changes on every answer, 429 with Retry-After,
410 Gone and 500. `newsmon run` polls them for ``--duration`` seconds while a
new US–India item is added to a healthy feed every ``--add-every`` seconds.

Prints: polls per healthy feed against the schedule, freshness of the added
items (added → searchable, p50/p95/max), outcomes counted for the hostile feeds,
peak RSS of job + Prism, and the time from SIGTERM to exit.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bench_scale import rss_mb
from pipeline.devtools.feedserver import FeedServer
from tests.conftest import corpus_dir
from tests.support.job import REPO, Job, append_item

DEMO = REPO / "deploy" / "local" / "demo-feeds"
HEALTHY = 15


def prepare(root: Path) -> None:
    for i in range(HEALTHY):
        src = DEMO / ("wire.xml" if i % 2 else "business.xml")
        (root / f"healthy{i}.xml").write_text(src.read_text().replace("<title>Demo", f"<title>Healthy {i} Demo"))
    corpus = corpus_dir()
    shutil.copy(corpus / "hostile" / "large" / "jtemporal_2.5MB.xml", root / "huge.xml")
    shutil.copy(corpus / "hostile" / "xml-bombs" / "cyclic.xml", root / "cyclic.xml")
    (root / "bomb.xml.gz").write_bytes(gzip.compress(b"<rss>" + b"\0" * 200_000_000, compresslevel=9))
    (root / "billion.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + k)} "{("&" + chr(97 + k) + ";") * 10}">' for k in range(8))
        + ']><rss version="2.0"><channel><title>t</title><item><title>&i;</title></item></channel></rss>'
    )


def hostile_feeds(bad: FeedServer) -> dict[str, str]:
    return {
        "drip": f"{bad.url}/healthy0.xml?drip=1",
        "hang": f"{bad.url}/healthy1.xml?hang=1",
        "loop": f"{bad.url}/loop/0",
        "huge": f"{bad.url}/huge.xml",
        "gzip_bomb": f"{bad.url}/bomb.xml.gz?encoded=gzip",
        "entity_bomb": f"{bad.url}/billion.xml",
        "cyclic": f"{bad.url}/cyclic.xml",
        "lying_etag": f"{bad.url}/healthy2.xml?etag=random",
        "rate_limited": f"{bad.url}/healthy3.xml?status=429&retry_after=120",
        "gone": f"{bad.url}/healthy4.xml?status=410",
        "error": f"{bad.url}/healthy5.xml?status=500",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of polling to measure")
    parser.add_argument("--interval", type=float, default=20.0, help="poll interval of every feed, seconds")
    parser.add_argument("--add-every", type=float, default=20.0, help="seconds between added items")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        root = tmp / "feeds"
        root.mkdir()
        prepare(root)
        good, bad = FeedServer(root, "127.0.0.1", 0), FeedServer(root, "127.0.0.2", 0)
        for server in (good, bad):
            server.start_background()
        hostile = hostile_feeds(bad)
        config = tmp / "feeds.yaml"
        config.write_text(
            f"defaults: {{interval: {args.interval:g}s}}\nfeeds:\n"
            + "".join(f"  - {{url: '{good.url}/healthy{i}.xml', name: Healthy {i}}}\n" for i in range(HEALTHY))
            + "".join(f"  - {{url: '{u}', name: {n}}}\n" for n, u in hostile.items())
        )
        job = Job(tmp, config, os.environ["ELASTICSEARCH_URL"], os.environ["NEWSMON_PRISM_LOCATION"])
        peak = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(1.0):
                if job.proc is not None and job.proc.poll() is None:
                    peak[0] = max(peak[0], rss_mb(job.proc.pid))

        threading.Thread(target=sample, daemon=True).start()
        freshness: list[float] = []
        try:
            job.start()
            job.settled_count(minimum=5)
            started = time.time()
            n = 0
            while time.time() - started < args.duration:
                feed = root / f"healthy{6 + n % (HEALTHY - 6)}.xml"  # files the hostile feeds do not reuse
                url = append_item(feed, f"hostile benchmark item {n}")
                added = time.monotonic()
                job.wait_for(functools.partial(job.count, {"term": {"url": url}}), args.interval + 120, f"item {n}")
                freshness.append(time.monotonic() - added)
                n += 1
                time.sleep(max(0.0, args.add_every - (time.monotonic() - added)))
            elapsed = time.time() - started
            polls = [len([t for t, _ in good.hits_for(f"/healthy{i}.xml") if t >= started]) for i in range(HEALTHY)]
            outcomes = {
                o: job.metric("newsmon_feed_polls_total", outcome=o)
                for o in (
                    "ok",
                    "unchanged",
                    "not_modified",
                    "timeout",
                    "http_error",
                    "too_large",
                    "parse_error",
                    "not_a_feed",
                    "rate_limited",
                    "gone",
                    "refused",
                )
            }
            rate_limited_asks = len(bad.hits_for("/healthy3.xml?status=429"))
            stopping = time.monotonic()
            code = job.stop()
            shutdown = time.monotonic() - stopping
        finally:
            done.set()
            job.close()
            for server in (good, bad):
                server.shutdown()
    expected = elapsed / args.interval
    freshness.sort()
    p95 = freshness[min(len(freshness) - 1, int(0.95 * len(freshness)))]
    print(f"{HEALTHY} healthy + {len(hostile)} hostile feeds, interval {args.interval:g}s, {elapsed:.0f}s measured")
    print(
        f"polls per healthy feed: min {min(polls)}, median {statistics.median(polls):.0f}, max {max(polls)} "
        f"(schedule: {expected:.1f}; a poll is due at the first tick after its interval)"
    )
    print(
        f"freshness of {len(freshness)} added items: p50 {statistics.median(freshness):.1f}s, "
        f"p95 {p95:.1f}s, max {freshness[-1]:.1f}s (target: interval + 10 s = {args.interval + 10:g}s)"
    )
    print("poll outcomes: " + ", ".join(f"{k} {v:.0f}" for k, v in outcomes.items() if v))
    print(f"429 feed asked {rate_limited_asks} time(s) (Retry-After 120 s)")
    print(f"peak RSS, job + Prism: {peak[0]:.0f} MiB")
    print(f"SIGTERM → exit: {shutdown:.1f}s, exit status {code}")


if __name__ == "__main__":
    main()
