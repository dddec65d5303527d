"""Is an HTML fragment's text unchanged by feedparser's HTML re-serialisation?

feedparser passes every HTML-typed value (RSS ``<description>``,
``content:encoded``, titles that look like HTML) through its SGML-based
relative-URI resolver, which re-serialises the markup: attributes are
re-quoted and resolved, ``<br/>`` becomes ``<br />``, unknown entities
become ``&amp;name``. The fast path keeps the value as the document gave
it, so it may only do that when both strings mean the same text.

:func:`same_text_after_feedparser` answers that conservatively. It accepts
a fragment only when it is a sequence of tokens that feedparser's
tokenizer and an HTML5 tokenizer split the same way and that the
re-serialisation maps to equivalent tokens: plain text, ``&`` not starting
a reference, character references, named references with the outcomes
below, simple start/end tags (attribute values without ``<``/``>``),
simple comments and a ``<`` that cannot open markup. Everything else
(processing instructions, declarations, CDATA, RCDATA elements with
content, ``</br>``, a prefix of an HTML5 legacy entity that the two would
decode differently, non-ASCII inside tags where it could change
feedparser's mojibake repair) answers False and the caller falls back to
feedparser itself.
"""

from __future__ import annotations

import html.entities
import re

__all__ = ["same_text_after_feedparser"]

# Named references feedparser re-emits unchanged (HTML 4 names, plus apos).
_KNOWN = frozenset(html.entities.name2codepoint) | {"apos"}
# HTML5 references that decode without a semicolon ("&amp", "&copy", "&not" ...).
_LEGACY = frozenset(name for name in html.entities.html5 if not name.endswith(";"))
_LEGACY_MAX = max(map(len, _LEGACY))

_ATTR = (
    r"""(?:\s++[a-zA-Z_][-a-zA-Z0-9_:.]*+"""
    r"""(?:\s*+=\s*+(?:"[^"<>]*+"|'[^'<>]*+'|[-a-zA-Z0-9./,:;+*%?!&$()_#=~@]++))?+)"""
)
_STRUCTURE = re.compile(
    r"(?>"
    r"[^<&]++"  # text
    r"|&\#[0-9]++;|&\#[xX][0-9a-fA-F]++;"  # character references (the ';' is required)
    r"|&[a-zA-Z][-.a-zA-Z0-9]*+;?+"  # named reference: judged by _references_agree
    r"|&(?![a-zA-Z#])"  # a bare ampersand is text to both
    r"|<[a-zA-Z][a-zA-Z0-9]*+" + _ATTR + r"*+\s*+/?>"  # start tag
    r"|</[a-zA-Z][a-zA-Z0-9]*+\s*+>"  # end tag
    r"|<!--(?!-?>)(?:(?!--).)*+-->"  # comment that both end at the first '-->'
    # '<' that opens nothing (and that feedparser's '<x/>' rewrite does not touch)
    r"|<(?![a-zA-Z/!?>]|[^<>\s]+\s*/>)"
    r")*+",
    re.DOTALL,
)
_REFERENCE = re.compile(r"&([a-zA-Z][-.a-zA-Z0-9]*)(;?)")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
# Elements whose content HTML5 reads as literal text: markup inside them is text, so a
# re-serialised attribute would change it. Accepted only when empty.
_LITERAL = re.compile(
    r"<(textarea|title|xmp|iframe|noembed|noframes|noscript)\b[^>]*>(?!\s*</\1\s*>)"
    r"|<plaintext\b|</br\b",
    re.IGNORECASE,
)


def same_text_after_feedparser(value: str) -> bool:
    """True when ``value`` and feedparser's re-serialisation of it are the same HTML text."""
    if "<" not in value and "&" not in value:
        return True
    if _STRUCTURE.fullmatch(value) is None:
        return False
    if "&" in value and not _references_agree(value):
        return False
    if "<" in value:
        if _LITERAL.search(value):
            return False
        if not value.isascii() and not _same_repair_verdict(value):
            return False
    return True


def _same_repair_verdict(value: str) -> bool:
    """feedparser's UTF-8-read-as-Latin-1 repair would treat the value and its rewrite alike.

    The repair applies to a whole value or not at all. The rewrite only changes tags (it
    may drop an attribute value), so the verdict can differ only when every piece of text
    outside the tags could be repaired and some tag holds non-ASCII characters.
    """
    for piece in _TAG.split(value)[::3]:  # split() interleaves the two groups; every third item is text
        if piece.isascii():
            continue
        try:
            piece.encode("iso-8859-1").decode("utf-8")
        except UnicodeError:
            return True  # this piece can never be repaired, so neither string is
    return all(match.group().isascii() for match in _TAG.finditer(value))


def _references_agree(value: str) -> bool:
    """Named references decode to the same text before and after feedparser rewrote them.

    feedparser keeps ``&name;`` for HTML 4 names, writes ``&amp;name`` for other
    names (dropping a ';'), and leaves a reference at the very end alone.
    """
    for match in _REFERENCE.finditer(value):
        name, semicolon = match.group(1), match.group(2)
        if semicolon:
            if name not in _KNOWN:
                return False
        elif match.end() == len(value):
            if name[-1] in "-.":  # the tokenizer could split such a name either way
                return False
        elif value[match.end()] == "<":
            return False  # a tag-stripping reader would join the reference to the text after the tag
        elif name in _KNOWN:
            if name not in _LEGACY:  # "&hellip " decodes for feedparser, not for HTML5
                return False
        else:
            run = re.match(r"[a-zA-Z0-9]*", name)
            letters = run.group() if run else ""
            if any(letters[:size] in _LEGACY for size in range(1, min(len(letters), _LEGACY_MAX) + 1)):
                return False  # "&notes": HTML5 decodes "&not", feedparser keeps "&notes"
    return True
