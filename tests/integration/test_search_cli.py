"""`newsmon search` against the real OpenSearch node, over the demo feeds backfilled into a fresh index."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.config import SearchSettings
from pipeline.core.errors import SearchError
from pipeline.sinks.engines import HttpClient

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def newsmon(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.app.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def index(search_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    prefix = f"news-articles-search-{uuid.uuid4().hex[:8]}"
    tmp = tmp_path_factory.mktemp("search")
    done = newsmon(
        "backfill",
        "--input",
        str(REPO / "deploy" / "local" / "demo-feeds"),
        "--search-url",
        search_url,
        "--index",
        prefix,
        "--index-all",
        "--deadletter",
        str(tmp / "dl.jsonl"),
    )
    assert done.returncode == 0, done.stderr
    client = HttpClient(SearchSettings(url=search_url))
    client.request("POST", f"/{prefix}-*/_refresh")
    yield prefix
    with contextlib.suppress(SearchError):
        client.request("DELETE", f"/{prefix}-*")
        client.request("DELETE", f"/_index_template/newsmon-{prefix}")


def search(index: str, search_url: str, *args: str) -> dict[str, Any]:
    """``newsmon search --json``'s answer, parsed (JSON values: Any)."""
    done = newsmon("search", "--index", index, "--search-url", search_url, "--json", *args)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_full_text_with_highlight_and_facets(index: str, search_url: str) -> None:
    result = search(index, search_url, "tariffs")
    hits = result["hits"]
    assert isinstance(hits, list) and hits
    assert hits[0]["title"] == "US and India agree to cut <<tariffs>> on farm goods"
    assert result["topics"] and "trade" in result["topics"]


def test_filters_topic_source_language_and_dates(index: str, search_url: str) -> None:
    defence = search(index, search_url, "--topic", "defense")
    assert defence["total"] and all("defense" in h["topics"] for h in defence["hits"])
    wire = search(index, search_url, "--source", "Demo Business", "--size", "50")
    assert wire["total"] and {h["source"] for h in wire["hits"]} == {"Demo Business"}
    assert search(index, search_url, "--lang", "hi")["total"] == 0
    assert search(index, search_url, "--until", "2001-01-01")["total"] == 0
    everything = search(index, search_url, "--all", "--size", "50")
    assert everything["total"] > search(index, search_url, "--size", "50")["total"]


def test_text_output_and_bad_topic(index: str, search_url: str) -> None:
    done = newsmon("search", "--index", index, "--search-url", search_url, "semiconductor")
    assert done.returncode == 0 and "[semiconductor]" in done.stdout.lower() and "topics:" in done.stdout
    bad = newsmon("search", "--index", index, "--search-url", search_url, "--topic", "cricket")
    assert bad.returncode == 2 and "not a topic" in bad.stderr


REPRINT = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{outlet}</title><link>https://{host}/</link><description>x</description>
<item><title>{title}</title><link>https://{host}/story/farm-tariffs</link>
<pubDate>Tue, 01 Dec 2026 09:00:00 GMT</pubDate>
<description>Washington and New Delhi agreed on Tuesday to lower tariffs on almonds, apples and dairy products,
trade officials from both countries said after two days of talks in New Delhi.</description></item>
</channel></rss>
"""


def test_backfilled_reprints_collapse_into_one_story(search_url: str, tmp_path: Path) -> None:
    from pipeline.sinks.stories import stories_index

    prefix = f"news-articles-stories-{uuid.uuid4().hex[:8]}"
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    for n, (outlet, title) in enumerate(
        [
            ("Wire", "US and India agree to cut tariffs on farm goods"),
            ("Daily", "India, US strike deal to slash farm tariffs"),
        ]
    ):
        (feeds / f"f{n}.xml").write_text(REPRINT.format(outlet=outlet, host=f"{outlet.lower()}.example", title=title))
    client = HttpClient(SearchSettings(url=search_url))
    try:
        done = newsmon(
            "backfill",
            "--input",
            str(feeds),
            "--search-url",
            search_url,
            "--index",
            prefix,
            "--deadletter",
            str(tmp_path / "dl.jsonl"),
        )
        assert done.returncode == 0, done.stderr
        client.request("POST", f"/{prefix}-*/_refresh")
        plain = search(prefix, search_url, "tariffs")
        stories = search(prefix, search_url, "--stories", "tariffs")
        assert plain["total"] == stories["total"] == 2
        [hit] = stories["hits"]
        assert stories["stories"] == 1 and hit["articles"] == 2 and len(hit["outlets"]) == 2
    finally:
        with contextlib.suppress(SearchError):
            client.request("DELETE", f"/{prefix}-*")
            client.request("DELETE", f"/{stories_index(prefix)}")
            client.request("DELETE", f"/_index_template/newsmon-{prefix}")
