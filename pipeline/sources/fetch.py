"""HTTP fetching of feeds: conditional GET, a hard deadline, size caps, safe redirects, cache hints.

``fetch_feed`` never raises for network or HTTP problems: every outcome is a
:class:`FetchResult` whose ``outcome`` is one of ``POLL_OUTCOMES`` so the caller
can count it and decide on backoff. The whole exchange (connect, headers, body,
every redirect hop) runs under one wall-clock deadline (:mod:`.deadline`), so
no server, however slow, holds a fetching thread longer than ``timeout_s``.

Redirects are followed here, hop by hop, rather than by urllib3, so that each
target can be checked: only ``http``/``https``, at most ``MAX_REDIRECTS`` hops,
and never into loopback, private, link-local or otherwise internal addresses
unless the feed itself is configured on such an address (a public feed must not
be able to point newsmon at cloud metadata or an internal service). A chain of
permanent redirects (301/308) is reported as ``permanent_url`` for the
scheduler to remember.
"""

from __future__ import annotations

import email.utils
import ipaddress
import re
import socket
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import urllib3

from pipeline import __version__
from pipeline.core.model import Feed, FetchResult
from pipeline.sources import deadline
from pipeline.sources.deadline import make_pool
from pipeline.sources.limits import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S

__all__ = [
    "MAX_REDIRECTS",
    "fetch_feed",
    "freshness_lifetime",
    "http_date",
    "is_internal_address",
    "make_pool",
    "retry_after_seconds",
]

USER_AGENT = f"newsmon/{__version__} (feed monitor)"
_CHUNK = 64 * 1024
MAX_REDIRECTS = 5
PERMANENT = frozenset({301, 308})
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)
Resolver = Callable[[str], list[str]]


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds requested by a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def freshness_lifetime(cache_control: str | None, expires: str | None, now: float) -> float | None:
    """Seconds the server says its answer stays fresh: ``Cache-Control: max-age`` (``s-maxage``), else
    ``Expires``. ``no-cache``/``no-store`` and unparsable values give None (no hint)."""
    if cache_control:
        lowered = cache_control.lower()
        if "no-store" in lowered or "no-cache" in lowered:
            return None
        ages = [int(m) for m in _MAX_AGE.findall(cache_control)]
        if ages:
            return float(max(ages))
    if expires:
        try:
            when = email.utils.parsedate_to_datetime(expires.strip())
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - now)
    return None


def is_internal_address(address: str) -> bool:
    """Whether an IP address is one a public feed must never send newsmon to."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True  # not an address we understand: refuse rather than guess
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def _resolve(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def _host_is_internal(url: str, resolve: Resolver, unknown: bool) -> bool:
    """Whether ``url``'s host resolves to an internal address (``unknown`` when it does not resolve)."""
    host = urlsplit(url).hostname or ""
    addresses = resolve(host)
    if not addresses:
        return unknown
    return any(is_internal_address(a) for a in addresses)


