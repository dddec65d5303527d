"""Bulk writer for Elasticsearch 9 and OpenSearch 2.x.

Policies, each in one place:

* document id = article id and op ``create``: a document that already exists
  answers 409 and is counted as ``exists``, never written twice;
* per-item 429/5xx → retried; other per-item errors (mapping conflicts,
  oversized documents) are permanent → returned as failures for the
  dead-letter, their batch-mates are still indexed;
* whole-request failures (connection refused, 429, 5xx) → retried with capped
  exponential backoff and jitter, without limit by default: when the engine
  is down the pipeline holds back instead of dropping;
* 401/403 → :class:`SearchAuthError`, not retried.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import urllib3

from pipeline.config import SearchSettings
from pipeline.errors import SearchAuthError, SearchError, SearchUnavailable
from pipeline.sinks.document import ARTICLES_TEMPLATE_NAME, articles_template, template_version

log = logging.getLogger(__name__)

RETRYABLE_ITEM_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF_S = 30.0


@dataclass
class BulkReport:
    created: int = 0
    existing: int = 0
    failed: list[tuple[dict[str, Any], str, str]] = field(default_factory=list)  # (doc, reason, detail)
    attempts: int = 0


class _Client(Protocol):
    def bulk(self, lines: str) -> dict[str, Any]: ...
    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]: ...


class HttpClient:
    """A small JSON-over-HTTP client used for both engines.

    Both engines speak the same REST API for everything newsmon needs
    (``_bulk``, ``_index_template``, ``_search``, ``_count``); one client keeps
    the retry and error policy identical on both. Auth headers are built once
    and never logged.
    """

    def __init__(self, settings: SearchSettings, timeout_s: float = 30.0) -> None:
        self.base = settings.url.rstrip("/")
        headers = {"Content-Type": "application/json"}
        if settings.api_key:
            headers["Authorization"] = f"ApiKey {settings.api_key}"
        elif settings.username:
            headers.update(urllib3.make_headers(basic_auth=f"{settings.username}:{settings.password or ''}"))
        self._headers = headers
        kwargs: dict[str, Any] = {"retries": False, "timeout": urllib3.Timeout(connect=5.0, read=timeout_s)}
        if settings.url.startswith("https"):
            kwargs["cert_reqs"] = "CERT_REQUIRED" if settings.verify_certs else "CERT_NONE"
            if settings.ca_certs:
                kwargs["ca_certs"] = settings.ca_certs
        self._pool = urllib3.PoolManager(maxsize=4, **kwargs)

    def _send(self, method: str, path: str, body: bytes | None, content_type: str) -> dict[str, Any]:
        headers = {**self._headers, "Content-Type": content_type}
        try:
            resp = self._pool.request(method, self.base + path, body=body, headers=headers)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise SearchUnavailable(f"{self.base}: unreachable: {type(exc).__name__}: {exc}") from None
        status = resp.status
        try:
            data: dict[str, Any] = json.loads(resp.data or b"{}")
        except ValueError:
            data = {"raw": resp.data[:500].decode("utf-8", "replace")}
        if status in (401, 403):
            raise SearchAuthError(f"{self.base}{path}: HTTP {status}: credentials rejected — fix: check "
                                  "ELASTICSEARCH_API_KEY or ELASTICSEARCH_USERNAME/PASSWORD")
        if status == 429 or status >= 500:
            raise SearchUnavailable(f"{self.base}{path}: HTTP {status}: {_error_text(data)}")
        if status >= 400 and not (status == 404 and method in ("GET", "HEAD")):
            raise SearchError(f"{self.base}{path}: HTTP {status}: {_error_text(data)}")
        data.setdefault("_status", status)
        return data

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        payload = None if body is None else json.dumps(body).encode("utf-8")
        return self._send(method, path, payload, "application/json")

    def bulk(self, lines: str) -> dict[str, Any]:
        return self._send("POST", "/_bulk", lines.encode("utf-8"), "application/x-ndjson")


def _error_text(data: dict[str, Any]) -> str:
    err = data.get("error")
    if isinstance(err, dict):
        return f"{err.get('type')}: {err.get('reason')}"
    return str(err or data.get("raw") or data)[:300]


def detect_engine(info: dict[str, Any]) -> tuple[str, str]:
    """(engine, version) from the engine's ``GET /`` answer."""
    version = info.get("version") or {}
    number = str(version.get("number", "0"))
    if version.get("distribution") == "opensearch":
        return "opensearch", number
    return "elasticsearch", number


