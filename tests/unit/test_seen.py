"""The process's cache of each feed's recently seen entry ids."""

from __future__ import annotations

import pytest

from pipeline.core.urls import article_id
from pipeline.sources.seen import SeenIds


def test_ids_come_back_as_they_were_put_newest_first() -> None:
    ids = [article_id(f"https://news.example/{i}") for i in range(100)]
    cache = SeenIds()
    cache.put("https://feed.example/rss", ids)
    assert cache.get("https://feed.example/rss") == tuple(ids)
    assert cache.get("https://other.example/rss") is None  # unknown, not "nothing seen"


def test_an_empty_body_is_remembered_as_known_and_empty() -> None:
    cache = SeenIds()
    cache.put("https://feed.example/rss", [])
    assert cache.get("https://feed.example/rss") == ()


def test_ids_that_are_not_hex_digests_are_kept_verbatim() -> None:
    cache = SeenIds()
    cache.put("https://feed.example/rss", ["a", "b", "c"])  # e.g. a state document from another version
    assert cache.get("https://feed.example/rss") == ("a", "b", "c")


def test_least_recently_used_feeds_go_first_when_full() -> None:
    cache = SeenIds(max_feeds=2)
    cache.put("f1", ["x"])
    cache.put("f2", ["y"])
    assert cache.get("f1") == ("x",)  # f1 used: f2 is now the oldest
    cache.put("f3", ["z"])
    assert (cache.get("f1"), cache.get("f2"), cache.get("f3"), len(cache)) == (("x",), None, ("z",), 2)


def test_a_non_positive_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="max_feeds"):
        SeenIds(max_feeds=0)
