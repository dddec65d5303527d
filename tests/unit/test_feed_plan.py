"""FeedPlan: the feeds by shard that the poller reads, re-read when feeds.yaml changes."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from pipeline.core.config import load_feeds
from pipeline.transforms.poll import FeedPlan


def _write(path: Path, urls: list[str], mtime: float) -> None:
    path.write_text("feeds:\n" + "".join(f"  - url: {u}\n" for u in urls))
    os.utime(path, (mtime, mtime))


def _all(plan: FeedPlan) -> set[str]:
    return {f.url for key in plan.shard_keys() for f in plan.feeds(key)}


@pytest.fixture
def feeds_file(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    _write(path, [f"https://n{i}.example/rss" for i in range(20)], 1_000_000)
    return path


def test_every_feed_is_in_exactly_one_of_the_fixed_shards(feeds_file: Path) -> None:
    plan = FeedPlan(load_feeds(feeds_file), 4, str(feeds_file))
    assert plan.shard_keys() == ["shard-0000", "shard-0001", "shard-0002", "shard-0003"]
    shards = [{f.url for f in plan.feeds(k)} for k in plan.shard_keys()]
    assert sum(len(s) for s in shards) == 20 and set().union(*shards) == _all(plan)
    assert plan.feeds("shard-9999") == ()


def test_an_edit_is_picked_up_and_an_invalid_one_keeps_the_last_good_list(
    feeds_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clock = [100.0]
    monkeypatch.setattr("pipeline.transforms.poll.time.monotonic", lambda: clock[0])
    plan = FeedPlan(load_feeds(feeds_file), 4, str(feeds_file))
    _write(feeds_file, ["https://n0.example/rss", "https://added.example/rss"], 1_000_100)
    clock[0] += 2
    assert _all(plan) == {"https://n0.example/rss", "https://added.example/rss"}
    feeds_file.write_text("feeds:\n  - url: ftp://wrong\n")
    os.utime(feeds_file, (1_000_200, 1_000_200))
    clock[0] += 2
    assert _all(plan) == {"https://n0.example/rss", "https://added.example/rss"}
    assert "feeds file not reloaded" in caplog.text and "feeds[0].url" in caplog.text


def test_it_travels_as_its_configuration_and_starts_afresh(feeds_file: Path) -> None:
    plan = FeedPlan(load_feeds(feeds_file), 4, str(feeds_file))
    copy = pickle.loads(pickle.dumps(plan))
    assert copy.shard_keys() == plan.shard_keys() and _all(copy) == _all(plan)
    assert set(pickle.loads(pickle.dumps(plan)).__dict__) >= {"by_shard", "mtime"}
