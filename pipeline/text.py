"""Text normalisation: HTML to plain text, whitespace, length caps."""

from __future__ import annotations

import html
import re
import zlib

_DROP_BLOCKS = re.compile(r"<(script|style|noscript)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6]|p|li)\b[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_SPACE = re.compile(r"\s+")


def strip_html(text: str) -> str:
    """Plain text of an HTML fragment: tags removed, entities decoded, whitespace collapsed."""
    if "<" not in text and "&" not in text:
        return _SPACE.sub(" ", text).strip()
    text = _COMMENTS.sub(" ", text)
    text = _DROP_BLOCKS.sub(" ", text)
    text = _BREAKS.sub(" ", text)
    text = _TAGS.sub("", text)
    return _SPACE.sub(" ", html.unescape(text).replace("\xa0", " ")).strip()


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
