"""The exact requests the Elasticsearch code path sends, against an in-process stand-in for Elasticsearch 9.

No Elasticsearch can run here (it needs Docker); docker-compose runs the real one.
The stand-in answers like Elasticsearch (product header, JSON bodies) and records
every request so the tests can check method, path, headers and body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pipeline.core.config import SearchSettings
from pipeline.core.errors import SearchAuthError, SearchError
from pipeline.sinks.engines import ElasticsearchClient
from pipeline.sinks.search import SearchWriter


class FakeElasticsearch(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict[str, Any]] = []
        self.version = "9.1.2"
        self.status_for_auth = 200
        self.forbid: str | None = None  # a path prefix answered 403 (a privilege the role lacks)
        self.bulk_answers: list[list[int]] = []  # per bulk call: item statuses (default 201)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: FakeElasticsearch

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", "application/vnd.elasticsearch+json;compatible-with=9")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.requests.append(
            {"method": self.command, "path": self.path, "headers": headers, "body": raw.decode()}
        )
        if self.server.status_for_auth != 200:
            self._answer(
                self.server.status_for_auth,
                {"error": {"type": "security_exception", "reason": "unable to authenticate"}},
            )
            return
        if self.server.forbid and self.path.startswith(self.server.forbid):
            self._answer(
                403,
                {
                    "error": {
                        "type": "security_exception",
                        "reason": (
                            "action [cluster:admin/ilm/put] is unauthorized for user [newsmon] with effective roles "
                            "[newsmon_writer], this action is granted by the cluster privileges [manage_ilm,manage,all]"
                        ),
                    }
                },
            )
            return
        if self.path == "/" and self.command == "GET":
            self._answer(
                200,
                {
                    "version": {"number": self.server.version, "build_flavor": "default"},
                    "tagline": "You Know, for Search",
                },
            )
        elif self.path.startswith("/_index_template/") and self.command == "GET":
            self._answer(404, {"error": {"type": "resource_not_found_exception", "reason": "missing"}})
        elif self.path.startswith("/_bulk"):
            lines = [json.loads(line) for line in raw.decode().splitlines() if line]
            statuses = self.server.bulk_answers.pop(0) if self.server.bulk_answers else [201] * (len(lines) // 2)
            items = []
            for s in statuses:
                item: dict[str, Any] = {"status": s}
                if s == 400:
                    item["error"] = {"type": "document_parsing_exception", "reason": "failed to parse [x]"}
                items.append({"create": item})
            self._answer(200, {"errors": any(s >= 300 for s in statuses), "items": items})
        else:
            self._answer(200, {"acknowledged": True})

    do_GET = do_PUT = do_POST = do_DELETE = _handle  # noqa: N815 - stdlib naming


@pytest.fixture
def es() -> Iterator[FakeElasticsearch]:
    server = FakeElasticsearch()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def settings(es: FakeElasticsearch, **kw: Any) -> SearchSettings:
    return SearchSettings(url=es.url, index="news-articles", api_key="c2VjcmV0LWtleQ==", **kw)


def doc(n: int, year: str = "2026") -> dict[str, Any]:
    return {
        "article_id": f"id{n}",
        "title": f"t{n}",
        "published_at": f"{year}-02-01T00:00:00Z",
        "published_at_estimated": False,
    }


def test_connect_uses_the_elasticsearch_client(es: FakeElasticsearch) -> None:
    writer = SearchWriter(settings(es))
    assert writer.connect() == ("elasticsearch", "9.1.2")
    assert isinstance(writer.client, ElasticsearchClient)


def test_templates_and_ilm_policy_requests(es: FakeElasticsearch) -> None:
    writer = SearchWriter(settings(es, retention_days=365))
    writer.connect()
    written = writer.ensure_templates()
    assert written == [
        "newsmon-news-articles",
        "newsmon-alerts",
        "newsmon-deadletter",
        "newsmon-feeds",
        "newsmon-stories",
    ]
    puts = {r["path"]: json.loads(r["body"]) for r in es.requests if r["method"] == "PUT"}
    # Indices made by an older template get the fields a newer one added (strict mappings refuse them).
    extended = puts["/news-articles-*/_mapping?allow_no_indices=true"]["properties"]
    assert extended["story_id"] == {"type": "keyword"}
    assert puts["/news-alerts*/_mapping?allow_no_indices=true"]["properties"]["stories"] == {"type": "long"}
    policy = puts["/_ilm/policy/newsmon-articles"]["policy"]
    assert policy["phases"]["delete"] == {"min_age": "365d", "actions": {"delete": {}}}
    articles = puts["/_index_template/newsmon-news-articles"]
    assert articles["index_patterns"] == ["news-articles-*"]
    assert articles["template"]["settings"]["index"] == {"lifecycle": {"name": "newsmon-articles"}}
    assert articles["template"]["mappings"]["properties"]["topics"] == {"type": "keyword"}
    assert puts["/_index_template/newsmon-alerts"]["index_patterns"] == ["news-alerts*"]
    for r in es.requests[1:]:  # every request through the client carries the API key
        assert r["headers"]["authorization"] == "ApiKey c2VjcmV0LWtleQ=="


def test_bulk_request_is_create_only_routed_by_year(es: FakeElasticsearch) -> None:
    writer = SearchWriter(settings(es))
    writer.connect()
    report = writer.write([doc(1), doc(2, "2025")])
    assert (report.created, report.existing, report.failed) == (2, 0, [])
    [bulk] = [r for r in es.requests if r["path"].startswith("/_bulk")]
    assert bulk["method"] in {"PUT", "POST"}
    assert bulk["headers"]["content-type"].startswith("application/vnd.elasticsearch+x-ndjson")
    lines = [json.loads(line) for line in bulk["body"].splitlines()]
    assert lines == [
        {"create": {"_index": "news-articles-2026", "_id": "id1"}},
        doc(1),
        {"create": {"_index": "news-articles-2025", "_id": "id2"}},
        doc(2, "2025"),
    ]


def test_only_failed_items_are_retried_and_permanent_ones_reported(es: FakeElasticsearch) -> None:
    es.bulk_answers = [[201, 429, 400, 409], [201]]
    slept: list[float] = []
    writer = SearchWriter(settings(es), sleep=slept.append)
    writer.connect()
    report = writer.write([doc(1), doc(2), doc(3), doc(4)])
    assert (report.created, report.existing, report.attempts) == (2, 1, 2)
    assert [(d["article_id"], reason) for d, reason, _ in report.failed] == [("id3", "document_parsing_exception")]
    bulks = [r for r in es.requests if r["path"].startswith("/_bulk")]
    retried = [json.loads(line) for line in bulks[1]["body"].splitlines()]
    assert retried[0] == {"create": {"_index": "news-articles-2026", "_id": "id2"}}
    assert len(slept) == 1


def test_wrong_credentials_fail_fast_without_leaking_the_key(es: FakeElasticsearch) -> None:
    es.status_for_auth = 401
    writer = SearchWriter(settings(es))
    with pytest.raises(SearchAuthError) as err:
        writer.connect()
    assert "credentials rejected" in str(err.value) and "c2VjcmV0" not in str(err.value)


def test_a_missing_privilege_is_named_not_taken_for_bad_credentials(es: FakeElasticsearch) -> None:
    es.forbid = "/_ilm/policy"
    writer = SearchWriter(settings(es))
    writer.connect()
    with pytest.raises(SearchAuthError) as err:
        writer.ensure_templates()  # installs the ILM policy first
    text = str(err.value)
    assert "HTTP 403" in text and "manage_ilm" in text and "newsmon-writer-role.json" in text
    assert "credentials rejected" not in text


@pytest.mark.parametrize(
    ("version", "engine", "message"),
    [
        ("7.17.0", "auto", "not support"),
        ("8.19.3", "auto", "compatible-with=9"),
        ("9.1.2", "opensearch", "NEWSMON_SEARCH_ENGINE=opensearch"),
    ],
)
def test_wrong_version_or_engine_is_named(es: FakeElasticsearch, version: str, engine: str, message: str) -> None:
    es.version = version
    with pytest.raises(SearchError, match=message):
        SearchWriter(settings(es, engine=engine)).connect()
