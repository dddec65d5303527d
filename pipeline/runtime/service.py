"""The job's HTTP endpoint: ``/metrics`` for Prometheus, ``/healthz`` and ``/readyz`` for orchestrators.

* ``/healthz`` — 200 while the streaming job is running and polling, 503 once
  it has failed or stopped, or when no feed shard has finished a tick for
  ``stall_after_s`` seconds (alive but stalled): an orchestrator restarts the
  container.
* ``/readyz`` — 200 when the search engine answers and the index templates are
  installed (checked at most every ``ttl_s`` seconds), 503 with the reason otherwise.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from pipeline.telemetry import lifecycle

log = logging.getLogger(__name__)


class Status:
    """What the endpoints report; updated by the CLI, read by the HTTP threads.

    ``tick_age`` returns the seconds since the least recent feed shard finished
    a tick (None before the first); with ``stall_after_s`` set, a running job
    whose ticks are older than that is reported as stalled.
    """

    def __init__(
        self,
        readiness: Callable[[], str | None],
        ttl_s: float = 10.0,
        stall_after_s: float | None = None,
        tick_age: Callable[[], float | None] = lifecycle.oldest_tick_age,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._job_state = "STARTING"
        self._running_since: float | None = None
        self.stall_after_s = stall_after_s
        self._tick_age = tick_age
        self._clock = clock
        self._readiness = readiness  # returns None when ready, else the reason
        self._ttl_s = ttl_s
        self._checked = 0.0
        self._reason: str | None = "not checked yet"
        self._lock = threading.Lock()

    @property
    def job_state(self) -> str:
        return self._job_state

    @job_state.setter
    def job_state(self, state: str) -> None:
        if state == "RUNNING" and self._running_since is None:
            self._running_since = self._clock()
        self._job_state = state

    def stalled(self) -> str | None:
        """Why a running job counts as stalled (no tick for too long), or None."""
        if self.stall_after_s is None or self._running_since is None or self._job_state != "RUNNING":
            return None
        age = self._tick_age()
        if age is None:  # no tick yet: count from the job's start
            age = self._clock() - self._running_since
        if age > self.stall_after_s:
            return f"no feed shard has finished a poll tick for {age:.0f}s (limit {self.stall_after_s:.0f}s)"
        return None

    @property
    def alive(self) -> bool:
        return self._job_state in ("STARTING", "RUNNING") and self.stalled() is None

    def not_ready_reason(self) -> str | None:
        with self._lock:
            if time.monotonic() - self._checked >= self._ttl_s:
                try:
                    self._reason = self._readiness()
                except Exception as exc:  # a failing check means "not ready", never a crashed endpoint
                    self._reason = f"{type(exc).__name__}: {exc}"
                self._checked = time.monotonic()
            return self._reason


class _Handler(BaseHTTPRequestHandler):
    server: ServiceServer

    def log_message(self, format: str, *args: object) -> None:
        log.debug(format, *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: dict[str, object]) -> None:
        self._send(status, json.dumps(payload).encode() + b"\n", "application/json")

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        status = self.server.status
        if path == "/metrics":
            self._send(200, generate_latest(self.server.registry), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            stalled = status.stalled()
            body: dict[str, object] = {"job": status.job_state}
            if stalled:
                body["stalled"] = stalled
            self._json(200 if status.alive else 503, body)
        elif path == "/readyz":
            reason = status.not_ready_reason() if status.alive else f"job {status.job_state}"
            self._json(503 if reason else 200, {"ready": reason is None, "reason": reason})
        else:
            self._json(404, {"error": "not found", "paths": ["/metrics", "/healthz", "/readyz"]})


class ServiceServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr: str, port: int, status: Status, registry: CollectorRegistry = REGISTRY) -> None:
        self.status = status
        self.registry = registry
        super().__init__((addr, port), _Handler)

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="service-http", daemon=True)
        thread.start()
        return thread
