"""HTML to text (:func:`pipeline.core.text.strip_html`), length caps and stored-file decompression."""

from __future__ import annotations

import gzip
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipeline.core.text import MAX_HTML_CHARS, MAX_PASSES, decompress, strip_html, truncate


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("India and US sign pact", "India and US sign pact"),
        ("  India\tand\n\nUS\r\n sign\xa0pact  ", "India and US sign pact"),
        ("\u2003em\u2009spaces\u3000too", "em spaces too"),
        ("", ""),
        ("   \n\t", ""),
    ],
)
def test_plain_text_only_has_whitespace_collapsed(raw: str, text: str) -> None:
    assert strip_html(raw) == text


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("imports < 10% and exports > 5%", "imports < 10% and exports > 5%"),
        ("<p>imports < 10% and exports > 5%</p>", "imports < 10% and exports > 5%"),
        ("a < b > c", "a < b > c"),
        ("5<10 and 10>5", "5<10 and 10>5"),
        ("I <3 trade", "I <3 trade"),
        ("<<<>>>", "<<<>>>"),
        ("<", "<"),
        (">", ">"),
        ("&", "&"),
        ("AT&T and Q&A", "AT&T and Q&A"),
        ("x <= y >= z", "x <= y >= z"),
    ],
)
def test_bare_angle_brackets_and_ampersands_are_text(raw: str, text: str) -> None:
    assert strip_html(raw) == text


def test_less_than_before_a_letter_opens_a_tag_as_in_browsers() -> None:
    assert strip_html("a<b") == "a"
    assert strip_html("x<y and y>z") == "xz"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("before<script>var s = '<p>not text</p>'; if (a < b) {}</script>after", "beforeafter"),
        ("a<style>p { color: red }</style>b", "ab"),
        ("a<noscript><img src=x>enable JS</noscript>b", "ab"),
        ("a<template><p>hidden</p></template>b", "ab"),
        ("<html><head><title>Page title</title><meta charset=utf-8></head><body>Body</body></html>", "Body"),
        ('<SCRIPT type="text/javascript">x()</SCRIPT>kept', "kept"),
        ('<p>one</p><script src="w.js"></script><p>two</p>', "one two"),
    ],
)
def test_script_style_noscript_content_is_dropped(raw: str, text: str) -> None:
    assert strip_html(raw) == text


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("a<!-- a comment -->b", "ab"),
        ("a <!-- <p>tags</p> inside --> b", "a b"),
        ("kept<!-- never closed", "kept"),
        ("a<!---->b", "ab"),
    ],
)
def test_comments_are_dropped(raw: str, text: str) -> None:
    assert strip_html(raw) == text


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("<p>first</p><p>second</p>", "first second"),
        ("line<br>break<br/>again<BR />end", "line break again end"),
        ("<div>a</div><div>b</div>", "a b"),
        ("<ul><li>one</li><li>two<li>three</ul>", "one two three"),
        ("<h1>Head</h1>text<h6>small</h6>", "Head text small"),
        ("<table><tr><td>1</td><td>2</td></tr><tr><th>3</th></tr></table>", "1 2 3"),
        ("caption<img src=x.jpg>next", "caption next"),
        ("<blockquote>quote</blockquote>said", "quote said"),
        ("end.<p>Start", "end. Start"),
    ],
)
def test_block_elements_separate_words(raw: str, text: str) -> None:
    assert strip_html(raw) == text


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("In<b>dia</b>", "India"),
        ("<a href='/x'>US</a>-<i>India</i>", "US-India"),
        ("10<sup>th</sup> round", "10th round"),
        ("<span>tr</span><em>ade</em>", "trade"),
    ],
)
def test_inline_elements_do_not_split_words(raw: str, text: str) -> None:
    assert strip_html(raw) == text


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("India &amp; US", "India & US"),
        ("&quot;quoted&quot; &lsquo;single&rsquo;", '"quoted" ‘single’'),
        ("&#65;&#x42;&#X43;", "ABC"),
        ("a&nbsp;b&nbsp;&nbsp;c", "a b c"),
        ("&copy 2026 and &eacute", "© 2026 and é"),  # legacy names decode without ";" as in browsers
        ("&euro;5&thinsp;bn", "€5 bn"),
        ("&unknownentity; stays", "&unknownentity; stays"),
        ("&#0; and &#xD800;", "\ufffd and \ufffd"),
    ],
)
def test_character_references_are_decoded(raw: str, text: str) -> None:
    assert strip_html(raw) == text


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        # Markup escaped once inside HTML (feedparser already undid the XML level): read again.
        ("&lt;p&gt;Modi meets Biden&lt;/p&gt;", "Modi meets Biden"),
        ("x &lt;b&gt;bold&lt;/b&gt; y", "x bold y"),
        ("line&lt;br/&gt;break", "line break"),
        ("Merck &amp;amp; Co.", "Merck & Co."),
        # Escaped twice more, the example: still only the words.
        ("&amp;lt;b&amp;gt;Trade&amp;lt;/b&amp;gt; deal", "Trade deal"),
        # A lone opening tag is no evidence of escaping: text about markup keeps it.
        ("History of the &lt;blink&gt; tag", "History of the <blink> tag"),
        ("imports &lt; 10% and exports &gt; 5%", "imports < 10% and exports > 5%"),
    ],
)
def test_double_escaped_html_is_read_again(raw: str, text: str) -> None:
    assert strip_html(raw) == text


