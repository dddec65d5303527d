"""A hard wall-clock deadline for a whole HTTP exchange (connect + headers + body).

Socket timeouts bound each read, not the exchange: a server that trickles one
byte a second never trips a 20-second read timeout, and holds the fetching
thread for as long as it likes. Here every exchange runs inside
:func:`exchange`; the sockets it uses are registered with one process-wide
:class:`Watchdog` thread, which shuts them down when the deadline passes. The
blocked read then returns at once and the fetcher reports a timeout.

The sockets are found through urllib3's documented extension point: the
connection pool classes of a ``PoolManager`` (``pool_classes_by_scheme``)
and their ``ConnectionCls``. A connection registers its socket when it
connects and again when it is reused for a request.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Exchange:
    """One HTTP exchange under a deadline: the sockets it used and whether the deadline hit."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline  # time.monotonic() seconds
        self.sockets: list[socket.socket] = []
        self.expired = False
        self.done = False
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if self.expired:
                _shutdown(sock)
            elif all(s is not sock for s in self.sockets):
                self.sockets.append(sock)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            for sock in self.sockets:
                _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    # shutdown() (not close()) wakes a thread blocked in recv() on this socket; the owner closes it.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """One daemon thread that expires exchanges whose deadline has passed."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Exchange]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, ex: Exchange) -> None:
        with self._cond:
            heapq.heappush(self._heap, (ex.deadline, next(self._counter), ex))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="fetch-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, _, ex = self._heap[0]
                now = time.monotonic()
                if ex.done:
                    heapq.heappop(self._heap)
                    continue
                if deadline > now:
                    self._cond.wait(deadline - now)
                    continue
                heapq.heappop(self._heap)
            ex.expire()


_WATCHDOG = Watchdog()
_current = threading.local()


@contextlib.contextmanager
def exchange(timeout_s: float) -> Iterator[Exchange]:
    """Run the enclosed HTTP exchange under a hard deadline of ``timeout_s`` seconds."""
    ex = Exchange(time.monotonic() + timeout_s)
    _current.exchange = ex
    _WATCHDOG.watch(ex)
    try:
        yield ex
    finally:
        with ex._lock:
            ex.done = True
        _current.exchange = None


def _attach_current(sock: socket.socket | None) -> None:
    ex: Exchange | None = getattr(_current, "exchange", None)
    if ex is not None:
        ex.attach(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _attach_current(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach_current(self.sock)  # a kept-alive connection reused for this exchange
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _attach_current(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach_current(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def make_pool(max_hosts: int = 256, per_host: int = 4) -> urllib3.PoolManager:
    """Connection pools for ``max_hosts`` hosts, ``per_host`` keep-alive connections each, whose
    sockets obey :func:`exchange` deadlines."""
    pool = urllib3.PoolManager(num_pools=max_hosts, maxsize=per_host, retries=False)
    pool.pool_classes_by_scheme = {"http": _WatchedHTTPConnectionPool, "https": _WatchedHTTPSConnectionPool}
    return pool
