"""A local HTTP server for feed files, for demos and tests (``newsmon serve-feeds``).

Serves ``root`` read-only on loopback with what real feed servers do:
``ETag`` and ``Last-Modified`` with 304 answers, gzip on request, and
opt-in faults through query parameters so tests can exercise the poller:

* ``?status=503`` (any code) — answer that status; ``&retry_after=30`` adds the header,
  ``&location=URL`` a ``Location`` (a redirect anywhere)
* ``?delay=2.5`` — wait before answering (seconds, capped at 60)
* ``?drip=1`` — send the answer (headers too) at that many bytes per second
* ``?hang=1`` — accept the request and never answer (until the client leaves, at most 10 min)
* ``?max_age=600`` — ``Cache-Control: max-age=600`` instead of ``max-age=0``
* ``?etag=random`` — a new ETag on every answer (a lying server: the body does not change)
* ``?encoded=gzip`` — send the file's bytes as they are with ``Content-Encoding: gzip`` (a gzip bomb)
* ``/redirect/<path>`` — 301 to ``/<path>``; ``/loop/<n>`` — 302 to ``/loop/<n+1>``, for ever
* ``/healthz`` — 200 "ok"

Every request is recorded in ``hits`` (time, path with query, status), the
most recent ``MAX_HITS``, so tests can see what the poller asked and when.

Files are re-read on every request, so a test can append an item to a served
feed and the next poll sees it.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import logging
import mimetypes
import sys
import threading
import time
from collections import deque
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)
MAX_DELAY_S = 60.0
MAX_HANG_S = 600.0
MAX_HITS = 100_000


def _content_type(path: Path) -> str:
    if path.suffix in (".xml", ".rss", ".atom", ".rdf"):
        return "application/xml; charset=utf-8" if path.suffix == ".xml" else "application/rss+xml"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"
    _query: dict[str, str] = {}  # noqa: RUF012 - replaced per request, never mutated

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        with self.server.lock:
            self.server.hits.append((time.time(), self.path, status))
        drip = float(self._query.get("drip", 0) or 0)
        if drip > 0:
            self._drip(status, body if self.command != "HEAD" else b"", headers or {}, drip)
            return
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _drip(self, status: int, body: bytes, headers: dict[str, str], rate: float) -> None:
        """The whole answer, status line first, ``rate`` bytes a second: a server that never times out."""
        head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in {**headers, "Content-Length": str(len(body))}.items())
        data = (head + "\r\n").encode("latin-1") + body
        step = max(1, int(rate))
        for i in range(0, len(data), step):
            self.wfile.write(data[i : i + step])
            self.wfile.flush()
            time.sleep(step / rate)
        self.close_connection = True

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = self._query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.server.lock:
            self.server.requests += 1
        if "delay" in query:
            time.sleep(min(float(query["delay"]), MAX_DELAY_S))
        if "hang" in query:
            with self.server.lock:
                self.server.hits.append((time.time(), self.path, 0))
            time.sleep(MAX_HANG_S)
            self.close_connection = True
            return
        path = unquote(parts.path)
        if path == "/healthz":
            self._reply(200, b"ok\n", {"Content-Type": "text/plain"})
            return
        if path.startswith("/redirect/"):
            self._reply(301, headers={"Location": path.removeprefix("/redirect")})
            return
        if path.startswith("/loop/"):
            n = path.removeprefix("/loop/").split("/")[0]
            self._reply(302, headers={"Location": f"/loop/{int(n) + 1 if n.isdigit() else 0}"})
            return
        if "status" in query:
            status = int(query["status"])
            extra = {"Retry-After": query["retry_after"]} if "retry_after" in query else {}
            if "location" in query:
                extra["Location"] = query["location"]
            self._reply(status, f"{status} {HTTPStatus(status).phrase}\n".encode(), extra)
            return
        file = (self.server.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(self.server.root) or not file.is_file():
            self._reply(404, b"not found\n", {"Content-Type": "text/plain"})
            return
        body = file.read_bytes()
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'
        mtime = file.stat().st_mtime
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        headers = {
            "ETag": etag,
            "Last-Modified": last_modified,
            "Content-Type": _content_type(file),
            "Cache-Control": f"max-age={int(query.get('max_age', 0))}",
        }
        if query.get("etag") == "random":
            headers["ETag"] = etag = f'"{time.monotonic_ns()}"'
        if self._not_modified(etag, mtime):
            self._reply(304, headers={"ETag": etag, "Last-Modified": last_modified})
            return
        if query.get("encoded") == "gzip":
            headers["Content-Encoding"] = "gzip"
        elif "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self._reply(200, body, headers)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
            return int(mtime) <= int(since)
        return False


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root).resolve()
        self.lock = threading.Lock()
        self.requests = 0
        self.hits: deque[tuple[float, str, int]] = deque(maxlen=MAX_HITS)
        super().__init__((host, port), FeedHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (timeout test, stopped job) is normal here, not a stack trace."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            log.debug("client %s went away: %s", client_address, exc)
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="feed-server", daemon=True)
        thread.start()
        return thread

    def hits_for(self, path: str) -> list[tuple[float, int]]:
        """(time, status) of each request whose path (with query) starts with ``path``."""
        with self.lock:
            return [(t, status) for t, p, status in self.hits if p.startswith(path)]
