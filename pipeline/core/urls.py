"""Canonical article URLs and the stable article id derived from them.

The article id is the contract that makes indexing idempotent: re-polls,
restarts and replays of the same article must give the same id. It is the
first 32 hex digits of SHA-256 over the canonical URL with its scheme
removed (``http``/``https`` variants of one article are one article).

Canonical form: w3lib's :func:`~w3lib.url.canonicalize_url` (the URL
normaliser Scrapy uses to recognise one page under many spellings) does the
percent-encoding, query sorting, fragment and dot-segment work. Before it,
this module does what w3lib leaves alone: drop user info, lower-case the
host without a trailing dot, drop the default port, and remove tracking
parameters.

Tracking parameters are a pinned list (:data:`TRACKING_PARAMS`,
:data:`TRACKING_PREFIXES`), not a library's list read at run time, because
every change to it changes the id of every URL carrying an affected name:
adding a name re-ids those articles (one duplicate each), removing one
splits them. A change therefore comes with a review of
``tests/data/article_ids.golden.jsonl``. Only pure click and campaign
identifiers are listed — names whose value says how the reader arrived,
never which page they get. Generic words that some sites use to select
content (``source``, ``from``, ``ref``, ``src``, ``partner``, ``share``,
``rss``, ``feedtype``, ``cmp``, ``referrer``, ``mbid``) are deliberately
not listed: stripping one of those would merge different pages into one id,
and the index writes create-only, so the second page would be lost.

Why not a library's list: courlan (the maintained URL cleaner of the
trafilatura project) exposes its list only as a regular expression,
``courlan.clean.TRACKERS_RE``, which matches name fragments and so strips
``ref``, ``source``, ``session``, ``keyword``, ``eid``, ``gallery`` and
``refresh`` — page selectors the id must keep. The lists it cites (AdGuard's
URL-tracking filter, ClearURLs, Firefox's query stripping) are not on a
package registry in maintained form, and fetching one at run time would let
ids drift. The list below is the previous one less the page selectors.
AdGuard's general section (the most actively maintained of those lists)
has ``fbclid``, ``gclid``, ``msclkid``, ``yclid``, ``mc_eid``, ``cmpid``,
``_ga``, ``_gl`` and the ``utm_``/``pk_``/``mtm_``/``hsa_``/``oly_``/``vero_``
fields; the other names are vendor or publisher attribution, one comment
each below.
"""

from __future__ import annotations

import functools
import hashlib
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Each name is documented by its vendor or publisher as click or campaign attribution.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # ad and social click ids: Meta, Google Ads, DoubleClick, Microsoft Ads, Yandex, Instagram, X
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "__twitter_impression",
        "ref_src",
        # e-mail and campaign ids: Mailchimp, generic campaign id, Microsoft/MSN origin campaign
        "mc_cid",
        "mc_eid",
        "cmpid",
        "ocid",
        # Google Analytics cross-domain linker
        "_ga",
        "_gl",
        # publisher attribution: New York Times social share, Daily Mail traffic origin
        "smid",
        "smtyp",
        "ito",
        # comScore (ns_*) and AT Internet / Piano (at_*) campaign tagging, used by BBC and Daily Mail
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
    }
)
# Vendor namespaces that hold only campaign fields: Google/Urchin, Piwik, Matomo, HubSpot ads, Olytics, Vero.
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "hsa_", "oly_", "vero_")
DEFAULT_PORTS = {"http": 80, "https": 443}
# w3lib's canonicaliser is pure Python (~35 us a URL); each entry canonicalises its link twice (url and id)
# and a changed feed brings back the links of its unchanged entries, so recent answers are kept.
_CACHE_SIZE = 16_384


def _is_tracking(pair: str) -> bool:
    """Whether one raw ``name=value`` query pair is a tracking parameter (name compared decoded, any case)."""
    name = unquote_plus(pair.partition("=")[0]).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def canonical_url(url: str) -> str:
    """Return ``url`` in canonical form.

    Lower-cases scheme and host, drops default ports, user info, the fragment
    and tracking parameters, sorts the remaining query parameters, normalises
    percent-encoding and dot segments, and writes international host names in
    punycode. Strings that are not http(s) URLs with a host are returned
    stripped. Never raises.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return url
    try:
        port = parts.port
    except ValueError:  # not a number or out of range: dropped, as a browser would refuse it anyway
        port = None
    scheme = parts.scheme.lower()
    host = parts.hostname  # lower-cased, user info and port removed
    if scheme not in DEFAULT_PORTS or not host:
        return url
    host = host.rstrip(".")
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    # Filter the raw pairs rather than decoded ones so that w3lib sees the original bytes.
    query = "&".join(pair for pair in parts.query.split("&") if pair and not _is_tracking(pair))
    stripped = urlunsplit((scheme, netloc, parts.path, query, ""))
    try:
        return canonicalize_url(stripped, keep_blank_values=True)
    except (ValueError, UnicodeError):  # a host that IDNA cannot encode: keep it as it came
        return stripped


def _digest(text: str) -> str:
    # surrogatepass: a lone surrogate from a broken feed still gets an id rather than an exception
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def article_id(link: str | None, guid: str | None = None, feed_url: str = "", fallback: str = "") -> str:
    """Stable id of an article.

    In order of preference: the canonical ``link``; the ``guid`` (canonicalised
    when it is a URL, otherwise scoped to ``feed_url`` because plain guids are
    only unique within one feed); ``fallback`` (e.g. title + date) scoped to
    the feed.
    """
    if link and link.strip().lower().startswith(("http://", "https://")):
        return _digest(_id_key(link))
    if guid and guid.strip():
        g = guid.strip()
        if g.lower().startswith(("http://", "https://")):
            return _digest(_id_key(g))
        return _digest(f"guid:{canonical_url(feed_url)}|{g}")
    return _digest(f"entry:{canonical_url(feed_url)}|{fallback}")


def _id_key(url: str) -> str:
    canonical = canonical_url(url)
    return canonical.split("://", 1)[-1]
