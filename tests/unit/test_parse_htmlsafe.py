"""HTML the fast path keeps as written reads the same as feedparser's re-serialisation of it.

The check is made two ways: with newsmon's own ``text.strip_html`` and with a
small HTML5 reader (``html.parser``), so that it does not depend on how
strip_html happens to be written.
"""

from __future__ import annotations

import html.parser
import random

import pytest
from feedparser.urls import resolve_relative_uris  # what feedparser does to HTML values (the oracle)

from pipeline.core import text
from pipeline.sources.htmlsafe import same_text_after_feedparser

BASE = "http://example.test/feed.xml"
FRAGMENTS = (
    "a",
    " ",
    "Tom ",
    "&",
    "&amp;",
    "&amp",
    "&nbsp;",
    "&hellip;",
    "&hellip ",
    "&notes",
    "&not ",
    "&D ",
    "&P.Dow",
    "&foo;",
    "&NewLine;",
    "&#39;",
    "&#150;",
    "&#x2013;",
    "&#39",
    "<",
    "< ",
    "<3",
    ">",
    "<b>",
    "</b>",
    "<br>",
    "<br/>",
    "</br>",
    "<p/>",
    "<p>",
    "</p>",
    '<a href="x">',
    "<a href=x>",
    "<a title='1>2'>",
    '<a title="x">',
    "</a>",
    '<img src="/i.png" alt="é"/>',
    '<img src="a.png"/>',
    "<!-- c -->",
    "<!-->",
    "<!DOCTYPE x>",
    "<![CDATA[x]]>",
    "<?pi?>",
    "<script>",
    "</script>",
    "if(a<b)",
    "<textarea>",
    "</textarea>",
    "<title>",
    "</title>",
    "é",
    "Ã©",
    "€",
    "\x96",
    "中",
    "<div>",
    "</div>",
    "<x:y>",
    "<2/>",
    "<a/b/",
    '"',
    "'",
    ";",
    "=",
    "/",
    "<span",
    "<li>",
    "café",
    "&copy2024",
    "&AMP;",
    "&apos;",
    '<iframe src="v"></iframe>',
    "<style>p{}</style>",
    "<iframe>x</iframe>",
)


class _Html5Text(html.parser.HTMLParser):
    """Text of an HTML fragment as an HTML5 reader sees it (blocks separated, scripts dropped)."""

    BLOCKS = frozenset({"p", "div", "br", "li"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skipping += tag in ("script", "style")
        self.parts.append(" " if tag in self.BLOCKS else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skipping = max(0, self.skipping - 1)
        self.parts.append(" " if tag in self.BLOCKS else "")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html5_text(value: str) -> str:
    reader = _Html5Text()
    reader.feed(value)
    reader.close()
    return " ".join("".join(reader.parts).split())


def repaired(value: str) -> str:
    """feedparser's repair of UTF-8 read as Latin-1, applied after its HTML rewrite."""
    try:
        return value.encode("iso-8859-1").decode("utf-8")
    except UnicodeError:
        return value


def assert_same_text(value: str) -> None:
    rewritten = repaired(resolve_relative_uris(value, BASE, "utf-8", "text/html"))
    kept = repaired(value)
    assert text.strip_html(kept) == text.strip_html(rewritten), (value, rewritten)
    assert html5_text(kept) == html5_text(rewritten), (value, rewritten)


@pytest.mark.parametrize("seed", range(4))
def test_random_fragments_it_accepts_read_the_same(seed: int) -> None:
    rng = random.Random(seed)
    accepted = 0
    for _ in range(4000):
        value = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 8))).strip()
        if same_text_after_feedparser(value):
            accepted += 1
            assert_same_text(value)
    assert accepted > 500  # the check must not pass by accepting nothing


@pytest.mark.parametrize(
    "value",
    [
        "Plain words",
        "Tom & Jerry",
        "AT&amp;T",
        "&D day",
        "S&P 500",
        '<p>Text <a href="/x?a=1&b=2">link</a></p>',
        "<p>One<br/>two</p>",
        '<img src="a.jpg" alt="BEBÉS"/> Café',
        "中文<p><img src='x.jpg' /></p>",
        "<!-- note --><b>x</b>",
        "<script>if (a < b) {}</script>after",
        "a &lt; b &gt; c",
        "&#8220;quoted&#8221;",
    ],
)
def test_real_world_shapes_are_accepted(value: str) -> None:
    assert same_text_after_feedparser(value)
    assert_same_text(value)


@pytest.mark.parametrize(
    "value",
    [
        "&notes here",
        "&hellip then",
        "&foo; bar",
        "a &NewLine; b",
        "&amp<b>;</b>",
        "<![CDATA[x]]>",
        "<!DOCTYPE x>",
        "<?php ?>",
        "a</br>b",
        "<textarea><i class=x>t</i></textarea>",
        '<a title="1>2">x</a>',
        "<a/b/",
        "x<y",
        "<2/>",
        "<x:y>z</x:y>",
    ],
)
def test_shapes_feedparser_may_read_differently_are_refused(value: str) -> None:
    assert not same_text_after_feedparser(value)
