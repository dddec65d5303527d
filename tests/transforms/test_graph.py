"""The shared pipeline middle on Beam's DirectRunner with TestPipeline."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.core.model import Feed, FetchResult
from pipeline.transforms.articles import DedupeArticles
from pipeline.transforms.graph import expand_inputs, process_feeds

FEED_A = Feed(url="https://a.example/rss", name="A")
FEED_B = Feed(url="https://b.example/rss", name="B")


def rss(*items: tuple[str, str]) -> bytes:
    body = "".join(f"<item><title>{t}</title><link>{link}</link></item>" for t, link in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{body}</channel></rss>'.encode()


def fetched(feed: Feed, body: bytes) -> FetchResult:
    return FetchResult(feed=feed, outcome="ok", body=body, status=200)


def test_process_feeds_parses_dedupes_across_feeds_and_classifies(tmp_path: Path) -> None:
    same = ("US and India sign trade pact on tariffs", "https://news.example/pact?utm_source=a")
    results = [
        fetched(FEED_A, rss(same, ("Pacers beat Celtics in Indianapolis", "https://news.example/nba"))),
        fetched(FEED_B, rss((same[0], "https://news.example/pact#comments"))),
        fetched(FEED_B, b"<html>not a feed</html>"),
    ]
    deadletter = tmp_path / "dl.jsonl"
    with TestPipeline() as p:
        out = process_feeds(p | beam.Create(results), search=None, deadletter_path=str(deadletter))
        summary = out | beam.Map(
            lambda c: (c.article.url, c.classification.relevant, "trade" in c.classification.topics)
        )
        assert_that(
            summary, equal_to([("https://news.example/pact", True, True), ("https://news.example/nba", False, False)])
        )
    lines = deadletter.read_text().splitlines()
    assert len(lines) == 1 and '"not_a_feed"' in lines[0]


def test_bounded_dedupe_passes_one_copy_of_each_article() -> None:
    from pipeline.core.model import Article

    arts = [Article(article_id=i, url=f"u{i}", title=t) for i, t in [("1", "a"), ("2", "b"), ("1", "a again")]]
    with TestPipeline() as p:
        out = p | beam.Create(arts) | DedupeArticles() | beam.Map(lambda a: a.article_id)
        assert_that(out, equal_to(["1", "2"]))


def test_expand_inputs_reads_folders_recursively_and_skips_licences(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.xml").write_text("<rss/>")
    (tmp_path / "b.rss").write_text("<rss/>")
    (tmp_path / "README.md").write_text("x")
    (tmp_path / "LICENSE-x").write_text("x")
    got = expand_inputs([str(tmp_path), "https://e.org/feed"])
    assert got == [str(tmp_path / "b.rss"), str(tmp_path / "sub" / "a.xml"), "https://e.org/feed"]


def _environments_by_step(lanes: int) -> dict[str, str]:
    """The environment of each leaf step of the streaming graph, as the runner receives it."""
    from pipeline.core.config import SearchSettings
    from pipeline.transforms.graph import build_streaming

    feeds = [Feed(url=f"https://f{i}.example/rss", name=f"F{i}") for i in range(8)]
    p = beam.Pipeline()
    build_streaming(p, feeds, SearchSettings(url="http://127.0.0.1:9"), lanes=lanes)
    proto = p.to_runner_api()
    return {
        t.unique_name: t.environment_id
        for t in proto.components.transforms.values()
        if t.environment_id and not t.subtransforms
    }


def test_one_lane_runs_in_one_environment() -> None:
    envs = _environments_by_step(1)
    assert len(set(envs.values())) == 1
    assert any(name.startswith("PollFeeds/") for name in envs)


def test_each_lane_is_an_environment_of_its_own_so_prism_gives_it_a_worker() -> None:
    envs = _environments_by_step(3)
    lane_env = {
        lane: {env for name, env in envs.items() if name.startswith(prefix)}
        for lane, prefix in enumerate(("PollFeeds/", "PollFeedsLane1/", "PollFeedsLane2/"))
    }
    assert all(len(found) == 1 for found in lane_env.values()), lane_env
    assert len(set.union(*lane_env.values())) == 3
    # The whole chain of a lane shares its environment (its per-process memory stays whole) …
    assert {envs[n] for n in envs if n.startswith(("ClassifyBatchesLane1/", "IndexBatchesLane1/"))} == lane_env[1]
    # … and what takes all lanes together runs beside lane 0.
    assert {envs[n] for n in envs if n.startswith(("DetectSpikes/", "WriteDeadLetters/"))} == lane_env[0]


def test_the_lanes_deal_out_every_shard_once() -> None:
    from pipeline.transforms.poll import FeedPlan, PollFeeds, lane_shards

    feeds = [Feed(url=f"https://f{i}.example/rss", name=f"F{i}") for i in range(400)]
    keys = FeedPlan(feeds, PollFeeds(feeds, lanes=3).shards).shard_keys()
    dealt = [lane_shards(keys, lane, 3) for lane in range(3)]
    assert sorted(k for lane in dealt for k in lane) == sorted(keys)
    assert all(dealt) and max(map(len, dealt)) - min(map(len, dealt)) <= 1
    assert PollFeeds(feeds[:2], lanes=2).shards == 2  # never a lane without a shard
