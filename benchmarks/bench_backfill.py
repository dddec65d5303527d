"""Backfill throughput: the Beam pipeline vs a plain single-process Python loop doing the same work.

    .venv/bin/python -m benchmarks.bench_backfill [--corpus ../shared/corpus] [--runs 3]

Both read the same feed files, parse + normalise them, drop duplicate ids and
classify every unique article. The baseline is measured in the same run; the
figure that matters is the ratio (target from DESIGN.md: pipeline within 3x).
Prints articles/s for each and the ratio; nothing is indexed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.core.model import Feed
from pipeline.core.text import decompress
from pipeline.detect import classify
from pipeline.sources.parse import parse_feed
from pipeline.transforms.graph import expand_inputs

REPO = Path(__file__).resolve().parent.parent


def plain_loop(paths: list[str]) -> tuple[int, float]:
    started = time.perf_counter()
    seen: set[str] = set()
    relevant = 0
    for path in paths:
        try:
            body = decompress(Path(path).read_bytes(), 20 * 1024 * 1024)
        except (OSError, ValueError):
            continue
        parsed = parse_feed(body, Feed(url=Path(path).resolve().as_uri(), name=""))
        for article in parsed.articles:
            if article.article_id in seen:
                continue
            seen.add(article.article_id)
            relevant += classify(article.title, article.summary, article.body, article.language).relevant
    return len(seen), time.perf_counter() - started


def pipeline_run(inputs: list[str]) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.json"
        args = [
            sys.executable,
            "-m",
            "pipeline.app.cli",
            "backfill",
            "--no-index",
            "--summary-json",
            str(summary),
            "--deadletter",
            str(Path(tmp) / "dl.jsonl"),
            "--output",
            str(Path(tmp) / "out.jsonl"),
        ]
        for spec in inputs:
            args += ["--input", spec]
        started = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, cwd=REPO, env={**os.environ, "NEWSMON_PROGRESS": "0"})
        wall = time.perf_counter() - started
        data = json.loads(summary.read_text())
        return int(data["articles"]), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=os.environ.get("NEWSMON_CORPUS", str(REPO.parent / "shared" / "corpus")))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    inputs = [str(Path(args.corpus) / d) for d in ("feedparser-tests", "news-feeds", "hostile")]
    paths = expand_inputs(inputs)
    base, pipe = [], []
    for _ in range(args.runs):
        n_base, t_base = plain_loop(paths)
        n_pipe, t_pipe = pipeline_run(inputs)
        base.append(t_base)
        pipe.append(t_pipe)
    tb, tp = statistics.median(base), statistics.median(pipe)
    print(f"files: {len(paths)}  unique articles: loop {n_base}, pipeline {n_pipe}")
    print(f"plain loop       : {tb:6.2f} s  {n_base / tb:8.0f} articles/s (median of {args.runs})")
    print(f"backfill (Direct): {tp:6.2f} s  {n_pipe / tp:8.0f} articles/s (wall clock incl. interpreter start)")
    print(f"ratio pipeline/loop: {tp / tb:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
