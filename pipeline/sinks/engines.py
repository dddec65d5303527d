"""Clients for the two search engines behind one small interface.

``probe`` asks ``GET /`` over plain HTTP which engine answers (the
Elasticsearch client refuses to talk to anything but Elasticsearch), then
:func:`make_client` returns an adapter over that engine's official client:
``elasticsearch`` for Elasticsearch 9, ``opensearch-py`` for OpenSearch 2.x.
Both adapters map failures onto the newsmon exception tree the same way:

* 401/403                          → :class:`SearchAuthError` (not retried)
* connection errors, 429, 5xx      → :class:`SearchUnavailable` (retried by callers)
* other 4xx                        → :class:`SearchError`
* 404 on GET/HEAD/DELETE           → ``{"_status": 404}`` (absence is an answer)

Credentials are passed to the clients, never logged.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import urllib3

from pipeline.core.config import SearchSettings
from pipeline.core.errors import SearchAuthError, SearchError, SearchUnavailable

TIMEOUT_S = 30.0
_ABSENCE_OK = ("GET", "HEAD", "DELETE")


class EngineClient(Protocol):
    engine: str

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]: ...

    def bulk(self, actions: list[dict[str, Any]]) -> dict[str, Any]: ...


def _error_text(data: Any) -> str:
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            return f"{err.get('type')}: {err.get('reason')}"
        return str(err or data.get("raw") or data)[:300]
    return str(data)[:300]


def _raise_for(status: int, method: str, where: str, data: Any) -> dict[str, Any] | None:
    """Map an HTTP status to the exception tree; returns the 404 answer where absence is fine."""
    if status == 401:
        raise SearchAuthError(
            f"{where}: HTTP 401: credentials rejected — fix: check ELASTICSEARCH_API_KEY "
            "or ELASTICSEARCH_USERNAME/ELASTICSEARCH_PASSWORD"
        )
    if status == 403:
        # Authenticated, but the role lacks a privilege: the engine's reason names the action.
        raise SearchAuthError(
            f"{where}: HTTP 403: a privilege is missing: {_error_text(data)} — fix: give "
            "newsmon's user or API key the role in deploy/compose/newsmon-writer-role.json "
            "(deploy/README.md, 'Elasticsearch privileges', says what each one is for)"
        )
    if status == 429 or status >= 500:
        raise SearchUnavailable(f"{where}: HTTP {status}: {_error_text(data)}")
    if status == 404 and method in _ABSENCE_OK:
        return {"_status": 404}
    if status >= 400:
        raise SearchError(f"{where}: HTTP {status}: {_error_text(data)}")
    return None


_STATUS = re.compile(r": HTTP (\d{3}): ")


def status_of(exc: SearchError) -> int | None:
    """The HTTP status a :class:`SearchError` raised by these clients carries (None: no answer at all)."""
    found = _STATUS.search(str(exc))
    return int(found.group(1)) if found else None


def no_such_api(exc: SearchError) -> bool:
    """Whether the engine answered that it has no such API — a plugin (OpenSearch's index management)
    is not installed: 400 ``no handler found for uri``, or 404 on a write to the API's path. Credentials,
    privileges and unavailability are never read as that."""
    if isinstance(exc, SearchAuthError | SearchUnavailable):
        return False
    status = status_of(exc)
    return (status == 400 and "no handler found for uri" in str(exc)) or status == 404


@dataclass(frozen=True)
class Endpoint:
    """An HTTP service and how to reach it: the one description the engine's :class:`HttpClient` and the
    Kibana import (``pipeline.sinks.kibana``) are both configured from. Secrets are already read (from the
    environment or their ``*_FILE``, ``pipeline.core.config.read_secret``); ``repr`` never shows them."""

    url: str
    api_key: str | None = field(default=None, repr=False)  # sent as ``ApiKey``; wins over basic auth
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_certs: str | None = None  # CA bundle for https (default: the system's)
    verify_certs: bool = True

    @classmethod
    def of(cls, settings: SearchSettings) -> Endpoint:
        return cls(
            settings.url,
            settings.api_key,
            settings.username,
            settings.password,
            settings.ca_certs,
            settings.verify_certs,
        )

    def auth_headers(self) -> dict[str, str]:
        if self.api_key:
            return {"Authorization": f"ApiKey {self.api_key}"}
        if self.username:
            token = base64.b64encode(f"{self.username}:{self.password or ''}".encode()).decode("ascii")
            return {"Authorization": f"Basic {token}"}
        return {}

    def pool(self, maxsize: int = 4, timeout: urllib3.Timeout | None = None) -> urllib3.PoolManager:
        """A urllib3 pool with this endpoint's TLS set-up; it never retries (callers do, once:
        ``pipeline.sinks.retry``)."""
        kwargs: dict[str, Any] = {"retries": False}
        if timeout is not None:
            kwargs["timeout"] = timeout
        if self.url.startswith("https"):
            kwargs["cert_reqs"] = "CERT_REQUIRED" if self.verify_certs else "CERT_NONE"
            if self.ca_certs:
                kwargs["ca_certs"] = self.ca_certs
            if not self.verify_certs:
                kwargs["assert_hostname"] = False
        return urllib3.PoolManager(maxsize=maxsize, **kwargs)


class HttpClient:
    """JSON over HTTP with urllib3: used to probe the engine before choosing its client."""

    engine = "unknown"

    def __init__(self, settings: SearchSettings, timeout_s: float = TIMEOUT_S) -> None:
        endpoint = Endpoint.of(settings)
        self.base = settings.url.rstrip("/")
        self._headers = endpoint.auth_headers()
        self._pool = endpoint.pool(timeout=urllib3.Timeout(connect=5.0, read=timeout_s))

    def _send(self, method: str, path: str, body: bytes | None, content_type: str) -> dict[str, Any]:
        headers = {**self._headers, "Content-Type": content_type}
        where = f"{self.base}{path.split('?', maxsplit=1)[0]}"
        try:
            resp = self._pool.request(method, self.base + path, body=body, headers=headers)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise SearchUnavailable(f"{self.base}: unreachable: {type(exc).__name__}: {exc}") from None
        try:
            data: dict[str, Any] = json.loads(resp.data or b"{}")
        except ValueError:
            data = {"raw": resp.data[:500].decode("utf-8", "replace")}
        absent = _raise_for(resp.status, method, where, data)
        if absent is not None:
            return absent
        data.setdefault("_status", resp.status)
        return data

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        payload = None if body is None else json.dumps(body).encode("utf-8")
        return self._send(method, path, payload, "application/json")

    def bulk(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        lines = "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in actions)
        return self._send("POST", "/_bulk", lines.encode("utf-8"), "application/x-ndjson")


class ElasticsearchClient:
    """Adapter over ``elasticsearch.Elasticsearch`` (9.x)."""

    engine = "elasticsearch"

    def __init__(self, settings: SearchSettings, timeout_s: float = TIMEOUT_S) -> None:
        from elasticsearch import Elasticsearch

        kwargs: dict[str, Any] = {"request_timeout": timeout_s, "max_retries": 0, "retry_on_timeout": False}
        if settings.api_key:
            kwargs["api_key"] = settings.api_key
        elif settings.username:
            kwargs["basic_auth"] = (settings.username, settings.password or "")
        if settings.url.startswith("https"):
            kwargs["verify_certs"] = settings.verify_certs
            if settings.ca_certs:
                kwargs["ca_certs"] = settings.ca_certs
        self.base = settings.url.rstrip("/")
        self._es = Elasticsearch(settings.url, **kwargs)

    def _call(self, method: str, path: str, fn: Any) -> dict[str, Any]:
        from elastic_transport import ConnectionError as TransportConnectionError
        from elastic_transport import ConnectionTimeout
        from elasticsearch import ApiError

        where = f"{self.base}{path}"
        try:
            resp = fn()
        except ApiError as exc:
            absent = _raise_for(int(exc.meta.status), method, where, exc.body)
            if absent is not None:
                return absent
            raise SearchError(f"{where}: {exc}") from None
        except (TransportConnectionError, ConnectionTimeout) as exc:
            raise SearchUnavailable(f"{self.base}: unreachable: {type(exc).__name__}: {exc}") from None
        body = resp.body if isinstance(resp.body, dict) else {"raw": resp.body}
        body.setdefault("_status", resp.meta.status)
        return body

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        headers = {"accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/json"
        return self._call(method, path, lambda: self._es.perform_request(method, path, headers=headers, body=body))

    def bulk(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        return self._call("POST", "/_bulk", lambda: self._es.bulk(operations=actions))


class OpenSearchClient:
    """Adapter over ``opensearchpy.OpenSearch`` (2.x)."""

    engine = "opensearch"

    def __init__(self, settings: SearchSettings, timeout_s: float = TIMEOUT_S) -> None:
        from opensearchpy import OpenSearch

        kwargs: dict[str, Any] = {"timeout": timeout_s, "max_retries": 0, "retry_on_timeout": False}
        if settings.api_key:
            kwargs["headers"] = {"Authorization": f"ApiKey {settings.api_key}"}
        elif settings.username:
            kwargs["http_auth"] = (settings.username, settings.password or "")
        if settings.url.startswith("https"):
            kwargs.update(use_ssl=True, verify_certs=settings.verify_certs, ssl_show_warn=False)
            if settings.ca_certs:
                kwargs["ca_certs"] = settings.ca_certs
        self.base = settings.url.rstrip("/")
        self._os = OpenSearch(hosts=[settings.url], **kwargs)

    def _call(self, method: str, path: str, fn: Any) -> dict[str, Any]:
        from opensearchpy import ConnectionError as OsConnectionError
        from opensearchpy import TransportError

        where = f"{self.base}{path}"
        try:
            data = fn()
        except OsConnectionError as exc:  # includes ConnectionTimeout
            raise SearchUnavailable(f"{self.base}: unreachable: {type(exc).__name__}: {exc}") from None
        except TransportError as exc:
            status = exc.status_code if isinstance(exc.status_code, int) else 500
            absent = _raise_for(status, method, where, exc.info)
            if absent is not None:
                return absent
            raise SearchError(f"{where}: {exc}") from None
        result: dict[str, Any] = data if isinstance(data, dict) else {"raw": data}
        return result

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        return self._call(method, path, lambda: self._os.transport.perform_request(method, path, body=body))

    def bulk(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        return self._call("POST", "/_bulk", lambda: self._os.bulk(body=actions))


def probe(settings: SearchSettings) -> tuple[str, str]:
    """(engine, version) of the endpoint, by ``GET /`` over plain HTTP."""
    info = HttpClient(settings, timeout_s=10.0).request("GET", "/")
    version = info.get("version") or {}
    number = str(version.get("number", "0"))
    engine = "opensearch" if version.get("distribution") == "opensearch" else "elasticsearch"
    major = int(number.split(".", maxsplit=1)[0] or 0)
    if engine == "elasticsearch" and major == 8:
        raise SearchError(
            f"{settings.url} runs Elasticsearch {number}: the elasticsearch-py 9 client newsmon "
            "uses asks for compatible-with=9, which 8.x refuses — fix: upgrade to Elasticsearch 9 "
            "(or use OpenSearch 2.x)"
        )
    if (engine == "opensearch" and major < 2) or (engine == "elasticsearch" and major < 9):
        raise SearchError(
            f"{settings.url} runs {engine} {number}, which newsmon does not support — "
            "fix: use OpenSearch 2.x or Elasticsearch 9"
        )
    if settings.engine not in ("auto", engine):
        raise SearchError(
            f"{settings.url} is {engine} {number} but NEWSMON_SEARCH_ENGINE={settings.engine} — "
            f"fix: set it to auto or {engine}"
        )
    return engine, number


def make_client(settings: SearchSettings, engine: str) -> EngineClient:
    if engine == "elasticsearch":
        return ElasticsearchClient(settings)
    if engine == "opensearch":
        return OpenSearchClient(settings)
    raise SearchError(f"unknown engine {engine!r} — fix: NEWSMON_SEARCH_ENGINE=elasticsearch or opensearch")