def check_version(engine: str, version: str) -> None:
    major = int(version.split(".", maxsplit=1)[0] or 0)
    if (engine == "opensearch" and major < 2) or (engine == "elasticsearch" and major < 8):
        raise SearchError(f"{engine} {version} is not supported — fix: use OpenSearch 2.x or Elasticsearch 8/9")


class SearchWriter:
    """Writes documents with ``create`` semantics; one per worker (made in ``DoFn.setup``)."""

    def __init__(
        self,
        settings: SearchSettings,
        client: _Client | None = None,
        max_attempts: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.client: _Client = client or HttpClient(settings)
        self.max_attempts = max_attempts  # None = retry until the engine is back
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.engine = settings.engine

    # -- start-up -----------------------------------------------------------
    def connect(self, wait_s: float = 0.0) -> tuple[str, str]:
        """Check the endpoint (waiting up to ``wait_s`` for it) and detect the engine."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                info = self.client.request("GET", "/")
                break
            except SearchUnavailable as exc:
                if time.monotonic() >= deadline:
                    raise SearchUnavailable(f"{exc} — fix: start the engine or set ELASTICSEARCH_URL") from None
                self._sleep(1.0)
        engine, version = detect_engine(info)
        if self.settings.engine not in ("auto", engine):
            raise SearchError(f"{self.settings.url} is {engine} {version} but NEWSMON_SEARCH_ENGINE="
                              f"{self.settings.engine} — fix: set it to auto or {engine}")
        check_version(engine, version)
        self.engine = engine
        return engine, version

    def ensure_template(self) -> bool:
        """Install or upgrade the article index template; True when it was written."""
        wanted = articles_template()
        current = self.client.request("GET", f"/_index_template/{ARTICLES_TEMPLATE_NAME}")
        templates = current.get("index_templates") or []
        if templates:
            meta = templates[0].get("index_template", {}).get("_meta", {})
            if int(meta.get("newsmon_template_version", 0)) >= template_version(wanted):
                return False
        self.client.request("PUT", f"/_index_template/{ARTICLES_TEMPLATE_NAME}", wanted)
        log.info("installed index template %s version %d", ARTICLES_TEMPLATE_NAME, template_version(wanted))
        return True

    # -- writing ------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        base: float = min(MAX_BACKOFF_S, 0.5 * (2 ** min(attempt, 10)))
        return base * self._rng.uniform(0.5, 1.0)

    def write(self, docs: Sequence[dict[str, Any]], index: str | None = None) -> BulkReport:
        """Index ``docs`` (each with ``article_id``); returns what happened to each."""
        index = index or self.settings.index
        report = BulkReport()
        pending = list(docs)
        attempt = 0
        while pending:
            attempt += 1
            report.attempts = attempt
            lines = "".join(
                json.dumps({"create": {"_index": index, "_id": d["article_id"]}}) + "\n"
                + json.dumps(d, ensure_ascii=False) + "\n"
                for d in pending
            )
            try:
                result = self.client.bulk(lines)
            except SearchUnavailable as exc:
                if self.max_attempts is not None and attempt >= self.max_attempts:
                    raise
                delay = self._backoff(attempt)
                log.warning("search engine unavailable (attempt %d, %d documents held): %s; retrying in %.1fs",
                            attempt, len(pending), exc, delay)
                self._sleep(delay)
                continue
            retry: list[dict[str, Any]] = []
            for doc, item in zip(pending, result.get("items", []), strict=False):
                outcome: dict[str, Any] = item.get("create") or next(iter(item.values()), {})
                status = int(outcome.get("status", 0))
                if status in (200, 201):
                    report.created += 1
                elif status == 409:
                    report.existing += 1
                elif status in RETRYABLE_ITEM_STATUS:
                    retry.append(doc)
                else:
                    error = outcome.get("error") or {}
                    reason = str(error.get("type") or f"http_{status}") if isinstance(error, dict) else "error"
                    detail = str(error.get("reason") if isinstance(error, dict) else error)[:1000]
                    report.failed.append((doc, reason, detail))
            if retry and self.max_attempts is not None and attempt >= self.max_attempts:
                report.failed.extend((d, "retries_exhausted", "engine kept rejecting the item") for d in retry)
                retry = []
            if retry:
                self._sleep(self._backoff(attempt))
            pending = retry
        return report

    def refresh(self, index: str | None = None) -> None:
        self.client.request("POST", f"/{index or self.settings.index}/_refresh")