def fetch_feed(
    pool: urllib3.PoolManager,
    feed: Feed,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_bytes: int = DEFAULT_MAX_BYTES,
    url: str | None = None,
    resolve: Resolver = _resolve,
) -> FetchResult:
    """GET the feed (at ``url`` when a permanent redirect moved it) once, conditionally when validators
    are known, within ``timeout_s`` seconds for everything."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, "
        "application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5",
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.monotonic()
    fetched_at = time.time()
    target = url or feed.url
    permanent = True  # every hop so far was a permanent redirect
    internal_ok: bool | None = None  # may redirects go to internal addresses? (decided on the first one)

    def result(outcome: str, **kw: object) -> FetchResult:
        return FetchResult(
            feed=feed,
            outcome=outcome,
            duration_s=time.monotonic() - started,
            fetched_at=fetched_at,
            final_url=target,
            **kw,  # type: ignore[arg-type]
        )

    with deadline.exchange(timeout_s) as ex:
        for hop in range(MAX_REDIRECTS + 1):
            remaining = max(0.1, ex.deadline - time.monotonic())
            try:
                resp = pool.request(
                    "GET",
                    target,
                    headers=headers,
                    preload_content=False,
                    redirect=False,
                    retries=False,
                    timeout=urllib3.Timeout(connect=min(remaining, 10.0), read=remaining),
                )
            except urllib3.exceptions.TimeoutError as exc:
                return result("timeout", error=f"timed out: {exc}")
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                if ex.expired:
                    return result("timeout", error=f"no answer within {timeout_s:g}s")
                return result("connection_error", error=f"{type(exc).__name__}: {exc}")
            status = resp.status
            if status in (301, 302, 303, 307, 308):
                location = resp.headers.get("Location")
                resp.close()  # an unread redirect body must never be read as the next response
                resp.release_conn()
                if not location:
                    return result("http_error", status=status, error=f"HTTP {status} without a Location header")
                if hop == MAX_REDIRECTS:
                    return result("http_error", status=status, error=f"more than {MAX_REDIRECTS} redirects")
                nxt = urljoin(target, location.strip())
                if urlsplit(nxt).scheme.lower() not in ("http", "https"):
                    return result("refused", status=status, error=f"redirect to a non-HTTP URL refused: {nxt[:200]}")
                if internal_ok is None:
                    internal_ok = _host_is_internal(feed.url, resolve, unknown=False)
                if not internal_ok and _host_is_internal(nxt, resolve, unknown=True):
                    return result(
                        "refused",
                        status=status,
                        error=f"redirect to an internal address refused: {urlsplit(nxt).hostname}",
                    )
                permanent = permanent and status in PERMANENT
                target = nxt
                continue
            return _read_response(
                resp,
                result,
                ex,
                etag,
                last_modified,
                max_bytes,
                permanent_url=target if permanent and target != (url or feed.url) else None,
            )
    raise AssertionError("unreachable")  # the loop always returns


def _read_response(
    resp: urllib3.BaseHTTPResponse,
    result: Callable[..., FetchResult],
    ex: deadline.Exchange,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    permanent_url: str | None,
) -> FetchResult:
    complete = False  # body read to the end: the connection may go back to the pool
    try:
        status = resp.status
        now = time.time()
        resp_headers = tuple((k.lower(), v) for k, v in resp.headers.items())
        cache_s = freshness_lifetime(resp.headers.get("Cache-Control"), resp.headers.get("Expires"), now)
        new_etag = resp.headers.get("ETag") or etag
        new_lm = resp.headers.get("Last-Modified") or last_modified
        common = {"status": status, "permanent_url": permanent_url, "cache_s": cache_s}
        if status == 304:
            complete = True
            return result("not_modified", etag=new_etag, last_modified=new_lm, **common)
        if status >= 300:
            ra = retry_after_seconds(resp.headers.get("Retry-After"), now)
            if status == 410:
                outcome = "gone"
            elif status == 429 or (status == 503 and ra is not None):
                outcome = "rate_limited"
            else:
                outcome = "http_error"
            return result(
                outcome,
                error=f"HTTP {status} {resp.reason or ''}".strip(),
                retry_after_s=ra,
                etag=etag,
                last_modified=last_modified,
                **common,
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.stream(_CHUNK, decode_content=True):
            size += len(chunk)
            if size > max_bytes:
                return result("too_large", error=f"body exceeds {max_bytes} bytes", **common)
            chunks.append(chunk)
        if ex.expired:
            return result("timeout", error="body download exceeded the deadline", **common)
        complete = True
        final = result("ok", body=b"".join(chunks), etag=new_etag, last_modified=new_lm, **common)
        # The parser resolves relative links against Content-Location: absolute, and after redirects
        # relative to the final URL (the parser only knows the configured one).
        given = dict(resp_headers).get("content-location")
        base = urljoin(final.final_url or "", given) if given else (final.final_url or "")
        resp_headers = (*((k, v) for k, v in resp_headers if k != "content-location"), ("content-location", base))
        return replace(final, headers=resp_headers)
    except urllib3.exceptions.TimeoutError as exc:
        return result("timeout", error=f"timed out reading body: {exc}")
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        if ex.expired:
            return result("timeout", error="the exchange exceeded its deadline")
        return result("connection_error", error=f"{type(exc).__name__}: {exc}")
    finally:
        if not complete:
            # An unread body (error page, oversized feed, timeout) would be read as the next
            # response on this pooled connection: drop the connection instead of reusing it.
            resp.close()
        resp.release_conn()


def http_date(ts: float) -> str:
    return email.utils.format_datetime(datetime.fromtimestamp(ts, tz=UTC), usegmt=True)
