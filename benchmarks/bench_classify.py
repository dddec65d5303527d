"""Classification throughput: ``classify`` vs one compiled regular-expression scan, same texts, same run.

    .venv/bin/python -m benchmarks.bench_classify [--gold tests/data/dev.jsonl] [--rounds 5] [--min-seconds 1]

With ``--real`` the articles are the labelled real feed items (items naming India, most of them only
India, so decided by a gate); with ``--stream`` every entry of every feed file in
``$NEWSMON_CORPUS/news-feeds``, read as the pipeline reads it — a real stream's mix, where most items
name neither side and few name both. ``stage 1 only`` is the previous classifier (``use_stage2=False``), the
baseline for what stage 2 costs. All run single-threaded in this process over the same texts (title,
summary, body; each article's ``language`` passed as the pipeline passes it, and a second figure with
language detection). The baseline is what a naive detector would do: one compiled, case-insensitive
regular expression of the core US and India names (word-bounded alternation) scanned over the
same title + summary + body, keeping the articles in which both sides appear. Each figure is the
best of ``--rounds`` timed rounds (each at least ``--min-seconds`` of CPU time), as articles per
CPU-second — articles/s per core — so other load on the machine shows less. The target from
DESIGN.md is >= 20,000 articles/s per core for ``classify``. Nothing is asserted: this prints.

The first line says which implementation ran (:mod:`pipeline.detect.compiled`: the hot modules compiled
by mypyc, or their Python sources); ``--pure-too`` measures the Python sources as well, in a child
process with ``NEWSMON_PURE_PYTHON=1``, right after, on the same texts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks.timing import best_rate
from pipeline.detect import classify, compiled

REPO = Path(__file__).resolve().parent.parent
TARGET = 20_000
US_NAMES = (
    "United States",
    "U.S.",
    "US",
    "USA",
    "America",
    "American",
    "Americans",
    "Washington",
    "White House",
    "Trump",
    "Biden",
    "Pentagon",
    "State Department",
)
INDIA_NAMES = ("India", "Indian", "Indians", "New Delhi", "Delhi", "Modi", "Jaishankar", "भारत", "भारतीय")

Article = tuple[str, str, str, str | None]


def load(path: Path) -> list[Article]:
    articles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            articles.append((item["title"], item.get("summary") or "", item.get("body") or "", item.get("language")))
    return articles


def load_stream(root: Path) -> list[Article]:
    """Every entry of every feed file under ``root`` (the corpus's ``news-feeds``), normalised by the pipeline."""
    from datetime import UTC, datetime

    import feedparser

    from pipeline.core.model import Article as Entry
    from pipeline.core.model import Feed
    from pipeline.sources.parse import normalise_entry

    now = datetime(2030, 1, 1, tzinfo=UTC)
    articles: list[Article] = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".xml", ".rss", ".atom") or not path.is_file():
            continue
        parsed = feedparser.parse(str(path), sanitize_html=False, resolve_relative_uris=True)
        feed = Feed(url=f"file:{path.name}", name=path.parent.name)
        for entry in parsed.get("entries") or []:
            article = normalise_entry(entry, feed, None, "", now)
            if isinstance(article, Entry):
                articles.append((article.title, article.summary, article.body, "en"))
    return articles


def baseline_pattern() -> re.Pattern[str]:
    names = sorted((*US_NAMES, *INDIA_NAMES), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(name) for name in names) + r")(?!\w)", re.IGNORECASE)


def regex_baseline(pattern: re.Pattern[str]) -> Callable[[Article], bool]:
    us = {name.lower() for name in US_NAMES}

    def scan(article: Article) -> bool:
        title, summary, body, _ = article
        sides = {"us" if m.group().lower() in us else "india" for m in pattern.finditer(f"{title}\n{summary}\n{body}")}
        return len(sides) == 2

    return scan


def stage1_only(article: Article) -> bool:
    return classify(article[0], article[1], article[2], article[3], use_stage2=False).relevant


def with_language(article: Article) -> bool:
    return classify(article[0], article[1], article[2], article[3]).relevant


def detecting_language(article: Article) -> bool:
    return classify(article[0], article[1], article[2], None).relevant


def measure(fn: Callable[[Article], bool], articles: list[Article], rounds: int, min_seconds: float) -> float:
    """Best articles per CPU-second over ``rounds`` rounds."""

    def one_pass() -> int:
        for article in articles:
            fn(article)
        return len(articles)

    return best_rate(one_pass, rounds, min_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(REPO / "tests" / "data" / "dev.jsonl"), help="JSONL of articles")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument(
        "--real", action="store_true", help="the real labelled feed items ($NEWSMON_REAL_LABELS) instead of --gold"
    )
    parser.add_argument(
        "--stream",
        action="store_true",
        help="every entry of the corpus's news-feeds ($NEWSMON_CORPUS) instead of --gold",
    )
    parser.add_argument(
        "--pure-too", action="store_true", help="then measure the Python sources too (NEWSMON_PURE_PYTHON=1)"
    )
    args = parser.parse_args(argv)
    if args.stream:
        from pipeline.devtools.evaluate import corpus_dir

        articles = load_stream(corpus_dir() / "news-feeds")
        args.gold = "every entry of the corpus's news-feeds"
    elif args.real:
        from pipeline.devtools.evaluate import load_real_labels

        articles = [(i.title, i.summary, i.body, "en") for i in load_real_labels()]
        args.gold = "the real labelled items"
    else:
        articles = load(Path(args.gold))
    classify("warm-up: build the automaton", "")
    pattern = baseline_pattern()
    runs = {
        "regex baseline (one compiled pattern)": regex_baseline(pattern),
        "stage 1 only (the previous classify)": stage1_only,
        "classify (language given)": with_language,
        "classify (language detected)": detecting_language,
    }
    rates = {label: measure(fn, articles, args.rounds, args.min_seconds) for label, fn in runs.items()}
    baseline = rates["regex baseline (one compiled pattern)"]
    print(
        f"{len(articles)} articles from {args.gold}; Python {platform.python_version()}, single process; "
        f"best of {args.rounds} rounds, articles per CPU-second; detector: {compiled.status()}"
    )
    for label, rate in rates.items():
        print(f"  {label:<40} {rate:>10,.0f} articles/s per core   {rate / baseline:5.2f}x baseline")
    print(
        f"  stage 2 costs {rates['stage 1 only (the previous classify)'] / rates['classify (language given)']:.2f}x "
        "stage 1's time per article"
    )
    rate = rates["classify (language given)"]
    print(f"target >= {TARGET:,} articles/s per core: {'met' if rate >= TARGET else 'NOT met'} ({rate:,.0f})")
    if args.pure_too:
        child = [a for a in (sys.argv[1:] if argv is None else argv) if a != "--pure-too"]
        sys.stdout.flush()
        env = {**os.environ, compiled.PURE_ENV: "1"}
        return subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_classify", *child], env=env, check=False
        ).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
