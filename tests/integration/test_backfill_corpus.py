"""`newsmon backfill` over the real feed corpus: finishes, reports broken feeds, never crashes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pipeline.core.config import SearchSettings
from pipeline.sinks.engines import HttpClient
from pipeline.sinks.stories import stories_index

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def backfill(args: list[str], tmp: Path, env: dict[str, str] | None = None) -> tuple[dict[str, object], str]:
    summary = tmp / f"summary-{uuid.uuid4().hex[:6]}.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.app.cli",
            "backfill",
            "--summary-json",
            str(summary),
            "--deadletter",
            str(tmp / "deadletter.jsonl"),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=1800,
        check=False,
        env={**os.environ, **(env or {}), "NEWSMON_PROGRESS": "0"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(summary.read_text()), proc.stderr


def test_backfill_both_corpora_reports_broken_feeds_and_exports_unique_articles(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    summary, stderr = backfill(
        [
            "--input",
            str(corpus / "feedparser-tests"),
            "--input",
            str(corpus / "news-feeds"),
            "--input",
            str(corpus / "hostile"),
            "--output",
            str(out),
            "--no-index",
        ],
        tmp_path,
    )
    print(stderr[-2000:])
    feeds_read, articles = summary["feeds_read"], summary["articles"]
    assert isinstance(feeds_read, int) and isinstance(articles, int)
    assert feeds_read > 2000
    assert articles > 3000
    failures = summary["failures"]
    assert isinstance(failures, dict) and failures.get("not_a_feed", 0) > 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == articles
    assert len({r["article_id"] for r in lines}) == len(lines)
    assert {"article_id", "title", "relevant", "relevance_score", "topics", "evidence"} <= set(lines[0])
    dead = [json.loads(line) for line in (tmp_path / "deadletter.jsonl").read_text().splitlines()]
    assert dead and all(d["reason"] and d["stage"] and d["feed_url"] for d in dead)
    assert "failures:" in stderr


def test_backfill_into_opensearch_twice_gives_the_same_documents(corpus: Path, tmp_path: Path, search_url: str) -> None:
    index = f"news-articles-bf-{uuid.uuid4().hex[:8]}"
    args = ["--input", str(corpus / "news-feeds"), "--search-url", search_url, "--index", index, "--index-all"]
    client = HttpClient(SearchSettings(url=search_url))
    try:
        first, _ = backfill(args, tmp_path)
        client.request("POST", f"/{index}-*/_refresh")
        count = client.request("GET", f"/{index}-*/_count")["count"]
        assert count == first["articles"] == first["indexed"]
        second, _ = backfill(args, tmp_path)
        client.request("POST", f"/{index}-*/_refresh")
        assert client.request("GET", f"/{index}-*/_count")["count"] == count
        assert second["indexed"] == 0 and second["already_indexed"] == count
    finally:
        client.request("DELETE", f"/{index}-*")
        client.request("DELETE", f"/{stories_index(index)}")  # story band claims of the backfill
        client.request("DELETE", f"/_index_template/newsmon-{index}")
