"""HTML-to-text throughput: ``strip_html`` vs the regular expressions it replaced, same texts, same run.

    .venv/bin/python -m benchmarks.bench_text [--corpus ../shared/corpus] [--rounds 5] [--min-seconds 1]

The texts are the title, summary and body (longest ``content`` value) of every
entry in ``news-feeds/``, read with feedparser as :mod:`pipeline.sources.parse`
reads them (no sanitising, relative URIs resolved). Three workloads:

- **per article**: title + summary + body, i.e. the three calls ``parse`` makes
  for each entry (most titles and many summaries are plain text and take the
  fast path);
- **summaries**: the summaries alone;
- **markup only**: the inputs that contain ``<`` or ``&``, the parser path.

The baseline is the previous implementation (five regular expressions and
``html.unescape``), kept here verbatim for the comparison. Each figure is the
best of ``--rounds`` rounds of at least ``--min-seconds`` of CPU time, as
calls (or articles) per CPU-second. The number of inputs whose text differs
between the two is printed too. Nothing is asserted: this prints.
"""

from __future__ import annotations

import argparse
import html
import platform
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import feedparser
from lxml import etree

from benchmarks.timing import best_rate
from pipeline.core.text import strip_html

REPO = Path(__file__).resolve().parent.parent

# The implementation before issue 9, as it was.
_DROP_BLOCKS = re.compile(r"<(script|style|noscript)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|p|li)\b[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_SPACE = re.compile(r"\s+")


def regex_strip_html(text: str) -> str:
    if "<" not in text and "&" not in text:
        return _SPACE.sub(" ", text).strip()
    text = _COMMENTS.sub(" ", text)
    text = _DROP_BLOCKS.sub(" ", text)
    text = _BREAKS.sub(" ", text)
    text = _TAGS.sub("", text)
    return _SPACE.sub(" ", html.unescape(text).replace("\xa0", " ")).strip()


Entry = tuple[str, str, str]


def load(corpus: Path) -> list[Entry]:
    entries = []
    for path in sorted((corpus / "news-feeds").rglob("*.xml")):
        parsed = feedparser.parse(path.read_bytes(), sanitize_html=False, resolve_relative_uris=True)
        for entry in parsed.entries:
            body = ""
            for content in entry.get("content") or []:
                value = content.get("value") or ""
                if len(value) > len(body):
                    body = value
            summary = entry.get("summary") or entry.get("description") or ""
            entries.append((str(entry.get("title") or ""), str(summary), str(body)))
    return entries


def measure(fn: Callable[[str], str], items: Sequence[tuple[str, ...]], rounds: int, min_seconds: float) -> float:
    """Best items per CPU-second over ``rounds`` rounds; an item is one entry's texts, all passed to ``fn``."""

    def one_pass() -> int:
        for item in items:
            for value in item:
                fn(value)
        return len(items)

    return best_rate(one_pass, rounds, min_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpus"), help="feed corpus folder")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    entries = load(Path(args.corpus))
    values = [value for entry in entries for value in entry]
    marked = [value for value in values if "<" in value or "&" in value]
    workloads: dict[str, tuple[Sequence[tuple[str, ...]], str]] = {
        "per article (title+summary+body)": (entries, "articles"),
        "summaries": ([(summary,) for _, summary, _ in entries], "calls"),
        "markup only (< or &)": ([(value,) for value in marked], "calls"),
    }
    strip_html("<p>warm-up: build the parser</p>")
    differ = sum(strip_html(value) != regex_strip_html(value) for value in values)
    print(
        f"{len(entries)} entries, {len(values)} texts ({len(marked)} with markup, mean "
        f"{sum(map(len, marked)) / max(1, len(marked)):,.0f} chars) from {args.corpus}/news-feeds; "
        f"Python {platform.python_version()}, lxml {etree.__version__} (libxml2 "
        f"{'.'.join(map(str, etree.LIBXML_VERSION))}); best of {args.rounds} rounds, per CPU-second"
    )
    for label, (items, unit) in workloads.items():
        new = measure(strip_html, items, args.rounds, args.min_seconds)
        old = measure(regex_strip_html, items, args.rounds, args.min_seconds)
        print(
            f"  {label:<34} strip_html {new:>10,.0f} {unit}/s ({1e6 / new:6.1f} us)   "
            f"regex {old:>10,.0f} {unit}/s ({1e6 / old:6.1f} us)   {new / old:5.2f}x"
        )
    print(f"  texts whose result differs from the regex version: {differ} of {len(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
