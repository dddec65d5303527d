"""The fast parse path: lxml builds the tree, and this module reads it the way feedparser would.

Contract: for a document it accepts, :func:`parse` returns entries whose
fields newsmon reads (``title``, ``link``, ``id``, ``summary``,
``subtitle``, ``content``, ``published``/``updated``/``created`` and their
``*_parsed`` struct_times, ``language``) hold exactly the values
``feedparser.parse`` gives for the same bytes, headers and base URL, plus
the feed's ``title`` and ``language``. For any document where it cannot
vouch for that it raises :class:`Decline`, and the caller hands the bytes
to feedparser. The reasons are a small fixed set (:data:`REASONS`):

- ``doctype``: a DOCTYPE or entity declaration (feedparser rewrites those);
- ``encoding``: feedparser (Content-Type charset, RFC 3023 defaults, the
  declaration) and lxml (BOM, declaration) could pick different codecs;
  accepted are both UTF-8, both ISO-8859-1, and ASCII bodies;
- ``xml_base``: an ``xml:base``/``base`` attribute below the root element
  (one on the root is followed), or a base URL that is not http(s)/file;
- ``namespaces``: prefixes bound in ways feedparser maps differently;
- ``not_well_formed``: lxml's strict parser refused it (feedparser's loose
  parser then does its best, so its answer is the one to keep);
- ``structure``: not ``rss/channel/item``, ``rdf:RDF/item`` or ``feed/entry``;
- ``element``: an element feedparser gives meaning to that this module does
  not model, or mixed content in a text field;
- ``content_type``: a field typed other than plain text or HTML (XHTML,
  base64, ``mode``);
- ``html``: HTML that feedparser's re-serialisation could change
  (:mod:`pipeline.sources.htmlsafe`);
- ``date``: a date string outside :mod:`pipeline.sources.fastdates`;
- ``no_entries``: nothing to read (feedparser names the failure).

Safety: the parser never resolves entities, loads a DTD, touches the
network or lifts libxml2's size limits (``huge_tree``); documents with a
DOCTYPE are declined before lxml sees them.

feedparser's own tables (namespace URIs to prefixes, the element names it
has handlers for) are read from the installed feedparser, so an element it
learns to handle in a later version makes this module decline rather than
silently disagree.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import feedparser.api
import feedparser.urls
import feedparser.util
from lxml import etree

from pipeline.sources.fastdates import UnknownDate, parse_date
from pipeline.sources.htmlsafe import same_text_after_feedparser

__all__ = ["REASONS", "Decline", "FastDocument", "parse"]

REASONS: Final = (
    "doctype",
    "encoding",
    "xml_base",
    "namespaces",
    "not_well_formed",
    "structure",
    "element",
    "content_type",
    "html",
    "date",
    "no_entries",
)


class Decline(Exception):
    """The fast path cannot vouch for this document; ``reason`` is one of :data:`REASONS`.

    A signal to use feedparser, not an error: it never leaves ``parse_feed``.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class FastDocument:
    """What :func:`parse` read: entry dicts shaped like feedparser's, and the feed's title/language."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    feed: dict[str, Any] = field(default_factory=dict)
    total: int = 0  # entries in the document; ``entries`` holds at most ``max_entries`` of them


# --- feedparser's tables ----------------------------------------------------------------------------

_FP = feedparser.api.StrictFeedParser  # the class feedparser parses well-formed documents with
_NAMESPACES: Final[dict[str, str]] = {uri.lower(): prefix for uri, prefix in _FP.namespaces.items()}
_STANDARD_PREFIXES: Final = frozenset(p for p in _NAMESPACES.values() if p)
_HANDLED_BY_FEEDPARSER: Final = frozenset(n[len("_start_") :] for n in dir(_FP) if n.startswith("_start_")) | frozenset(
    n[len("_end_") :] for n in dir(_FP) if n.startswith("_end_")
)
_HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})

# --- what each element means (feedparser's handler names: prefix_localname, lower case) -------------

_TITLE, _MEDIA_TITLE, _DESCRIPTION, _SUMMARY = "title", "media_title", "description", "summary"
_CONTENT, _SUBTITLE, _LINK, _GUID, _LANGUAGE, _DATE = "content", "subtitle", "link", "guid", "language", "date"
_LEAF_RESET, _INERT_TEXT, _INERT = "leaf_reset", "inert_text", "inert"
_ENTRY_KINDS: Final[dict[str, str]] = {
    "title": _TITLE,
    "dc_title": _TITLE,
    "media_title": _MEDIA_TITLE,
    "description": _DESCRIPTION,
    "dc_description": _DESCRIPTION,
    "media_description": _DESCRIPTION,
    "summary": _SUMMARY,
    "itunes_summary": _SUMMARY,
    "content": _CONTENT,
    "content_encoded": _CONTENT,
    "subtitle": _SUBTITLE,
    "tagline": _SUBTITLE,
    "itunes_subtitle": _SUBTITLE,
    "link": _LINK,
    "guid": _GUID,
    "id": _GUID,
    "language": _LANGUAGE,
    "dc_language": _LANGUAGE,
    **dict.fromkeys(
        (
            "pubdate",
            "published",
            "issued",
            "dcterms_issued",
            "updated",
            "modified",
            "lastbuilddate",
            "dc_date",
            "dcterms_modified",
            "created",
            "dcterms_created",
        ),
        _DATE,
    ),
    # feedparser resets its "a title was seen" depth on these; harmless when they hold only text
    "image": _LEAF_RESET,
    "source": _LEAF_RESET,
    # text fields newsmon does not read (feedparser treats child elements inside them as markup)
    **dict.fromkeys(
        ("rights", "copyright", "dc_rights", "info", "feedburner_browserfriendly", "expirationdate"), _INERT_TEXT
    ),
    # handlers that only fill fields newsmon does not read; their children are read as usual
    **dict.fromkeys(
        (
            "author",
            "managingeditor",
            "dc_author",
            "dc_creator",
            "itunes_author",
            "contributor",
            "dc_contributor",
            "name",
            "email",
            "url",
            "uri",
            "homepage",
            "itunes_name",
            "itunes_email",
            "category",
            "keywords",
            "dc_subject",
            "media_category",
            "itunes_category",
            "tags",
            "itunes_keywords",
            "media_keywords",
            "enclosure",
            "media_content",
            "media_thumbnail",
            "media_credit",
            "media_group",
            "media_rating",
            "media_restriction",
            "media_license",
            "media_player",
            "cc_license",
            "creativecommons_license",
            "itunes_image",
            "itunes_link",
            "itunes_owner",
            "itunes_block",
            "itunes_explicit",
            "width",
            "height",
            "generator",
            "webmaster",
            "dc_publisher",
            "cloud",
            "newlocation",
            "admin_generatoragent",
            "admin_errorreportsto",
        ),
        _INERT,
    ),
}
_DATE_KEYS: Final[dict[str, str]] = {
    **dict.fromkeys(("pubdate", "published", "issued", "dcterms_issued"), "published"),
    **dict.fromkeys(("updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"), "updated"),
    **dict.fromkeys(("created", "dcterms_created"), "created"),
}
# Elements feedparser has no handler for land in the entry under their own name; these names would
# collide with (or, through FeedParserDict's aliases, stand in for) fields newsmon reads.
_CLASHING_UNKNOWN: Final = frozenset(feedparser.util.FeedParserDict.keymap) | frozenset(
    {
        "title",
        "summary",
        "subtitle",
        "content",
        "link",
        "links",
        "id",
        "language",
        "published",
        "updated",
        "created",
        "guidislink",
        "entries",
        "feed",
        "source",
        "tags",
    }
)
# Children an <image>/<textinput> may have without feedparser switching context mid-way (its
# "special hack" leaves image/textinput mode on any other unprefixed element).
_IMAGE_CHILDREN: Final = frozenset({"title", "link", "description", "url", "href", "width", "height"})
_TEXTINPUT_CHILDREN: Final = frozenset({"title", "link", "description", "name"})
# Feed-level elements that would change how the entries after them are read.
_FEED_LEVEL_DECLINE: Final = frozenset({"body", "xhtml_body", "fullitem", "abstract", "source"})

# --- byte-level checks before parsing ----------------------------------------------------------------

_XML_DECL = re.compile(rb"<\?xml\s([^>]*?)\?>")
_DECL_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_DECL_VERSION = re.compile(rb"""version\s*=\s*["']([^"']*)["']""")
_FP_DECL_ENCODING = re.compile(rb"""^<\?.*encoding=['"](.*?)['"].*\?>""")  # how feedparser finds it
_XMLNS = re.compile(rb"""xmlns:([A-Za-z_][-.\w]*)\s*=\s*(["'])(.*?)\2""")
_ASCII_SUPERSETS = frozenset({"utf-8", "ascii", "iso8859-1", "cp1252", "iso8859-15"})
_URI_FIXER = re.compile(r"^([A-Za-z][A-Za-z0-9+,.-]*://)(/*)")
_AMP_REFERENCE = re.compile(r"&([A-Za-z0-9_]+);")
_LOOKS_LIKE_MARKUP = re.compile(r"</\w+>|&#?\w+;")  # what feedparser's HTML guess requires first
# C1 control codes that windows-1252 assigns (five it leaves unassigned, and feedparser leaves them too)
_CP1252: Final[dict[int, str]] = {
    code: bytes([code]).decode("cp1252", "replace")
    for code in range(0x80, 0xA0)
    if bytes([code]).decode("cp1252", "replace") != "\ufffd"
}

