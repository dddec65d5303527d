"""Parse throughput: newsmon's parse_feed vs plain feedparser vs the fast path alone, same documents, same run.

    .venv/bin/python -m benchmarks.bench_parse [--corpus ../shared/corpus] [--rounds 3] [--min-seconds 2]

Two document sets from the corpus, each read into memory first:

- ``news-feeds``: the 57 real news feeds (about 3,300 items);
- ``large feeds``: ``hostile/large`` (three 1.3–2.5 MB feeds, 1,465 items).

For each set, in this process and one thread:

- **feedparser, default settings**: ``feedparser.parse(io.BytesIO(body))`` (HTML
  sanitising and relative-URI resolution on, as shipped), entries parsed only;
- **fast path alone**: :func:`pipeline.sources.fastparse.parse` (lxml + the
  feedparser-compatible reading); documents it declines count no entries;
- **parse_feed, feedparser only**: ``parse_feed(..., fast=False)``, what newsmon
  did before the fast path (feedparser + normalisation into Articles);
- **parse_feed**: newsmon's entry point (fast path, feedparser fallback,
  normalisation: HTML stripping, URL canonicalisation, ids, dates, language).

Each figure is the best of ``--rounds`` rounds of at least ``--min-seconds`` of
CPU time, as entries per CPU-second, so other load on the machine shows less.
Ratios are against plain feedparser. Nothing is asserted: this prints.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path

import feedparser

from benchmarks.timing import best_rate
from pipeline.core.model import Feed
from pipeline.core.text import decompress
from pipeline.sources import fastparse
from pipeline.sources.parse import MAX_ENTRIES, feedparser_headers, parse_feed

REPO = Path(__file__).resolve().parent.parent

Document = tuple[bytes, Feed]


def load(folder: Path) -> list[Document]:
    docs = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "LICENSES" not in path.parts and path.suffix != ".md":
            docs.append((decompress(path.read_bytes(), 20 * 1024 * 1024), Feed(url=path.resolve().as_uri(), name="")))
    return docs


def plain_feedparser(doc: Document) -> int:
    return len(feedparser.parse(io.BytesIO(doc[0])).entries)


def fast_alone(doc: Document) -> int:
    body, feed = doc
    headers = feedparser_headers(None, feed)
    try:
        return fastparse.parse(body, headers["content-location"], headers, MAX_ENTRIES).total
    except fastparse.Decline:
        return 0


def newsmon_feedparser_only(doc: Document) -> int:
    return parse_feed(doc[0], doc[1], fast=False).entries


def newsmon(doc: Document) -> int:
    return parse_feed(doc[0], doc[1]).entries


def measure(fn: Callable[[Document], int], docs: list[Document], rounds: int, min_seconds: float) -> tuple[float, int]:
    """Best entries per CPU-second over ``rounds`` rounds, and the entries one pass yields."""

    def one_pass() -> int:
        return sum(fn(doc) for doc in docs)

    return best_rate(one_pass, rounds, min_seconds), one_pass()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=os.environ.get("NEWSMON_CORPUS", str(REPO.parent / "shared" / "corpus")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--min-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    sets = {"news-feeds": load(corpus / "news-feeds"), "large feeds": load(corpus / "hostile" / "large")}
    runs: dict[str, Callable[[Document], int]] = {
        "feedparser, default settings": plain_feedparser,
        "fast path alone": fast_alone,
        "parse_feed, feedparser only": newsmon_feedparser_only,
        "parse_feed (fast path + fallback)": newsmon,
    }
    print(
        f"Python {platform.python_version()}, feedparser {feedparser.__version__}, single thread; "
        f"best of {args.rounds} rounds, entries per CPU-second"
    )
    for name, docs in sets.items():
        accepted = sum(parse_feed(body, feed).parser == "fast" for body, feed in docs)
        size = sum(len(body) for body, _ in docs)
        print(f"\n{name}: {len(docs)} documents, {size / 1e6:.1f} MB; fast path accepts {accepted}")
        rates = {label: measure(fn, docs, args.rounds, args.min_seconds) for label, fn in runs.items()}
        baseline = rates["feedparser, default settings"][0]
        for label, (rate, entries) in rates.items():
            print(
                f"  {label:<36} {rate:>10,.0f} entries/s   {rate / baseline:6.1f}x feedparser   "
                f"({entries} entries per pass)"
            )
        gain = rates["parse_feed (fast path + fallback)"][0] / rates["parse_feed, feedparser only"][0]
        print(f"  parse_feed with the fast path vs without it: {gain:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
