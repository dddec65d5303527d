"""Canonical URLs and article ids, including the golden ids that pin the id contract.

``tests/data/article_ids.golden.jsonl`` was written by the code before issue 9
(commit e8fc036, the regular-expression canonicaliser) over the entries of
``../shared/corpus/news-feeds`` read with feedparser: per feed file, up to three
entries for each distinct shape of link (query parameter names, fragment,
non-ASCII, percent-escapes, scheme, port, user info), each link once, plus the
feed's first entry again without its link (the guid path) and without link and
guid (the fallback path). Each row holds the inputs of :func:`article_id`, the
id it gave and the canonical URL it gave. feed_url is the feed's own
``atom:link rel=self`` when it has one, else a stable made-up URL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from pipeline.core.urls import TRACKING_PARAMS, TRACKING_PREFIXES, article_id, canonical_url

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "article_ids.golden.jsonl"

# Names the old list stripped that can select a page, and are kept since issue 9.
NO_LONGER_STRIPPED = frozenset(
    {"cmp", "partner", "ref", "referrer", "src", "source", "feedtype", "rss", "from", "share", "mbid"}
)

# Golden rows whose id changed on purpose, by link, with the reason. Every one carries a parameter that
# the old code stripped and that is now kept; on upgrade each such article still in a feed is indexed
# once more under its new id.
_NYT_PARTNER = "NYT keeps partner=rss now (partner is a generic name that can select content)"
_NYT_CN_FROM = "NYT Chinese redirect keeps from=RSS now (from can select the page)"
_SMH_REF = "SMH keeps ref=rss now (ref can select the page); its utm_* are still stripped"
# Long URLs: the formatter would join each key and value onto one line past the limit.
# fmt: off
CHANGED_ON_PURPOSE: dict[str, str] = {
    "http://www.nytimes.com/2017/04/12/arts/television/political-tv-in-age-of-trump-shonda-rhimes-scandal-veep-"
    "madame-secretary-house-of-cards-hbo.html?partner=rss&emc=rss": _NYT_PARTNER,
    "https://www.nytimes.com/2017/04/13/automobiles/wheels/online-used-car-sales.html?partner=rss&emc=rss":
        _NYT_PARTNER,
    "https://www.nytimes.com/2017/04/13/us/united-passenger-david-dao-chicago.html?partner=rss&emc=rss": _NYT_PARTNER,
    "http://www.nytimes.com/2017/04/12/business/media/apology-sean-spicer-holocaust-oscar-munoz-united.html"
    "?partner=rss&emc=rss": _NYT_PARTNER,
    "http://www.nytimes.com/2017/04/13/business/dealbook/markets-bank-earnings-stocks-jpmorgan-wells.html"
    "?partner=rss&emc=rss": _NYT_PARTNER,
    "https://www.nytimes.com/reuters/2017/04/13/business/13reuters-usa-stocks.html?partner=rss&emc=rss": _NYT_PARTNER,
    "http://www.nytimes.com/2017/04/12/world/europe/trump-nato-russia.html?partner=rss&emc=rss": _NYT_PARTNER,
    "http://www.nytimes.com/2017/04/12/world/europe/tillerson-putin-lavrov-russia-syria.html?partner=rss&emc=rss":
        _NYT_PARTNER,
    "http://www.nytimes.com/2017/04/11/world/middleeast/trump-syria-nigeria.html?partner=rss&emc=rss": _NYT_PARTNER,
    "https://www.nytimes.com/2017/04/13/us/detained-immigrants-may-face-harsher-conditions-under-trump.html"
    "?partner=rss&emc=rss": _NYT_PARTNER,
    "http://www.nytimes.com/2017/04/11/us/school-vouchers-disability.html?partner=rss&emc=rss": _NYT_PARTNER,
    "http://www.nytimes.com/2017/04/13/us/california-today-the-allure-of-the-los-angeles-car-chase.html"
    "?partner=rss&emc=rss": _NYT_PARTNER,
    "https://www.nytimes.com/2017/04/12/business/united-dragged-passenger-video-chicago.html?partner=rss&emc=rss":
        _NYT_PARTNER,
    "http://www.nytimes.com/2017/04/12/us/trump-immigration-border-hiring.html?partner=rss&emc=rss": _NYT_PARTNER,
    "https://www.nytimes.com/2017/04/13/science/why-shoelaces-undone-untied.html?partner=rss&emc=rss": _NYT_PARTNER,
    "http://www.nytimes.com/2017/04/12/world/asia/bama-county-china-longevity.html?partner=rss&emc=rss": _NYT_PARTNER,
    "http://www.nytimes.com/2017/04/13/world/middleeast/why-the-syrian-chemical-weapons-problem-is-so-hard-to-solve"
    ".html?partner=rss&emc=rss": _NYT_PARTNER,
    "https://www.nytimes.com/2017/04/13/world/europe/borussia-dortmund-bus-bomb.html?partner=rss&emc=rss":
        _NYT_PARTNER,
    "https://www.nytimes.com/2017/04/13/world/middleeast/assad-syria-video-faked.html?partner=rss&emc=rss":
        _NYT_PARTNER,
    "https://www.nytimes.com/2017/04/13/world/europe/un-chechnya-gay-men-killing-abuse.html?partner=rss&emc=rss":
        _NYT_PARTNER,
    "http://www.nytimes.com/2017/04/13/world/asia/without-a-motorcycle-in-kandahar-you-are-like-a-prisoner.html"
    "?partner=rss&emc=rss": _NYT_PARTNER,
    "https://d2nm3w2ltn97dw.cloudfront.net/tools/r.html?url=%2Fchina%2F20150316%2Fc16trash-lens%2F&langkey=zh-hans"
    "&from=RSS": _NYT_CN_FROM,
    "https://d28q8bz7q2kx4q.cloudfront.net/tools/r.html?url=%2Fusa%2F20150316%2Fc16ferguson%2F&langkey=zh-hans"
    "&from=RSS": _NYT_CN_FROM,
    "https://d1dqx91p2uadmw.cloudfront.net/tools/r.html?url=%2Fworld%2F20150316%2Fc16tensions%2F&langkey=zh-hans"
    "&from=RSS": _NYT_CN_FROM,
    "https://www.smh.com.au/politics/federal/landmark-challenge-to-secrecy-over-native-title-payments-20211016-p590j2"
    ".html?ref=rss&utm_medium=rss&utm_source=rss_feed": _SMH_REF,
    "https://www.smh.com.au/national/nsw/koala-flashpoint-finally-must-be-a-line-in-the-sand-20211017-p590m9.html"
    "?ref=rss&utm_medium=rss&utm_source=rss_feed": _SMH_REF,
    "https://www.smh.com.au/national/victoria/the-age-s-truth-indigenous-stories-told-by-white-writers-20210802"
    "-p58f71.html?ref=rss&utm_medium=rss&utm_source=rss_feed": _SMH_REF,
}
# fmt: on


def _golden() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_golden_ids_are_unchanged_except_where_listed() -> None:
    rows = _golden()
    assert len(rows) > 200
    changed = {}
    for row in rows:
        new_id = article_id(row["link"], row["guid"], row["feed_url"], row["fallback"])
        if new_id != row["id"]:
            changed[row["link"] or row["guid"]] = new_id
    assert sorted(changed) == sorted(CHANGED_ON_PURPOSE)


@pytest.mark.parametrize("link", sorted(CHANGED_ON_PURPOSE))
def test_each_listed_change_is_a_parameter_no_longer_stripped(link: str) -> None:
    [row] = [row for row in _golden() if row["link"] == link]
    kept = {name.lower() for name, _ in parse_qsl(urlsplit(canonical_url(link)).query, keep_blank_values=True)}
    was = {name.lower() for name, _ in parse_qsl(urlsplit(row["canonical"]).query, keep_blank_values=True)}
    assert kept - was, "the id changed but no parameter was added back"
    assert kept - was <= NO_LONGER_STRIPPED
    # Dropping those names again gives the old canonical URL: nothing else moved.
    query = "&".join(
        p
        for p in urlsplit(canonical_url(link)).query.split("&")
        if p.partition("=")[0].lower() not in NO_LONGER_STRIPPED
    )
    assert canonical_url(link).split("?")[0] + (f"?{query}" if query else "") == row["canonical"]


def test_golden_canonical_urls_are_unchanged_for_unlisted_rows() -> None:
    for row in _golden():
        if row["link"] and row["link"] not in CHANGED_ON_PURPOSE:
            assert canonical_url(row["link"]) == row["canonical"], row["link"]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://WWW.Example.COM:443/a/b?utm_source=rss&x=1#frag", "https://www.example.com/a/b?x=1"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/p", "http://example.com:8080/p"),
        ("https://example.com:not-a-port/p", "https://example.com/p"),
        ("https://example.com./p", "https://example.com/p"),
        ("https://example.com/p?b=2&a=1&fbclid=zz&utm_medium=x", "https://example.com/p?a=1&b=2"),
        ("https://example.com/p?b=2&a=3&a=1", "https://example.com/p?a=1&a=3&b=2"),
        ("https://example.com/p?flag&x=", "https://example.com/p?flag=&x="),
        ("https://example.com/p?", "https://example.com/p"),
        ("https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"),
        ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://example.com/%7Euser", "https://example.com/~user"),
        ("https://example.com/a b?q=a b", "https://example.com/a%20b?q=a+b"),
        ("https://example.com/p?q=a%20b", "https://example.com/p?q=a+b"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("  https://user:pw@example.com/x  ", "https://example.com/x"),
        ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
        ("https://example.com/p?CMP=share_btn&id=7", "https://example.com/p?CMP=share_btn&id=7"),
        ("https://example.com/p?UTM_Source=x&id=7", "https://example.com/p?id=7"),
        ("https://example.com/p?utm%5Fsource=x&id=7", "https://example.com/p?id=7"),
        ("not a url", "not a url"),
        ("ftp://example.com/file", "ftp://example.com/file"),
        ("http://[unclosed/x", "http://[unclosed/x"),
        ("https://", "https://"),
    ],
)
def test_canonical_url(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical


@pytest.mark.parametrize(
    "name",
    [
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "cmpid",
        "_ga",
        "_gl",
        "smid",
        "ns_mchannel",
        "at_medium",
        "pk_campaign",
        "mtm_source",
        "hsa_cam",
        "oly_enc_id",
        "vero_id",
        "ito",
    ],
)
def test_click_and_campaign_identifiers_are_stripped(name: str) -> None:
    assert canonical_url(f"https://example.com/story?{name}=abc&id=9") == "https://example.com/story?id=9"


@pytest.mark.parametrize("name", sorted(NO_LONGER_STRIPPED | {"p", "id", "page", "story", "q", "t", "oc", "maca"}))
def test_parameters_that_can_name_a_page_are_kept(name: str) -> None:
    assert canonical_url(f"https://example.com/story?{name}=2") == f"https://example.com/story?{name}=2"
    assert article_id(f"https://example.com/story?{name}=1") != article_id(f"https://example.com/story?{name}=2")


def test_tracking_list_holds_no_name_that_can_name_a_page() -> None:
    assert not TRACKING_PARAMS & NO_LONGER_STRIPPED
    assert all(name == name.lower() for name in TRACKING_PARAMS)
    assert all(prefix.endswith("_") for prefix in TRACKING_PREFIXES)


@pytest.mark.parametrize(
    "variant",
    [
        "http://news.example.com/story?id=1",
        "https://news.example.com/story?id=1",
        "https://NEWS.Example.com/story?id=1",
        "https://news.example.com:443/story?id=1",
        "http://news.example.com:80/story?id=1",
        "https://news.example.com/story?id=1#comments",
        "https://news.example.com/story?utm_campaign=x&id=1&fbclid=y",
        "https://reader:secret@news.example.com/story?id=1",
        "  https://news.example.com/story?id=1\n",
        "https://news.example.com/story?id=%31",
    ],
)
def test_id_is_stable_across_spellings_of_one_article(variant: str) -> None:
    a = article_id(variant)
    assert a == article_id("https://news.example.com/story?id=1")
    assert len(a) == 32
    assert all(c in "0123456789abcdef" for c in a)


def test_distinct_articles_get_distinct_ids() -> None:
    assert article_id("https://example.com/a") != article_id("https://example.com/b")
    assert article_id("https://example.com/p?id=1") != article_id("https://example.com/p?id=2")
    assert article_id("https://example.com/p") != article_id("https://example.com:8443/p")
    assert article_id("https://example.com/A") != article_id("https://example.com/a")


def test_guid_used_when_no_link_and_scoped_to_feed() -> None:
    one = article_id(None, "item-42", "https://a.example/feed")
    assert one == article_id("", "item-42", "https://a.example/feed")
    assert one == article_id(None, "item-42", "https://A.example:443/feed#x")
    assert one != article_id(None, "item-42", "https://b.example/feed")
    # A URL-shaped guid is as good as a link, whichever feed carries it.
    assert article_id(None, "https://x.example/s?utm_source=a", "f1") == article_id("https://x.example/s")


def test_fallback_when_no_link_and_no_guid() -> None:
    a = article_id(None, None, "https://a.example/feed", "Title|2024-01-01")
    assert a == article_id(None, None, "https://a.example/feed", "Title|2024-01-01")
    assert a != article_id(None, None, "https://a.example/feed", "Other|2024-01-01")


def test_odd_input_never_raises() -> None:
    for raw in [
        "http://[::1",
        "https://exa mple.com/",
        "https://😀.example/",
        "https://" + "a" * 300 + ".com/",
        "https://xn--zz.example/",
        "http://example.com/\x00",
        "https://example.com/%",
        "javascript:alert(1)",
    ]:
        assert isinstance(canonical_url(raw), str)
        assert len(article_id(raw, raw, raw, raw)) == 32
