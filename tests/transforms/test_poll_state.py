"""The poller's state part (FetchDueFeeds) on the DirectRunner: real feeds over HTTP, a fake engine.

One tick of one shard: due feeds are fetched from a local feed server, changed
bodies parsed into a FeedBatch of their new entries, unusable ones sent to
the ``failures`` tag, and every feed's schedule saved to the engine; after a
restart the poller resumes from what the engine holds (a conditional GET,
answered 304: nothing parsed). Metrics are read from the injected registry
and from the job's Beam counters.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.transforms.window import TimestampedValue

from pipeline.core.config import SearchSettings
from pipeline.core.model import Failure, Feed, FeedBatch, FeedCommit
from pipeline.devtools.feedserver import FeedServer
from pipeline.sinks.feedstate import commit_doc, feed_doc_id, feeds_index, schedule_doc
from pipeline.sources.fetcher import FetcherConfig
from pipeline.sources.schedule import PollState
from pipeline.telemetry import metrics
from pipeline.transforms.beam_metrics import counters
from pipeline.transforms.poll import FAILURES, FeedPlan, FetchDueFeeds
from tests.support.fakes import FakeEngine, FakeWriter, FreshTelemetry, collector, fakes

SETTINGS = SearchSettings(url="http://engine.invalid")
FEEDS_INDEX = feeds_index(SETTINGS.index)
FETCHER = FetcherConfig(workers=4, per_host=4, host_gap_s=0.0, timeout_s=10.0)
RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>'
    "<item><title>US and India sign trade pact on tariffs</title><link>https://desk.example/pact</link></item>"
    "<item><title>Pacers beat Celtics</title><link>https://desk.example/nba</link></item>"
    "</channel></rss>"
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FeedServer]:
    (tmp_path / "desk.xml").write_text(RSS)
    (tmp_path / "page.xml").write_text("<html><body>not a feed</body></html>")
    srv = FeedServer(tmp_path)
    srv.start_background()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def tick(
    feeds: list[Feed], writer: FakeWriter, telemetry: FreshTelemetry
) -> tuple[list[FeedBatch], list[Failure], dict[str, int]]:
    """One tick of every shard (stamped now, so it is not a stale one); the batches, failures, Beam counters."""
    plan = FeedPlan(feeds, shards=1)
    keep_batch, batches = collector()
    keep_failure, failures = collector()
    p = TestPipeline()
    out = (
        p
        | beam.Create(plan.shard_keys())
        | beam.Map(lambda key: TimestampedValue((key, None), time.time())).with_output_types(
            beam.typehints.KV[str, None]
        )
        | beam.ParDo(
            FetchDueFeeds(
                plan, FETCHER, tick_s=60.0, collect_wait_s=30.0, search=SETTINGS, writer=writer, telemetry=telemetry
            )
        ).with_outputs(FAILURES, main="batches")
    )
    _ = out["batches"] | "KeepBatches" >> beam.Map(keep_batch)
    _ = out[FAILURES] | "KeepFailures" >> beam.Map(keep_failure)
    result = p.run()
    result.wait_until_finish()
    return batches, failures, counters(result)


def polls(beam_counts: dict[str, int]) -> dict[str, int]:
    return metrics.beam_by_label(beam_counts, metrics.FEED_POLLS, "outcome")


def test_a_first_tick_fetches_parses_dead_letters_and_saves_every_schedule(server: FeedServer) -> None:
    engine, registry, writer, telemetry = fakes()
    desk, page, missing = (
        Feed(url=f"{server.url}/{name}", name=name, tags=("desk",)) for name in ("desk.xml", "page.xml", "missing.xml")
    )

    batches, failures, beam_counts = tick([desk, page, missing], writer, telemetry)

    by_feed = {b.feed.url: b for b in batches}
    assert sorted(by_feed) == sorted([desk.url, page.url])  # every parsed body; the 404 has none
    assert sorted(a.url for a in by_feed[desk.url].articles) == [
        "https://desk.example/nba",
        "https://desk.example/pact",
    ]
    assert by_feed[page.url].articles == ()
    assert by_feed[desk.url].commit.etag and len(by_feed[desk.url].commit.seen_ids) == 2
    [failure] = failures
    assert (failure.stage, failure.reason, failure.feed_url) == ("parse", "not_a_feed", page.url)

    saved = engine.index(FEEDS_INDEX)
    outcomes = {doc["feed_url"]: (doc["last_outcome"], doc["failures"]) for doc in saved.values()}
    assert sorted(outcomes) == sorted([desk.url, page.url, missing.url]) and all(
        doc["last_poll"] for doc in saved.values()
    )
    # A 200 whose body is not a feed is a failed feed, like the poll metric says (newsmon feeds --failing).
    assert outcomes[desk.url] == ("ok", 0) and outcomes[missing.url] == ("http_error", 1)
    assert outcomes[page.url] == ("not_a_feed", 1)
    assert by_feed[page.url].commit.body_hash is None  # parsed again next time, not skipped as unchanged
    assert "committed" not in saved[feed_doc_id(desk.url)]  # the indexer commits validators, not the poller

    assert polls(beam_counts) == {"ok": 1, "not_a_feed": 1, "http_error": 1}
    for outcome, n in polls(beam_counts).items():
        assert registry.get_sample_value(metrics.FEED_POLLS, {"outcome": outcome}) == n
    assert registry.get_sample_value(metrics.ENTRIES_PARSED) == 2 == beam_counts[metrics.ENTRIES_PARSED]
    assert registry.get_sample_value(metrics.ENTRY_FAILURES, {"reason": "not_a_feed"}) == 1
    assert metrics.beam_total(beam_counts, metrics.FEEDS_PARSED) == 2
    assert registry.get_sample_value(f"{metrics.FETCH_DURATION}_count") == 3
    assert (registry.get_sample_value(metrics.LAST_SUCCESSFUL_POLL, {"feed_group": "desk"}) or 0) > 0


def test_after_a_restart_the_tick_resumes_from_the_engine_with_a_conditional_get(server: FeedServer) -> None:
    desk = Feed(url=f"{server.url}/desk.xml", name="Desk", interval_s=60.0)
    with urllib.request.urlopen(desk.url, timeout=10) as resp:
        etag = resp.headers["ETag"]
    before = time.time() - 3600  # an earlier run polled it an hour ago and committed what it indexed
    earlier = PollState(etag=etag, last_poll=before, last_success=before, next_due=before + 60, last_outcome="ok")
    doc = schedule_doc(desk, earlier, before) | commit_doc(FeedCommit(desk.url, etag, None, None, ("x",)), before)
    engine, registry, writer, telemetry = fakes(FakeEngine(docs={FEEDS_INDEX: {feed_doc_id(desk.url): doc}}))
    hits = len(server.hits_for("/desk.xml"))

    batches, failures, beam_counts = tick([desk], writer, telemetry)

    assert batches == [] and failures == []
    assert [status for _, status in server.hits_for("/desk.xml")[hits:]] == [304]
    assert polls(beam_counts) == {"not_modified": 1}
    assert registry.get_sample_value(metrics.FEED_POLLS, {"outcome": "not_modified"}) == 1
    assert metrics.beam_total(beam_counts, metrics.FEEDS_PARSED) == 0  # an unchanged feed costs no parse
    saved: dict[str, Any] = engine.index(FEEDS_INDEX)[feed_doc_id(desk.url)]
    assert saved["last_outcome"] == "not_modified" and saved["last_poll"] > doc["last_poll"]
    assert saved["committed"]["etag"] == etag  # the schedule update keeps what the indexer committed
