"""Scale: many feeds on one machine — a full poll cycle, the cost of an unchanged cycle, memory.

    source .var/stack.env && .venv/bin/python -m benchmarks.bench_scale [--feeds 10000] [--interval 120]

Writes ``--feeds`` small RSS files (3 items each), serves them from an
in-process feed server (ETag/Last-Modified), runs `newsmon run` on Prism over
all of them with the given poll interval, and measures from the job's own
metrics: the first cycle (every feed fetched, parsed, classified, relevant
ones indexed), the second cycle (every feed answered 304: no parse), and the
peak resident memory of the job (Python process + Prism). DESIGN.md target:
10,000 feeds on a 5-minute cycle, < 1.5 GB RSS, unchanged feeds cost no parse.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from pipeline.devtools.feedserver import FeedServer
from tests.support.job import Job

TOPICS = ["tariffs on farm goods", "a defence pact", "H-1B visa rules", "LNG imports", "chip plants"]


def write_feeds(root: Path, n: int) -> None:
    for i in range(n):
        titles = [
            f"US and India discuss {TOPICS[(i + k) % 5]}" if (i + k) % 10 == 0 else f"Local news {i}-{k}"
            for k in range(3)
        ]
        items = "".join(
            f"<item><title>{titles[k]}</title><link>https://scale.example/{i}/{k}</link>"
            f"<description>Story {k} of feed {i}.</description>"
            f"<pubDate>Mon, 02 Nov 2026 10:{k:02d}:00 GMT</pubDate></item>"
            for k in range(3)
        )
        (root / f"f{i}.xml").write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {i}</title>{items}</channel></rss>'
        )


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (Prism), MiB."""
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children first).

    Children are listed per *thread* that started them (``/proc/PID/task/TID/children``):
    the SDK worker processes of ``--sdk-workers`` are started from a gRPC thread, not the main one."""
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids + [g for k in kids for g in descendants(k)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--interval", type=float, default=120.0, help="poll interval, seconds")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        root = tmp / "feeds"
        root.mkdir()
        write_feeds(root, args.feeds)
        server = FeedServer(root)
        server.start_background()
        config = tmp / "feeds.yaml"
        config.write_text(
            f"defaults: {{interval: {args.interval}s}}\nfeeds:\n"
            + "".join(f"  - {{url: '{server.url}/f{i}.xml', name: F{i}}}\n" for i in range(args.feeds))
        )
        job = Job(
            tmp,
            config,
            os.environ["ELASTICSEARCH_URL"],
            os.environ["NEWSMON_PRISM_LOCATION"],
            "--fetch-concurrency",
            str(args.concurrency),
        )
        peak = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(1.0):
                if job.proc is not None:
                    peak[0] = max(peak[0], rss_mb(job.proc.pid))

        threading.Thread(target=sample, daemon=True).start()
        started = time.monotonic()
        job.start()
        try:

            def polls(outcome: str) -> float:
                return job.metric("newsmon_feed_polls_total", outcome=outcome)

            job.wait_for(lambda: polls("ok") >= args.feeds, args.interval * 3 + 600, "the first cycle")
            first = time.monotonic() - started
            job.wait_for(lambda: polls("not_modified") >= 1, args.interval * 2 + 60, "the second cycle to start")
            second_start = time.monotonic()
            job.wait_for(lambda: polls("not_modified") >= args.feeds, args.interval * 2 + 600, "the second cycle")
            second = time.monotonic() - second_start
            parsed_twice = polls("ok") - args.feeds
            classified = sum(job.metric("newsmon_articles_classified_total", relevant=r) for r in ("true", "false"))
            job.stop()
        finally:
            done.set()
            job.close()
            server.shutdown()
    print(f"{args.feeds} feeds, poll interval {args.interval:g}s, fetch concurrency {args.concurrency}")
    print(
        f"first cycle (fetch + parse + classify + index, incl. job start-up): {first:.1f}s "
        f"({args.feeds / first:.0f} feeds/s); {classified:.0f} articles classified by the end"
    )
    print(f"second cycle (all 304 Not Modified): {second:.1f}s, feeds parsed again: {parsed_twice:.0f}")
    print(f"peak RSS, job + Prism: {peak[0]:.0f} MiB (target < 1536 MiB)")


if __name__ == "__main__":
    main()
