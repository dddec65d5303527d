from __future__ import annotations

import pytest

from pipeline.urls import article_id, canonical_url


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://WWW.Example.COM:443/a/b?utm_source=rss&x=1#frag", "https://www.example.com/a/b?x=1"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/p", "http://example.com:8080/p"),
        ("https://example.com/p?b=2&a=1&fbclid=zz&utm_medium=x", "https://example.com/p?a=1&b=2"),
        ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("  https://user:pw@example.com/x  ", "https://example.com/x"),
        ("https://example.com/p?CMP=share_btn&id=7", "https://example.com/p?id=7"),
        ("not a url", "not a url"),
    ],
)
def test_canonical_url(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical


def test_id_is_stable_across_tracking_scheme_and_fragment() -> None:
    a = article_id("https://news.example.com/story?utm_campaign=x#top")
    b = article_id("http://NEWS.example.com/story")
    assert a == b
    assert len(a) == 32
    assert all(c in "0123456789abcdef" for c in a)


def test_distinct_articles_get_distinct_ids() -> None:
    assert article_id("https://example.com/a") != article_id("https://example.com/b")
    assert article_id("https://example.com/p?id=1") != article_id("https://example.com/p?id=2")


def test_guid_used_when_no_link_and_scoped_to_feed() -> None:
    one = article_id(None, "item-42", "https://a.example/feed")
    assert one == article_id("", "item-42", "https://a.example/feed")
    assert one != article_id(None, "item-42", "https://b.example/feed")
    # A URL-shaped guid is as good as a link, whichever feed carries it.
    assert article_id(None, "https://x.example/s?utm_source=a", "f1") == article_id("https://x.example/s")


def test_fallback_when_no_link_and_no_guid() -> None:
    a = article_id(None, None, "https://a.example/feed", "Title|2024-01-01")
    assert a == article_id(None, None, "https://a.example/feed", "Title|2024-01-01")
    assert a != article_id(None, None, "https://a.example/feed", "Other|2024-01-01")
