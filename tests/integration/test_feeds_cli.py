"""`newsmon feeds` against the real OpenSearch node: feed state written by the store, read by the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from pipeline.core.config import SearchSettings
from pipeline.core.errors import SearchError
from pipeline.core.model import Feed, FeedCommit
from pipeline.sinks.feedstate import FeedStateStore, feeds_index
from pipeline.sinks.search import SearchWriter
from pipeline.sources.schedule import PollState

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def test_feed_state_round_trips_and_newsmon_feeds_shows_it(search_url: str) -> None:
    prefix = f"news-articles-feeds-{uuid.uuid4().hex[:8]}"
    writer = SearchWriter(SearchSettings(url=search_url, index=prefix))
    writer.connect()
    writer.ensure_templates()
    store = FeedStateStore(writer, feeds_index(prefix))
    now = time.time()
    good = Feed(url="https://good.example/rss", name="Good")
    bad = Feed(url="https://bad.example/rss", name="Bad")
    try:
        assert store.load([good.url]) == {}  # no index yet: nothing stored, no error
        assert (
            store.save_schedules(
                [
                    (good, PollState(next_due=now + 300, last_poll=now, last_success=now, last_outcome="not_modified")),
                    (
                        bad,
                        PollState(
                            next_due=now + 600,
                            failures=3,
                            last_poll=now,
                            last_outcome="timeout",
                            last_error="no answer within 30s",
                        ),
                    ),
                ],
                now,
            )
            == 0
        )
        assert store.commit([FeedCommit(good.url, '"e1"', None, "h1", ("a", "b", "c"))], now) == 0
        writer.client.request("POST", f"/{feeds_index(prefix)}/_refresh")
        loaded = store.load([good.url, bad.url, "https://unknown.example/rss"])
        assert set(loaded) == {good.url, bad.url}
        assert (loaded[good.url].etag, loaded[good.url].seen_ids) == ('"e1"', ("a", "b", "c"))
        assert loaded[bad.url].failures == 3 and loaded[bad.url].etag is None

        def feeds(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "pipeline.app.cli", "feeds", "--index", prefix, *args],
                capture_output=True,
                text=True,
                cwd=REPO,
                timeout=120,
                check=False,
                env={**os.environ, "ELASTICSEARCH_URL": search_url},
            )

        table = feeds()
        assert table.returncode == 0, table.stderr
        assert "Bad <https://bad.example/rss>" in table.stdout and "no answer within 30s" in table.stdout
        assert table.stdout.strip().splitlines()[-1] == "1 failing, 1 ok"
        failing = feeds("--failing", "--json")
        rows = json.loads(failing.stdout)["feeds"]
        assert [(r["feed_url"], r["status"], r["failures"]) for r in rows] == [(bad.url, "failing", 3)]
    finally:
        with contextlib.suppress(SearchError):
            writer.client.request("DELETE", f"/{feeds_index(prefix)}")
