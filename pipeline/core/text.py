"""Text normalisation: HTML to plain text, whitespace, length caps, stored-file decompression.

:func:`strip_html` reads feed titles, summaries and bodies with a real HTML
parser — lxml's binding of libxml2, whose HTML tokenizer follows HTML5
since libxml2 2.14 (lxml 6.0 wheels; with an older libxml2 a trailing bare
``<`` and legacy references without ``;`` come out differently) — and
renders the tree as one line of text:

- Input with neither ``<`` nor ``&`` is already plain text and only has its
  whitespace collapsed: most titles take this path, which costs well under a
  microsecond.
- The content of ``script``, ``style``, ``noscript``, ``template`` and
  ``head`` is dropped, and so are comments and processing instructions.
  (``iframe`` content is kept: it is fallback text, usually empty, and
  feedparser rewrites an XHTML-style ``<iframe .../>`` as an open
  ``<iframe ...>`` that would otherwise swallow the rest of the entry.)
- Block-level elements (:data:`BLOCK_TAGS`: paragraphs, line breaks,
  headings, list items, table cells, ...) separate words; inline ones
  (``b``, ``a``, ``span``, ...) do not, so ``In<b>dia</b>`` stays one word.
- Character references are decoded the way browsers decode them (HTML5
  names, the legacy ones also without ``;``); every run of whitespace,
  ``\\xa0`` included, becomes one space, and the ends are stripped.
- A ``<`` or ``>`` that cannot be markup is text: ``imports < 10% and
  exports > 5%`` keeps its middle. As in browsers, ``<`` directly followed by
  a letter, ``/``, ``!`` or ``?`` opens a tag, so ``a<b`` reads as ``a``.
- Broken HTML (unclosed, misnested, truncated tags) never raises; libxml2
  recovers as browsers do.
- **Double-escaped feeds.** Some publishers escape their HTML once more than
  the format asks, so the text of the first pass still holds markup or
  references (``&lt;p&gt;x&lt;/p&gt;`` renders as ``<p>x</p>``,
  ``Merck &amp;amp; Co.`` as ``Merck &amp; Co.``). When the text of a pass
  still holds a closing tag (``</p``), a self-closed one (``<br/>``) or a
  character reference, it is read as HTML again, at most
  :data:`MAX_PASSES` times in all, so
  ``&amp;lt;b&amp;gt;Trade&amp;lt;/b&amp;gt;`` gives ``Trade``. A lone
  opening tag is not taken as evidence, so ``History of the &lt;blink&gt;
  tag`` keeps its ``<blink>``; text that names a closing tag
  (``&lt;/p&gt;``) loses it, which is rare in news and cheaper than
  indexing raw markup.
- **Bounds.** Only the first :data:`MAX_HTML_CHARS` characters of markup are
  read (the caller keeps at most 100,000 characters of text anyway), and
  libxml2 stops descending at a nesting depth of about 2,000: text nested
  deeper than that is dropped. 10 MB of nested tags therefore costs a few
  milliseconds. libxml2's check for duplicate attributes is quadratic in
  the attributes of one tag, which the character cap bounds (a crafted
  100,000-character tag of 15,000 attributes takes about half a second).

Why lxml and not selectolax: on the corpus' real entries selectolax (Lexbor)
takes about a fifth less time, but its HTML5 tree construction is quadratic
in nesting depth (20,000 nested ``<div>`` — 100 KB — take about a second,
10 MB would take hours), while libxml2 caps the depth. ``benchmarks/bench_text.py``
measures this module against the regular expressions it replaces.
"""

from __future__ import annotations

import re
import threading
import zlib

from lxml import etree

# Elements that start a new line when a browser renders them: they separate the words around them.
BLOCK_TAGS: tuple[str, ...] = (
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "img",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
)
# Elements whose content is never shown as text (code, styling, fallbacks for missing features, metadata).
DROPPED_TAGS: tuple[str, ...] = ("script", "style", "noscript", "template", "head")
MAX_HTML_CHARS = 100_000
MAX_PASSES = 3  # one for the HTML, two more for feeds that escaped it twice or three times

