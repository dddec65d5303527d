"""Story grouping: pairwise quality on labelled pairs, throughput per core, memory of the window.

    .venv/bin/python -m benchmarks.bench_stories [--quality-only] [--window-articles 1000000]
    source .var/stack.env && .venv/bin/python -m benchmarks.bench_stories --engine 5000

* **Quality**: precision and recall over ``tests/data/story-pairs.jsonl`` (real article pairs from
  ``$NEWSMON_CORPUS/news-feeds`` and the project's labelled sets, each labelled same story / different;
  see ``tests/data/LABELS.md``). Grouping runs as in the job, over every article of the files involved
  in publication order; a second figure groups the whole corpus, more chances for a false merge.
* **Throughput** (articles per CPU-second = per core, best of ``--rounds``): features + MinHash + bands
  alone, and the whole step (bands + decision + claims) over the in-memory band store, on the corpus
  articles.
* **Memory of the window**: the in-memory store (one process holding every claim: what a single worker
  would need without the engine) filled with ``--fit`` distinct articles one every ``--spacing`` seconds,
  measured at several sizes by the growth of the process's peak RSS (ru_maxrss); the figure at the target
  size (``--window-articles``) is measured when it fits, else extrapolated per claim: the bands of every
  article of the window and the event keys of the articles of the last event window (they expire sooner),
  and the output says which. ``--text-only`` measures throughput and memory without the event channel. In the job the
  claims live in the engine (``news-stories``): the job holds one batch; ``--engine N`` groups N articles
  through the real engine and reports its rate and the store size per article.
Nothing is asserted: this prints.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from benchmarks.timing import best_rate
from pipeline.devtools.evaluate import corpus_dir
from pipeline.devtools.story_pairs import Text, evaluate, load_pairs, read_file, score_by_set
from pipeline.stories import DEFAULT_PARAMS, MemoryBandStore, StoryGrouper, StoryInput, StoryParams, article_bands
from pipeline.stories.events import is_event_key
from pipeline.stories.signature import _feature_hash


def corpus_texts(corpus: Path) -> list[Text]:
    texts: list[Text] = []
    for f in sorted((corpus / "news-feeds").rglob("*")):
        if f.is_file() and f.suffix in (".xml", ".rss", ".atom", ".gz", "") and "LICENSE" not in f.name:
            texts += read_file(f"corpus/{f.relative_to(corpus)}", corpus)
    return texts


def quality(corpus: Path) -> None:
    """Each figure with the event channel (the default) and without it (near-identical text only)."""
    text_only = replace(DEFAULT_PARAMS, event_terms=0)
    for scope in ("files", "all"):
        for label, params in (("text + events", DEFAULT_PARAMS), ("text only", text_only)):
            scores, wrong = evaluate(corpus, params, scope=scope)
            print(f"quality ({scope}, {label}): " + json.dumps(scores.to_dict()))
            for name, part in score_by_set(load_pairs(), wrong).items():
                print(f"  set {name}: " + json.dumps(part.to_dict()))
            if scope == "files" and params is DEFAULT_PARAMS:
                for p in wrong:
                    print(f"  {'missed' if p.same else 'merged'} ({p.set}): {p.note}")


def throughput(texts: list[Text], rounds: int, params: StoryParams = DEFAULT_PARAMS) -> None:
    sample = texts[:2000]

    # Each pass starts with datasketch's feature hashes un-memoised: a pass is 2,000 distinct articles.
    def bands_only() -> int:
        _feature_hash.cache_clear()
        for t in sample:
            article_bands(t.title, t.lead, params)
        return len(sample)

    def whole_step() -> int:
        _feature_hash.cache_clear()
        grouper = StoryGrouper(MemoryBandStore(params), params)
        for i, t in enumerate(sample):
            grouper.assign([StoryInput(t.article_id, float(i), article_bands(t.title, t.lead, params))])
        return len(sample)

    print(f"throughput: features + MinHash + bands {best_rate(bands_only, rounds, 1.0):,.0f} articles/s per core")
    print(
        f"throughput: whole grouping step (memory store) {best_rate(whole_step, rounds, 1.0):,.0f} articles/s per core"
    )


def synthetic(
    texts: list[Text], n: int, seed: int = 15, params: StoryParams = DEFAULT_PARAMS
) -> Iterator[tuple[str, ...]]:
    """Band keys of ``n`` distinct articles: corpus leads with their words shuffled (same length and
    vocabulary as real news, no two alike), made one at a time so only the store holds them."""
    rng = random.Random(seed)
    for i in range(n):
        t = texts[i % len(texts)]
        words = f"{t.title} {t.lead}".split()
        rng.shuffle(words)
        yield article_bands(" ".join(words[:8]), " ".join(words[8:]) + f" w{i}", params)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory(
    texts: list[Text], target: int, fit: int, params: StoryParams = DEFAULT_PARAMS, spacing_s: float = 1.0
) -> None:
    sizes = sorted({s for s in (25_000, 50_000, 100_000, 200_000, fit) if s <= fit})
    keys = synthetic(texts, sizes[-1], params=params)
    store = MemoryBandStore(params)
    grouper = StoryGrouper(store, params)
    base = rss_mib()
    done = 0
    for size in sizes:
        for i in range(done, size):
            grouper.assign([StoryInput(f"a{i}", i * spacing_s, next(keys))])
        done = size
        print(
            f"memory: {size:,} articles in the window: {len(store):,} claims, "
            f"+{rss_mib() - base:,.0f} MiB peak RSS over the process before filling"
        )
    growth = rss_mib() - base
    events = sum(is_event_key(k) for k in store.claims)
    bands = len(store) - events
    # Bands live for the whole window, event keys for the event window only: at the target size the store
    # holds the bands of every article and the event keys of the articles of the last event window.
    recent = min(done, int(params.event_window_s / spacing_s) + 1)
    at_target = bands / done * target + events / recent * min(target, int(params.event_window_s / spacing_s) + 1)
    # The synthetic articles reuse the corpus's names, so they share event keys more than real news does:
    # the upper bound counts every article's own event keys as distinct.
    most = sum(max(0, params.event_terms - 1 - i) for i in range(min(params.event_anchors, params.event_terms)))
    upper = bands / done * target + most * min(target, int(params.event_window_s / spacing_s) + 1)
    per_claim = growth / max(1, len(store))
    figure = "measured" if done >= target else "extrapolated per claim"
    print(
        f"memory: {bands / done:.1f} band claims per article, {events / recent:.1f} event-key claims per "
        f"article of the last {params.event_window_s / 3600:.0f} h (one article every {spacing_s:g} s; at most "
        f"{most}), {per_claim * 1024 * 1024:.0f} bytes per claim"
    )
    print(
        f"memory at {target:,} articles ({figure}): {per_claim * at_target:,.0f} MiB "
        f"({per_claim * at_target / target * 1024:.2f} KiB per article); with every event key distinct "
        f"{per_claim * upper:,.0f} MiB ({per_claim * upper / target * 1024:.2f} KiB per article)"
    )


def engine(texts: list[Text], n: int, params: StoryParams = DEFAULT_PARAMS) -> None:
    from pipeline.core import config
    from pipeline.sinks.document import stories_template
    from pipeline.sinks.search import SearchWriter
    from pipeline.sinks.stories import EngineBandStore

    settings = config.search_settings()
    writer = SearchWriter(settings)
    writer.connect()
    index = f"news-stories-bench-{os.getpid()}"
    template = stories_template()["template"]
    writer.client.request("PUT", f"/{index}", {"settings": template["settings"], "mappings": template["mappings"]})
    try:
        keys = list(synthetic(texts, n, params=params))
        grouper = StoryGrouper(EngineBandStore(writer, index), params)
        batch = 10  # about one feed's new entries
        started, cpu = time.monotonic(), time.process_time()
        for i in range(0, n, batch):
            grouper.assign([StoryInput(f"a{j}", float(j), keys[j]) for j in range(i, min(n, i + batch))])
        wall, used = time.monotonic() - started, time.process_time() - cpu
        writer.client.request("POST", f"/{index}/_refresh")
        writer.client.request("POST", f"/{index}/_forcemerge?max_num_segments=1")
        stats = writer.client.request("GET", f"/{index}/_stats/store,docs")["_all"]["primaries"]
        size = stats["store"]["size_in_bytes"]
        print(
            f"engine: {n:,} articles in batches of {batch}: {n / wall:,.0f} articles/s wall, "
            f"{n / max(used, 1e-9):,.0f} per CPU-second of the job; {stats['docs']['count']:,} claims, "
            f"{size / n:,.0f} bytes per article in the engine (≈ {size / n * 1_000_000 / 2**30:.1f} GiB "
            "at 1M articles)"
        )
    finally:
        writer.client.request("DELETE", f"/{index}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--window-articles", type=int, default=1_000_000, help="target window size")
    parser.add_argument("--fit", type=int, default=100_000, help="largest window actually filled here")
    parser.add_argument("--engine", type=int, default=0, help="also group N articles through the engine")
    parser.add_argument("--text-only", action="store_true", help="throughput and memory without the event channel")
    parser.add_argument(
        "--spacing",
        type=float,
        default=1.0,
        help="seconds between the window's articles in the memory figure (1M articles in 7 days: 0.6)",
    )
    args = parser.parse_args(argv)
    corpus = corpus_dir()
    print(
        f"python {sys.version.split()[0]}, params {DEFAULT_PARAMS}, bands x rows {DEFAULT_PARAMS.bands} "
        f"+ headline {DEFAULT_PARAMS.title_bands}"
    )
    if not args.skip_quality:
        quality(corpus)
    if args.quality_only:
        return 0
    params = replace(DEFAULT_PARAMS, event_terms=0) if args.text_only else DEFAULT_PARAMS
    texts = corpus_texts(corpus)
    throughput(texts, args.rounds, params)
    memory(texts, args.window_articles, args.fit, params, args.spacing)
    if args.engine:
        engine(texts, args.engine, params)
    return 0


if __name__ == "__main__":
    sys.exit(main())
