"""HTTP fetching of feeds: conditional GET, size and time caps, Retry-After.

``fetch_feed`` never raises for network or HTTP problems: every outcome is a
:class:`FetchResult` whose ``outcome`` is one of ``POLL_OUTCOMES`` so the caller
can count it and decide on backoff.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime

import urllib3

from pipeline import __version__
from pipeline.model import Feed, FetchResult

USER_AGENT = f"newsmon/{__version__} (feed monitor)"
DEFAULT_TIMEOUT_S = 20.0
DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # decompressed; protects memory against huge or bomb bodies
_CHUNK = 64 * 1024
MAX_REDIRECTS = 5
# Follow redirects but never retry by ourselves: retrying is the scheduler's backoff decision.
_REDIRECTS_ONLY = urllib3.Retry(total=None, connect=0, read=0, redirect=MAX_REDIRECTS, status=0, other=0,
                                raise_on_redirect=True)


def make_pool(max_connections: int = 64, maxsize: int = 4) -> urllib3.PoolManager:
    """Connection pools for ``max_connections`` hosts, ``maxsize`` keep-alive connections each."""
    return urllib3.PoolManager(num_pools=max_connections, maxsize=maxsize, retries=False)


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


def fetch_feed(
    pool: urllib3.PoolManager,
    feed: Feed,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> FetchResult:
    """GET ``feed.url`` once, conditionally when validators are known."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, "
               "application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5",
               "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.monotonic()
    fetched_at = time.time()

    def result(outcome: str, **kw: object) -> FetchResult:
        return FetchResult(feed=feed, outcome=outcome, duration_s=time.monotonic() - started,
                           fetched_at=fetched_at, **kw)  # type: ignore[arg-type]

    try:
        resp = pool.request("GET", feed.url, headers=headers, preload_content=False, redirect=True,
                            retries=_REDIRECTS_ONLY,
                            timeout=urllib3.Timeout(connect=min(timeout_s, 10.0), read=timeout_s))
    except urllib3.exceptions.MaxRetryError as exc:
        reason = exc.reason
        if reason is None or isinstance(reason, urllib3.exceptions.ResponseError):
            return result("http_error", error=f"too many redirects: {reason}")
        if isinstance(reason, (urllib3.exceptions.TimeoutError,)):
            return result("timeout", error=f"timed out: {reason}")
        return result("connection_error", error=f"{type(reason).__name__}: {reason}")
    except urllib3.exceptions.TimeoutError as exc:
        return result("timeout", error=f"timed out: {exc}")
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        return result("connection_error", error=f"{type(exc).__name__}: {exc}")
    complete = False  # body read to the end: the connection may go back to the pool
    try:
        status = resp.status
        resp_headers = tuple((k.lower(), v) for k, v in resp.headers.items())
        new_etag = resp.headers.get("ETag") or etag
        new_lm = resp.headers.get("Last-Modified") or last_modified
        if status == 304:
            complete = True
            return result("not_modified", status=status, etag=new_etag, last_modified=new_lm)
        if status >= 300:
            ra = retry_after_seconds(resp.headers.get("Retry-After"), time.time())
            outcome = "rate_limited" if status == 429 else "http_error"
            return result(outcome, status=status, error=f"HTTP {status} {resp.reason or ''}".strip(),
                          retry_after_s=ra, etag=etag, last_modified=last_modified)
        chunks: list[bytes] = []
        size = 0
        deadline = started + timeout_s * 3  # a slow-drip server must not hold a worker forever
        for chunk in resp.stream(_CHUNK, decode_content=True):
            size += len(chunk)
            if size > max_bytes:
                return result("too_large", status=status, error=f"body exceeds {max_bytes} bytes")
            if time.monotonic() > deadline:
                return result("timeout", status=status, error="body download exceeded the deadline")
            chunks.append(chunk)
        complete = True
        return result("ok", status=status, body=b"".join(chunks), headers=resp_headers,
                      etag=new_etag, last_modified=new_lm)
    except urllib3.exceptions.TimeoutError as exc:
        return result("timeout", error=f"timed out reading body: {exc}")
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        return result("connection_error", error=f"{type(exc).__name__}: {exc}")
    finally:
        if not complete:
            # An unread body (error page, oversized feed, timeout) would be read as the next
            # response on this pooled connection: drop the connection instead of reusing it.
            resp.close()
        resp.release_conn()


def http_date(ts: float) -> str:
    return email.utils.format_datetime(datetime.fromtimestamp(ts, tz=UTC), usegmt=True)
