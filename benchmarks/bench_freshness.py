"""Freshness: seconds from an item appearing in a feed to being searchable, on Prism + OpenSearch.

    source .var/stack.env && .venv/bin/python -m benchmarks.bench_freshness [--interval 10] [--items 10]

Starts `newsmon run` over the demo feeds (served by an in-process feed
server) with the given poll interval, appends items one at a time at random
moments within the poll cycle, and measures each item's time to searchable.
Target (DESIGN.md): p95 within one poll interval + 10 s.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from pipeline.feedserver import FeedServer
from tests.support.job import REPO, Job, append_item


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=10.0, help="feed poll interval, seconds")
    parser.add_argument("--items", type=int, default=10)
    args = parser.parse_args()
    search_url = os.environ["ELASTICSEARCH_URL"]
    prism = os.environ["NEWSMON_PRISM_LOCATION"]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        root = tmp / "feeds"
        shutil.copytree(REPO / "deploy" / "local" / "demo-feeds", root)
        server = FeedServer(root)
        server.start_background()
        config = tmp / "feeds.yaml"
        config.write_text(f"defaults: {{interval: {args.interval}s}}\nfeeds:\n"
                          f"  - {{url: '{server.url}/wire.xml', name: Demo Wire}}\n")
        job = Job(tmp, config, search_url, prism)
        job.start()
        try:
            job.settled_count(minimum=1)
            delays = []
            for n in range(args.items):
                time.sleep(rng.uniform(0, args.interval))
                url = append_item(root / "wire.xml", f"benchmark item {n}")
                started = time.monotonic()
                job.wait_for(lambda u=url: job.count({"term": {"url": u}}), args.interval + 120, "the item")
                delays.append(time.monotonic() - started)
                print(f"item {n}: searchable after {delays[-1]:.2f}s", flush=True)
            job.stop()
        finally:
            job.close()
            server.shutdown()
    q = statistics.quantiles(delays, n=20, method="inclusive")
    print(f"poll interval {args.interval:g}s, {len(delays)} items: p50 {statistics.median(delays):.2f}s, "
          f"p95 {q[18]:.2f}s, max {max(delays):.2f}s (target p95 <= {args.interval + 10:g}s)")


if __name__ == "__main__":
    main()