def test_unescaping_stops_after_max_passes() -> None:
    raw = "<p>x</p>"
    for _ in range(MAX_PASSES + 1):
        raw = raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Four levels of escaping, three passes: one level is left, and nothing loops.
    assert strip_html(raw) == "&lt;p&gt;x&lt;/p&gt;"


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("<div><p>unclosed <b>bold", "unclosed bold"),
        ("<b><i>misnested</b></i> text", "misnested text"),
        ("</p></div>stray end tags</span>", "stray end tags"),
        ('cut off here <a href="https://example.com/lo', "cut off here"),
        ("<p attr='unterminated>text", ""),
        ("<![CDATA[ x ]]>after", "after"),  # a bogus comment in HTML, as in browsers
        ("<?xml version='1.0' encoding='iso-8859-1'?><p>café</p>", "café"),
        ("<!DOCTYPE html><p>doc</p>", "doc"),
        ("nul\x00byte <b>x</b>", "nul\ufffdbyte x"),
        ("lone \ud800 surrogate <b>x</b>", "lone ? surrogate x"),
        ("<p>ok</p></html></body>trailing", "ok trailing"),
        ("<table><td>cell<tr>row</table>", "cell row"),
    ],
)
def test_broken_html_never_raises(raw: str, text: str) -> None:
    assert strip_html(raw) == text


def test_iframe_fallback_text_is_kept() -> None:
    # feedparser rewrites an XHTML-style <iframe .../> as an open <iframe ...>: what follows is still the entry.
    assert strip_html('safe<iframe src="https://example.com/"> description') == "safe description"


def test_markup_is_read_only_up_to_the_cap() -> None:
    words = "<p>word</p>" * (MAX_HTML_CHARS // 11 + 1000)
    text = strip_html(words)
    assert text.startswith("word word")
    assert text.count("word") == words[:MAX_HTML_CHARS].count("<p>word")


@pytest.mark.parametrize(
    "hostile",
    [
        "<div>" * 2_000_000 + "deep",  # 10 MB of nesting
        "<b><p>x" * 1_400_000,  # formatting elements reopened in every block
        "<table><tr><td>" * 700_000,
        "<a " + "x=1 " * 2_500_000,  # one tag that never ends
        "<!--" + "x" * 10_000_000,  # one comment that never ends
        "&amp;" * 2_000_000,
        "a<" * 5_000_000,
    ],
    ids=["nested-div", "formatting", "tables", "open-tag", "open-comment", "entities", "lt"],
)
def test_huge_hostile_markup_is_bounded(hostile: str) -> None:
    text = strip_html(hostile)
    assert len(text) <= MAX_HTML_CHARS


def test_moderately_deep_nesting_keeps_its_text() -> None:
    assert strip_html("<div>" * 1_000 + "deep text" + "</div>" * 1_000 + " after") == "deep text after"


def test_huge_plain_text_takes_the_fast_path() -> None:
    text = strip_html("word  " * 2_000_000)
    assert len(text) == len("word ") * 2_000_000 - 1


def test_real_feed_summary() -> None:
    raw = (
        '<p><img src="https://example.org/a.jpg" alt="photo">New Delhi &amp; Washington agreed on '
        'tariffs&nbsp;&mdash; the <a href="https://example.org/b">deal</a> covers&hellip;</p>'
        "<p>Read more</p><script>track()</script>"
    )
    assert strip_html(raw) == "New Delhi & Washington agreed on tariffs — the deal covers… Read more"


@pytest.mark.parametrize(
    ("raw", "limit", "cut"),
    [
        ("short", 10, "short"),
        ("India and the United States", 12, "India and"),
        ("x" * 300, 250, "x" * 250),
    ],
)
def test_truncate_cuts_at_a_word_boundary_when_one_is_near(raw: str, limit: int, cut: str) -> None:
    assert truncate(raw, limit) == cut


def test_decompress_gzip_zlib_raw_deflate_and_plain() -> None:
    body = b"<rss>" + b"x" * 1000 + b"</rss>"
    assert decompress(gzip.compress(body), 10_000) == body
    assert decompress(zlib.compress(body), 10_000) == body
    assert decompress(body, 10_000) == body
    with pytest.raises(ValueError, match="exceeds"):
        decompress(gzip.compress(body), 100)


def test_threads_each_get_their_own_parser() -> None:
    samples = [f"<p>item {i}</p><ul><li>a &amp; b</li></ul>" for i in range(200)]
    expected = [f"item {i} a & b" for i in range(200)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(strip_html, samples * 4))
    assert results == expected * 4
