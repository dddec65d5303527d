"""Freshness: seconds from an item appearing in a feed to being searchable, on Prism or Flink + OpenSearch.

    source .var/stack.env && .venv/bin/python -m benchmarks.bench_freshness [--interval 10] [--items 10] \
        [--runner prism|flink|both]

Starts `newsmon run` over the demo feeds (served by an in-process feed
server) with the given poll interval, appends items one at a time at random
moments within the poll cycle, and measures each item's time to searchable.
Target (DESIGN.md): p95 within one poll interval + 10 s. ``--runner flink``
runs the job on the local Flink cluster (deploy/local/stack.sh up flink,
started here if needed; PROCESS SDK workers, a checkpoint every 5 s);
``both`` measures Prism and then Flink with the same feeds, interval and item
moments and prints Flink's figures as ratios to Prism's.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from pipeline.devtools.feedserver import FeedServer
from tests.support.flinkcluster import FlinkCluster, flink_run_args, unique_job_name
from tests.support.job import REPO, Job, append_item


def measure(runner: str, interval: float, items: int) -> list[float]:
    """Seconds to searchable of ``items`` items appended to a feed polled every ``interval`` on ``runner``."""
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
        config.write_text(
            f"defaults: {{interval: {interval}s}}\nfeeds:\n  - {{url: '{server.url}/wire.xml', name: Demo Wire}}\n"
        )
        extra = flink_run_args(tmp, unique_job_name()) if runner == "flink" else []
        job = Job(tmp, config, search_url, prism, *extra)
        started_at = time.monotonic()
        job.start()
        try:
            job.settled_count(minimum=1, timeout=300)
            print(f"{runner}: first documents searchable {time.monotonic() - started_at:.0f}s after start", flush=True)
            delays = []
            for n in range(items):
                time.sleep(rng.uniform(0, interval))
                url = append_item(root / "wire.xml", f"benchmark item {n}")
                started = time.monotonic()
                job.wait_for(functools.partial(job.count, {"term": {"url": url}}), interval + 120, "the item")
                delays.append(time.monotonic() - started)
                print(f"{runner} item {n}: searchable after {delays[-1]:.2f}s", flush=True)
            job.stop()
        finally:
            job.close()
            server.shutdown()
    return delays


def summary(delays: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(delays, n=20, method="inclusive")
    return statistics.median(delays), q[18], max(delays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=10.0, help="feed poll interval, seconds")
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--runner", choices=("prism", "flink", "both"), default="prism")
    args = parser.parse_args()
    runners = ["prism", "flink"] if args.runner == "both" else [args.runner]
    cluster = FlinkCluster() if "flink" in runners else None
    if cluster is not None:
        cluster.up()
    try:
        results = {runner: summary(measure(runner, args.interval, args.items)) for runner in runners}
    finally:
        if cluster is not None:
            cluster.down()
    for runner, (p50, p95, top) in results.items():
        print(
            f"{runner}: poll interval {args.interval:g}s, {args.items} items: p50 {p50:.2f}s, p95 {p95:.2f}s, "
            f"max {top:.2f}s (target p95 <= {args.interval + 10:g}s)"
        )
    if len(results) == 2:
        (p50a, p95a, _), (p50b, p95b, _) = results["prism"], results["flink"]
        print(f"flink / prism: p50 x{p50b / p50a:.2f}, p95 x{p95b / p95a:.2f}")


if __name__ == "__main__":
    main()
