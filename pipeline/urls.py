"""Canonical article URLs and the stable article id derived from them.

The article id is the contract that makes indexing idempotent: re-polls,
restarts and replays of the same article must give the same id. It is the
first 32 hex digits of SHA-256 over the canonical URL with its scheme
removed (``http``/``https`` variants of one article are one article).
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Query parameters that identify a campaign or a click, never the article.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "cmpid", "cmp", "ocid", "ito", "smid", "smtyp", "partner", "ref", "ref_src", "referrer",
        "src", "source", "feedtype", "rss", "from", "ns_mchannel", "ns_source", "ns_campaign",
        "ns_linkname", "ns_fee", "mbid", "__twitter_impression", "_ga", "_gl", "share",
        "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
    }
)
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "hsa_", "oly_", "vero_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Return ``url`` in canonical form.

    Lower-cases scheme and host, drops default ports, user info, the fragment
    and tracking parameters, sorts the remaining query parameters and
    normalises percent-encoding. Non-HTTP strings are returned stripped.
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = quote(unquote(parts.path or "/"), safe="/:@!$&'()*+,;=-._~%")
    query_items = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    query = urlencode(sorted(query_items), doseq=True)
    return urlunsplit((scheme, netloc, path, query, ""))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


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
