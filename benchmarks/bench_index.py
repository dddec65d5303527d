"""Indexing throughput: newsmon's bulk writer vs the client's own ``helpers.bulk``, same engine, same run.

    source .var/stack.env && .venv/bin/python -m benchmarks.bench_index [--docs 20000] [--batch 500] [--runs 3]

Both write the same synthetic article documents (create op, id = article id)
into fresh indices of the engine at $ELASTICSEARCH_URL, in batches of
``--batch``; each run refreshes and deletes its indices. Prints documents/s
for each and the ratio writer/helpers (target >= 0.9).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from typing import Any

from pipeline.core.config import SearchSettings
from pipeline.sinks.document import article_index
from pipeline.sinks.engines import HttpClient, probe
from pipeline.sinks.search import SearchWriter


def documents(n: int) -> list[dict[str, Any]]:
    words = [
        "tariff",
        "trade",
        "deal",
        "defence",
        "visa",
        "semiconductor",
        "energy",
        "summit",
        "India",
        "United",
        "States",
        "Washington",
        "New",
        "Delhi",
        "minister",
        "talks",
        "agreement",
        "supply",
        "chain",
        "investment",
    ]
    return [
        {
            "article_id": uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{i}").hex,
            "url": f"https://bench.example/{i}",
            "title": " ".join(words[(i + k) % len(words)] for k in range(8)),
            "summary": " ".join(words[(i * 7 + k) % len(words)] for k in range(40)),
            "source": f"Outlet {i % 20}",
            "feed_url": "https://bench.example/rss",
            "language": "en",
            "published_at": f"202{5 + i % 2}-0{1 + i % 9}-1{i % 10}T10:00:00Z",
            "published_at_estimated": False,
            "@timestamp": "2026-01-01T00:00:00Z",
            "relevant": True,
            "relevance_score": 0.8,
            "topics": ["trade", "technology"][: 1 + i % 2],
            "entities": ["Narendra Modi", "White House"],
            "matched_terms": ["India", "US"],
            "evidence": {"rule": "bench"},
        }
        for i in range(n)
    ]


def run_writer(settings: SearchSettings, docs: list[dict[str, Any]], batch: int) -> float:
    writer = SearchWriter(settings)
    writer.connect()
    writer.ensure_templates()
    started = time.perf_counter()
    for i in range(0, len(docs), batch):
        report = writer.write(docs[i : i + batch])
        assert not report.failed, report.failed[:1]
    return time.perf_counter() - started


def run_helpers(settings: SearchSettings, engine: str, docs: list[dict[str, Any]], batch: int) -> float:
    actions = [
        {"_op_type": "create", "_index": article_index(settings.index, d), "_id": d["article_id"], "_source": d}
        for d in docs
    ]
    if engine == "opensearch":
        from opensearchpy import OpenSearch
        from opensearchpy import helpers as os_helpers

        client: Any = OpenSearch(hosts=[settings.url], timeout=60)
        started = time.perf_counter()
        os_helpers.bulk(client, actions, chunk_size=batch, max_chunk_bytes=50 * 1024 * 1024)
    else:
        from elasticsearch import Elasticsearch
        from elasticsearch import helpers as es_helpers

        client = Elasticsearch(settings.url, request_timeout=60)
        started = time.perf_counter()
        es_helpers.bulk(client, actions, chunk_size=batch, max_chunk_bytes=50 * 1024 * 1024)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
    engine, version = probe(SearchSettings(url=url))
    docs = documents(args.docs)
    times: dict[str, list[float]] = {"writer": [], "helpers": []}
    for run in range(args.runs):
        for name in ("helpers", "writer") if run % 2 else ("writer", "helpers"):  # alternate the order
            settings = SearchSettings(url=url, index=f"bench-{name}-{uuid.uuid4().hex[:6]}")
            SearchWriter(settings).ensure_templates()
            elapsed = (
                run_writer(settings, docs, args.batch)
                if name == "writer"
                else run_helpers(settings, engine, docs, args.batch)
            )
            times[name].append(elapsed)
            client = HttpClient(settings)
            client.request("DELETE", f"/{settings.index}-*")
            client.request("DELETE", f"/_index_template/newsmon-{settings.index}")
    w, h = statistics.median(times["writer"]), statistics.median(times["helpers"])
    print(f"{engine} {version} at {url}: {args.docs} documents, batches of {args.batch}, median of {args.runs}")
    print(f"helpers.bulk   : {h:6.2f} s  {args.docs / h:8.0f} docs/s")
    print(f"newsmon writer : {w:6.2f} s  {args.docs / w:8.0f} docs/s")
    print(f"ratio writer/helpers: {h / w:.2f} (target >= 0.9)")


if __name__ == "__main__":
    main()