# What a rendered text still holds when its source was escaped once too often: a closing or self-closed tag,
# or a character reference. (Plain text that mentions an opening tag, "the <blink> tag", is not evidence.)
_LOOKS_ESCAPED = re.compile(
    r"</[A-Za-z]|<[A-Za-z][^<>]*/>|&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"
)

# The rendering rules as an XSLT stylesheet, so that the walk over the tree runs in libxslt rather than in
# Python (about 6% faster than editing the tree and serialising it as text). Elements not named here fall
# to XSLT's built-in rules: children rendered in order, text copied, comments and attributes ignored.
_STYLESHEET = f"""\
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="utf-8"/>
  <xsl:template match="{"|".join(DROPPED_TAGS)}"/>
  <xsl:template match="{"|".join(BLOCK_TAGS)}">
    <xsl:text> </xsl:text><xsl:apply-templates/><xsl:text> </xsl:text>
  </xsl:template>
</xsl:stylesheet>
"""


class _Renderer(threading.local):
    """One libxml2 parser and compiled stylesheet per thread: a parser holds the state of the document it reads."""

    def __init__(self) -> None:
        self.parser: etree.HTMLParser | None = None
        self.transform: etree.XSLT | None = None

    def __call__(self, markup: str) -> str:
        if self.parser is None or self.transform is None:  # built on first use, not at import
            self.parser = etree.HTMLParser(
                encoding="utf-8",
                remove_comments=True,
                remove_pis=True,
                no_network=True,
                default_doctype=False,
                huge_tree=True,
            )
            self.transform = etree.XSLT(etree.XML(_STYLESHEET))
        try:
            # Bytes, so that an XML or charset declaration inside the markup cannot re-decode it;
            # "replace" turns lone surrogates, which UTF-8 cannot hold, into "?".
            root = etree.fromstring(markup.encode("utf-8", "replace"), self.parser)
            if root is None:  # nothing but whitespace, comments or dropped elements
                return ""
            return " ".join(str(self.transform(root)).split())
        except (etree.LxmlError, ValueError):  # libxml2 recovers from broken markup; this is a last resort
            return ""


_render = _Renderer()


def strip_html(text: str) -> str:
    """Plain text of an HTML fragment: one line, words separated by single spaces (see the module docstring)."""
    if "<" not in text and "&" not in text:
        return " ".join(text.split())
    text = text[:MAX_HTML_CHARS]
    for _ in range(MAX_PASSES):
        rendered = _render(text)
        if rendered == text or _LOOKS_ESCAPED.search(rendered) is None:
            return rendered
        text = rendered
    return text


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary when one is near."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ", max(0, limit - 200))
    return cut[:space] if space > 0 else cut


def decompress(body: bytes, limit: int) -> bytes:
    """Undo gzip or zlib/deflate compression of a stored feed file, at most ``limit`` bytes out.

    HTTP bodies are decoded by the HTTP client; files on disk (``.gz``, ``.z``)
    arrive here. Bodies that are not compressed, or are truncated, come back
    as they were (truncated streams keep what could be decoded), so the parser
    reports the problem. Raises ValueError when the output would exceed ``limit``.
    """
    if body[:2] == b"\x1f\x8b":
        wbits = 16 + zlib.MAX_WBITS
    elif body[:1] == b"\x78":
        wbits = zlib.MAX_WBITS
    else:
        return body
    decoder = zlib.decompressobj(wbits)
    try:
        out = decoder.decompress(body, limit + 1)
    except zlib.error:
        try:  # raw deflate without a zlib header, as some servers send
            out = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, limit + 1)
        except zlib.error:
            return body
    if len(out) > limit:
        raise ValueError(f"decompressed body exceeds {limit} bytes")
    return out or body