_C1 = re.compile("[\x80-\x9f]")
_URLJOIN_CHANGES = re.compile(r"[;\t\r\n\[\]]|[?#]$|\?#")  # what urljoin would alter in an absolute URL
_NAME_CACHE_LIMIT = 4096

# feedparser's names for tags in known namespaces (those do not depend on the prefix), across documents
_NAMES: dict[str, str] = {}
_local = threading.local()


def _xml_parser() -> etree.XMLParser:
    """One parser per thread (lxml parsers are not thread-safe)."""
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            recover=False,
            remove_comments=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse(body: bytes, base: str, headers: Mapping[str, str], max_entries: int) -> FastDocument:
    """Read ``body`` as feedparser would with these (lower-cased) response headers and base URL.

    Raises :class:`Decline` when the result could differ from feedparser's.
    """
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise Decline("doctype")
    _check_encoding(body, headers)
    if b"xmlns:" in body:
        _check_namespace_bindings(body)
    base_uri = _base_uri(base)
    try:
        root = etree.fromstring(body, _xml_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise Decline("not_well_formed", str(exc)[:200]) from exc
    if b"base" in body or b"BASE" in body or b"Base" in body:
        base_attrs = int(root.xpath("count(//@*[translate(local-name(), 'BASE', 'base') = 'base'])"))
        if base_attrs:
            base_uri = _root_base(root, base_uri, base_attrs)
    reader = _Reader(base_uri, headers.get("content-language"), max_entries)
    reader.read(root)
    if not reader.doc.entries:
        raise Decline("no_entries")
    return reader.doc


def _check_encoding(body: bytes, headers: Mapping[str, str]) -> None:
    """Decline unless feedparser and lxml would decode ``body`` with the same codec.

    Accepted: both UTF-8, both ISO-8859-1, any two ASCII supersets on an ASCII body, and
    feedparser's RFC 3023 default of US-ASCII for ``text/*`` when the document declares
    UTF-8 (ASCII fails on the first non-ASCII byte and feedparser's next choice is the
    declaration).
    """
    if body.startswith(b"\xef\xbb\xbf"):
        data, bom = body[3:], True
    elif body[:2] in (b"\xfe\xff", b"\xff\xfe") or body[:4] in (
        b"\x00\x00\xfe\xff",
        b"\x00\x00\x00\x3c",
        b"\x3c\x00\x00\x00",
        b"\x00\x3c\x00\x3f",
        b"\x3c\x00\x3f\x00",
        b"\x4c\x6f\xa7\x94",
    ):
        raise Decline("encoding", "UTF-16/32 or EBCDIC")
    else:
        data, bom = body, False
    declared: str | None = None  # what lxml reads
    decl = _XML_DECL.match(data)
    if decl:
        version = _DECL_VERSION.search(decl.group(1))
        if version and version.group(1) != b"1.0":  # feedparser rewrites the declaration to 1.0
            raise Decline("encoding", "XML version is not 1.0")
        encoding = _DECL_ENCODING.search(decl.group(1))
        declared = encoding.group(1).decode("ascii", "replace") if encoding else None
    fp_match = _FP_DECL_ENCODING.match(data)
    fp_declared = fp_match.group(1).decode("utf-8", "replace").lower() if fp_match else ""
    lxml_codec = _codec(declared) if declared else "utf-8"
    fp_codec = _codec(_feedparser_encoding(headers, fp_declared))
    if bom and lxml_codec != "utf-8":
        raise Decline("encoding", f"UTF-8 BOM but declared {declared}")
    if lxml_codec is not None and lxml_codec == fp_codec and lxml_codec in ("utf-8", "iso8859-1"):
        return
    if lxml_codec in _ASCII_SUPERSETS and fp_codec in _ASCII_SUPERSETS and data.isascii():
        return
    if fp_codec == "ascii" and lxml_codec == "utf-8" and (_codec(fp_declared) == "utf-8" or bom):
        return
    raise Decline("encoding", f"declared {declared}, feedparser would decode as {fp_codec}")


def _codec(name: str | None) -> str | None:
    """Python's canonical codec name (``utf-8``, ``iso8859-1``, ``ascii``), None when unknown."""
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _feedparser_encoding(headers: Mapping[str, str], xml_encoding: str) -> str:
    """The encoding feedparser tries first (RFC 3023 rules on the Content-Type, then the declaration)."""
    content_type = headers.get("content-type") or ""
    mime, _, params = content_type.partition(";")
    mime = mime.strip()
    charset = ""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    if mime in ("application/xml", "application/xml-dtd", "application/xml-external-parsed-entity") or (
        mime.startswith("application/") and mime.endswith("+xml")
    ):
        chosen = charset or xml_encoding or "utf-8"
    elif mime.startswith("text/"):
        chosen = charset or "us-ascii"
    elif headers and "content-type" not in headers:
        chosen = xml_encoding or "iso-8859-1"
    else:
        chosen = xml_encoding or "utf-8"
    return chosen.lower()


def _check_namespace_bindings(body: bytes) -> None:
    """Decline when a prefix is bound in a way that feedparser's prefix table would re-map.

    feedparser looks element prefixes up in one table for the whole document, keyed by the
    prefixes as written; a prefix bound twice, or a standard prefix (``dc``) bound to another
    known namespace, makes it name elements differently from their namespace.
    """
    bound: dict[str, str] = {}
    for match in _XMLNS.finditer(body):
        prefix, uri = match.group(1).decode("ascii", "replace"), match.group(3).decode("utf-8", "replace")
        if bound.setdefault(prefix, uri) != uri:
            raise Decline("namespaces", f"prefix {prefix} bound to two URIs")
    for prefix, uri in bound.items():
        mapped = _mapped_prefix(uri)
        if mapped is not None and prefix in _STANDARD_PREFIXES and prefix != mapped:
            raise Decline("namespaces", f"prefix {prefix} bound to {uri}")
        if mapped is None and prefix.lower() != prefix and prefix.lower() in bound:
            raise Decline("namespaces", f"prefix {prefix}")


def _mapped_prefix(uri: str) -> str | None:
    lowered = uri.lower()
    if "backend.userland.com/rss" in lowered:
        return ""
    return _NAMESPACES.get(lowered)


def _urljoin(base: str, uri: str) -> str:
    """feedparser's join: extra slashes after ``scheme://`` dropped, then RFC 3986 resolution."""
    if ":///" in uri:
        uri = _URI_FIXER.sub(r"\1", uri)
    if uri.startswith(("http://", "https://")) and not _URLJOIN_CHANGES.search(uri):
        # urljoin returns an absolute http(s) URL as it is, short of the few things matched above;
        # skipping it halves the cost of an entry
        return uri
    try:
        return urllib.parse.urljoin(base, uri)
    except ValueError:
        return ""


def _base_uri(base: str) -> str:
    """The base feedparser resolves against: it re-joins the base with itself on every element."""
    scheme = base.split(":", 1)[0].lower()
    if scheme not in ("http", "https", "file"):
        raise Decline("xml_base", f"base URL scheme {scheme!r}")
    joined = _urljoin(base, base)
    if not joined or _urljoin(joined, joined) != joined:
        raise Decline("xml_base", "base URL does not settle")
    return joined


def _root_base(root: Any, base: str, base_attrs: int) -> str:
    """The base after an ``xml:base`` on the root element, the one place it is accepted."""
    attrs = _Reader.attrs(root)
    value = attrs.get("xml:base", attrs.get("base"))
    if base_attrs != 1 or value is None:
        raise Decline("xml_base", "xml:base below the root element")
    if value:
        joined = _urljoin(base, value)
        if joined.strip().split(":", 1)[0] in feedparser.urls.ACCEPTABLE_URI_SCHEMES:
            base = joined  # feedparser ignores a base with a scheme it does not accept
    return _base_uri(base)


def _fix_text(value: str) -> str:
    """feedparser's last two steps on every value: undo UTF-8 read as Latin-1, map C1 codes to cp1252."""
    if value.isascii():
        return value
    with contextlib.suppress(UnicodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    return value.translate(_CP1252) if _C1.search(value) else value


def _content_type(attrs: Mapping[str, str], default: str) -> str:
    if "mode" in attrs:
        raise Decline("content_type", "mode attribute")
    value = attrs.get("type", default).lower()
    mapped = {"text": "text/plain", "plain": "text/plain", "html": "text/html"}.get(value, value)
    if mapped not in ("text/plain", "text/html"):
        raise Decline("content_type", mapped[:40])
    return mapped


class _Reader:
    """Walks the tree in document order keeping the parts of feedparser's state that matter here."""

    def __init__(self, base: str, header_lang: str | None, max_entries: int) -> None:
        self.base = base
        self.max_entries = max_entries
        self.doc = FastDocument()
        if header_lang:
            self.doc.feed["language"] = header_lang.replace("_", "-")
        self.atom = False
        self.title_depth = -1  # depth of the last non-empty title; deeper or equal titles are ignored
        self.has_content = False  # a content element was seen in this entry (feedparser's hasContent)
        self.guidislink = False
        self.feed_summary = False  # the feed (not an entry) has a summary (feedparser: 'summary' in feeddata)

    # names -------------------------------------------------------------------------------------------

    def name(self, element: Any) -> str | None:
        """feedparser's handler name for an element (``dc_date``, ``title``), None for comments/PIs."""
        tag = element.tag
        cached = _NAMES.get(tag)
        if cached is not None:
            return cached
        if not isinstance(tag, str):
            return None
        if tag[0] == "{":
            namespace, local = tag[1:].split("}", 1)
            mapped = _mapped_prefix(namespace)
            if mapped is None:  # unknown namespace: feedparser uses the prefix written in the document
                prefix = (element.prefix or "").lower()
                return f"{prefix}_{local.lower()}" if prefix else local.lower()
        else:
            mapped, local = "", tag
        name = f"{mapped}_{local.lower()}" if mapped else local.lower()
        if len(_NAMES) > _NAME_CACHE_LIMIT:  # documents can invent tags without end; keep the cache bounded
            _NAMES.clear()
        _NAMES[tag] = name
        return name

    @staticmethod
    def attrs(element: Any) -> dict[str, str]:
        """Attributes keyed as feedparser keys them (``rel``, ``rdf:about``), rel/type lower-cased."""
        out: dict[str, str] = {}
        for raw_key, value in element.attrib.items():
            key = raw_key
            if key[0] == "{":
                namespace, local = key[1:].split("}", 1)
                prefix = _NAMESPACES.get(namespace.lower(), "")
                key = f"{prefix}:{local}" if prefix else local
            key = key.lower()
            out[key] = value.lower() if key in ("rel", "type") else value
        return out

    # values ------------------------------------------------------------------------------------------

    def text(self, element: Any, default_type: str | None, *, resolve: bool = False) -> str:
        """A leaf's text after feedparser's processing; ``default_type`` None for non-content fields."""
        if len(element):
            raise Decline("element", f"mixed content in {self.name(element)}")
        value = element.text
        value = value.strip() if value else ""
        if resolve and value:
            value = _urljoin(self.base, value)
        if default_type is not None:
            # decline XHTML, base64 and other types even when empty (feedparser copies only text to summary)
            content_type = _content_type(self.attrs(element), default_type) if element.attrib else default_type
            # text without '<' or '&' reads the same every way: the common case skips the checks
            if "<" in value or "&" in value:
                if content_type == "text/html":
                    if not same_text_after_feedparser(value):
                        raise Decline("html")
                elif not self.atom and not same_text_after_feedparser(value) and _LOOKS_LIKE_MARKUP.search(value):
                    raise Decline("html", "plain text that feedparser may read as HTML")
        return value if value.isascii() else _fix_text(value)

    # document structure ------------------------------------------------------------------------------

    def read(self, root: Any) -> None:
        kind = self.name(root)
        root_attrs = self.attrs(root) if root.attrib else {}
        lang_attr = root_attrs.get("xml:lang", root_attrs.get("lang"))
        if kind == "rss":
            pass
        elif kind == "feed":
            # feedparser's version comes from the first namespace it sees; a root that also declares
            # RSS 1.0 could make it treat this Atom document as RSS, so read it as RSS (stricter).
            self.atom = not (
                {"http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"} & set(root.nsmap.values())
            )
        elif kind == "rdf_rdf":
            lang_attr = None  # feedparser compares with 'rdf:RDF' but its tag is 'rdf:rdf'
        else:
            raise Decline("structure", f"root {kind}")
        if lang_attr:
            self.doc.feed["language"] = lang_attr.replace("_", "-")
        in_feed = kind == "feed"
        channels = 0
        for child in root:
            name = _NAMES.get(child.tag) or self.name(child)
            if name is None:
                continue
            if name == "channel" and kind in ("rss", "rdf_rdf"):
                channels += 1
                if channels > 1 or child.attrib.get("href") is not None or child.attrib.get("lastmod") is not None:
                    raise Decline("structure", "channel")
                for grandchild in child:
                    self.feed_child(grandchild, 3, in_feed=True, items_here=kind == "rss")
            elif kind == "rss":
                raise Decline("structure", f"{name} outside the channel")
            else:
                self.feed_child(child, 2, in_feed=in_feed, items_here=True)

    # Complexity: one branch per RSS/Atom/RDF element name, run for every element of every feed; a dispatch
    # table would split one reading of the spec into a dozen functions (python -m benchmarks.bench_parse).
    def feed_child(self, element: Any, depth: int, *, in_feed: bool, items_here: bool) -> None:  # noqa: C901
        name = _NAMES.get(element.tag) or self.name(element)
        if name is None:
            return
        if name in ("item", "entry"):
            if not items_here:
                raise Decline("structure", f"{name} at depth {depth}")
            self.entry(element, depth)
            return
        if name in ("channel", "rss", "feed") or name in _FEED_LEVEL_DECLINE:
            raise Decline("structure", f"feed-level {name}")
        kind = _ENTRY_KINDS.get(name)
        if kind in (_TITLE, _MEDIA_TITLE):
            value = self.text(element, "text/plain")
            if not (-1 < self.title_depth <= depth) and in_feed:
                self.doc.feed["title"] = value
            if value and kind == _TITLE:
                self.title_depth = depth
        elif kind == _LANGUAGE:
            value = self.text(element, None)
            if in_feed:
                self.doc.feed["language"] = value
        elif name == "image":
            self.side_block(element, depth, _IMAGE_CHILDREN)
        elif name == "textinput":
            self.side_block(element, depth, _TEXTINPUT_CHILDREN)
        elif kind in (_DESCRIPTION, _SUMMARY, _CONTENT):
            # Only their effect on the entries matters: feedparser's "summary seen" / "content
            # seen" flags, which a feed-level summary or content sets and the next entry inherits.
            if len(element):
                raise Decline("element", f"mixed content in feed-level {name}")
            if kind == _CONTENT or (self.feed_summary and not self.has_content):
                if kind == _CONTENT:
                    _content_type(self.attrs(element) if element.attrib else {}, "text/plain")
                self.has_content = True
                self.feed_summary = True
            elif kind == _SUMMARY:
                self.feed_summary = True
        elif kind in (_SUBTITLE, _INERT_TEXT, _GUID, _DATE) or (kind == _LINK and "href" not in self.attrs(element)):
            if len(element):
                raise Decline("element", f"mixed content in feed-level {name}")
        elif kind in (_INERT, _LINK) or (kind is None and name not in _HANDLED_BY_FEEDPARSER):
            # feedparser files unknown feed-level elements under their own names; none is a
            # field read here (title, language), so no name can clash
            for child in element:
                self.feed_child(child, depth + 1, in_feed=in_feed, items_here=False)
        else:
            raise Decline("element", f"feed-level {name}")

    def side_block(self, element: Any, depth: int, allowed: frozenset[str]) -> None:
        """<image>/<textinput>: their titles go to their own context but still set title_depth."""
        self.title_depth = -1
        for child in element:
            name = _NAMES.get(child.tag) or self.name(child)
            if name is None:
                continue
            if name not in allowed or len(child):
                raise Decline("element", f"{name} in {self.name(element)}")
            if name == "title" and (child.text or "").strip():
                self.title_depth = depth + 1

    def entry(self, element: Any, depth: int) -> None:
        self.doc.total += 1
        if len(self.doc.entries) >= self.max_entries:
            return  # counted; nothing after it can change the entries kept or the feed's title
        attrs = self.attrs(element) if element.attrib else {}
        if "href" in attrs or "lastmod" in attrs:
            raise Decline("element", "CDF item attributes")
        entry: dict[str, Any] = {}
        if attrs.get("rdf:about"):
            entry["id"] = attrs["rdf:about"]
        self.guidislink = False
        self.title_depth = -1
        depths: dict[str, int] = {}
        for child in element:
            self.entry_child(child, depth + 1, entry, depths)
        self.has_content = False
        self.doc.entries.append(entry)

    def entry_child(  # noqa: C901 (one branch per entry element name, as feed_child)
        self, element: Any, depth: int, entry: dict[str, Any], depths: dict[str, int]
    ) -> None:
        name = _NAMES.get(element.tag) or self.name(element)
        if name is None:
            return
        kind = _ENTRY_KINDS.get(name)

        if kind in (_TITLE, _MEDIA_TITLE):
            value = self.text(element, "text/plain")
            if not (-1 < self.title_depth <= depth):
                _store(entry, depths, depth, "title", value)
            if value and kind == _TITLE:  # feedparser's media:title handler restores the depth
                self.title_depth = depth
        elif kind in (_DESCRIPTION, _SUMMARY):
            if "summary" in entry and not self.has_content:
                self.content(element, entry, "text/plain")  # a second summary is read as content
            else:
                value = self.text(element, "text/html" if kind == _DESCRIPTION else "text/plain")
                _store(entry, depths, depth, "summary", value)
        elif kind == _CONTENT:
            self.content(element, entry, "text/html" if name == "content_encoded" else "text/plain")
        elif kind == _SUBTITLE:
            _store(entry, depths, depth, "subtitle", self.text(element, "text/plain"))
        elif kind == _LINK:
            self.link(element, depth, entry, depths)
        elif kind == _GUID:
            attrs = self.attrs(element) if element.attrib else {}
            self.guidislink = attrs.get("ispermalink", "true") == "true"
            value = self.text(element, None, resolve=self.guidislink)
            _store(entry, depths, depth, "id", value)
            if self.guidislink and "link" not in entry:
                entry["link"] = value
        elif kind == _DATE:
            key = _DATE_KEYS[name]
            value = self.text(element, None)
            _store(entry, depths, depth, key, value)
            try:
                entry[f"{key}_parsed"] = parse_date(value)
            except UnknownDate as exc:
                raise Decline("date", str(exc)) from exc
        elif kind == _LANGUAGE:
            _store(entry, depths, depth, "language", self.text(element, None))
        elif kind in (_LEAF_RESET, _INERT_TEXT):
            if len(element):
                raise Decline("element", f"{name} with children in an entry")
            if kind == _LEAF_RESET:
                self.title_depth = -1
        elif kind == _INERT or (kind is None and name not in _HANDLED_BY_FEEDPARSER):
            if kind is None and _clashes(name):
                raise Decline("element", name)
            for child in element:
                self.entry_child(child, depth + 1, entry, depths)
        else:
            raise Decline("element", f"{name} in an entry")

    def content(self, element: Any, entry: dict[str, Any], default_type: str) -> None:
        self.has_content = True
        value = self.text(element, default_type)
        entry.setdefault("content", []).append({"value": value})
        entry.setdefault("summary", value)  # feedparser copies text/HTML content to a missing summary

    def link(self, element: Any, depth: int, entry: dict[str, Any], depths: dict[str, int]) -> None:
        attrs = self.attrs(element) if element.attrib else {}
        rel = attrs.setdefault("rel", "alternate")
        link_type = attrs.setdefault("type", "application/atom+xml" if rel == "self" else "text/html")
        href = attrs.get("url", attrs.get("uri", attrs.get("href")))
        if href:
            attrs["href"] = href
        if "href" in attrs:
            if rel == "alternate" and _map_type(link_type) in _HTML_TYPES:
                entry["link"] = _urljoin(self.base, attrs["href"])
            for child in element:
                self.entry_child(child, depth + 1, entry, depths)
            return
        value = self.text(element, None, resolve=True)
        # feedparser's repair of query strings it once mangled: '&amp;' -> '&', '&x;' -> '&x'
        value = _AMP_REFERENCE.sub(r"&\1", value.replace("&amp;", "&"))
        entry["link"] = value


def _store(entry: dict[str, Any], depths: dict[str, int], depth: int, key: str, value: Any) -> None:
    """feedparser keeps the value found at the shallowest depth; a later one at the same depth wins."""
    old = depths.get(key)
    if old is None or depth <= old:
        depths[key] = depth
        entry[key] = value


def _clashes(name: str) -> bool:
    return name in _CLASHING_UNKNOWN or name.endswith(("_parsed", "_detail"))


def _map_type(value: str) -> str:
    value = value.lower()
    return {"text": "text/plain", "plain": "text/plain", "html": "text/html", "xhtml": "application/xhtml+xml"}.get(
        value, value
    )
