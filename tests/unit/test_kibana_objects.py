"""The Kibana saved objects (dashboards/kibana/newsmon.ndjson) and the import client (pipeline.sinks.kibana)."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import fnmatch
import importlib.util
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from pipeline.core.topics import TOPICS
from pipeline.sinks import kibana as dashboards
from pipeline.sinks.document import articles_template
from pipeline.sinks.kibana import (
    DashboardError,
    KibanaAuthError,
    KibanaUnavailable,
    check_references,
    fields_by_data_view,
    fields_used,
    import_options_from_env,
    import_saved_objects,
    load_saved_objects,
    mapping_fields,
)

REPO = Path(__file__).resolve().parents[2]
NDJSON = REPO / "dashboards" / "kibana" / "newsmon.ndjson"
BUILD = REPO / "dashboards" / "kibana" / "build.py"


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("newsmon_kibana_build", BUILD)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _alert_fields() -> set[str]:
    """Fields of the news-alerts mapping."""
    from pipeline.sinks import document

    return mapping_fields(document.alerts_template()["template"]["mappings"])


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    return load_saved_objects(NDJSON)


def _by_id(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in objects}


# ------------------------------------------------------------ the ndjson file
def test_every_line_is_one_saved_object() -> None:
    lines = NDJSON.read_text(encoding="utf-8").splitlines()
    assert lines, "newsmon.ndjson is empty"
    for number, line in enumerate(lines, start=1):
        obj = json.loads(line)
        assert isinstance(obj, dict), f"line {number}"
        assert {"id", "type", "attributes", "references"} <= set(obj), f"line {number}: {sorted(obj)}"
        assert obj["id"].startswith("newsmon-"), f"line {number}: ids are stable and prefixed"
        assert obj.get("typeMigrationVersion") and obj.get("coreMigrationVersion"), f"line {number}"


def test_committed_file_is_the_build_scripts_output() -> None:
    build = _build_module()
    assert NDJSON.read_text(encoding="utf-8") == build.render(build.build_objects()), (
        "dashboards/kibana/newsmon.ndjson is out of date — fix: python dashboards/kibana/build.py"
    )
    assert build.main(["--check"]) == 0


def test_every_reference_resolves_within_the_file(objects: list[dict[str, Any]]) -> None:
    assert check_references(objects) == []


def test_data_views_and_time_fields(objects: list[dict[str, Any]]) -> None:
    by_id = _by_id(objects)
    articles, alerts = by_id["newsmon-articles"]["attributes"], by_id["newsmon-alerts"]["attributes"]
    assert (articles["title"], articles["timeFieldName"]) == ("news-articles*", "published_at")
    assert (alerts["title"], alerts["timeFieldName"]) == ("news-alerts*", "@timestamp")
    assert json.loads(articles["fieldFormatMap"])["url"]["id"] == "url", "article links must be clickable"
    # The data view must cover every index the article template applies to (e.g. yearly indices).
    for pattern in articles_template()["index_patterns"]:
        assert fnmatch.fnmatchcase(pattern.replace("*", "2026"), articles["title"]), pattern


def test_article_fields_exist_in_the_index_template(objects: list[dict[str, Any]]) -> None:
    known = mapping_fields(articles_template()["template"]["mappings"])
    assert {"title.keyword", "source.text", "entities.text"} <= known  # multi-fields count
    used = fields_by_data_view(objects)["newsmon-articles"]
    assert used, "no article fields found: fields_by_data_view is broken"
    assert used <= known, f"fields missing from pipeline/sinks/articles-template.json: {sorted(used - known)}"


def test_alert_fields_exist_in_the_alert_document(objects: list[dict[str, Any]]) -> None:
    used = fields_by_data_view(objects)["newsmon-alerts"]
    known = _alert_fields()
    assert {"topic", "ratio", "severity", "window_start", "window_end", "@timestamp"} <= used
    assert used <= known, f"fields the alert document does not have: {sorted(used - known)}"


def test_feed_health_fields_exist_in_the_feeds_template(objects: list[dict[str, Any]]) -> None:
    from pipeline.sinks.document import feeds_template

    known = mapping_fields(feeds_template()["template"]["mappings"])
    used = fields_by_data_view(objects)["newsmon-feeds"]
    assert {"feed_url", "healthy", "last_outcome", "failures"} <= used
    assert used <= known, f"fields missing from pipeline/sinks/feeds-template.json: {sorted(used - known)}"
    view = _by_id(objects)["newsmon-feeds"]["attributes"]
    assert (view["title"], view["timeFieldName"]) == ("news-feeds*", "last_poll")


def test_topic_searches_cover_exactly_the_topic_set(objects: list[dict[str, Any]]) -> None:
    prefix = "newsmon-search-topic-"
    searches = {o["id"].removeprefix(prefix): o for o in objects if o["id"].startswith(prefix)}
    assert set(searches) == set(TOPICS)
    for topic, obj in searches.items():
        assert obj["type"] == "search"
        query = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]
        assert query["language"] == "kuery" and f'topics : "{topic}"' in query["query"]
        assert "relevant : true" in query["query"]


def test_dashboard_shows_the_required_panels(objects: list[dict[str, Any]]) -> None:
    by_id = _by_id(objects)
    dash = by_id["newsmon-overview"]
    panels = json.loads(dash["attributes"]["panelsJSON"])
    refs = {r["name"]: r for r in dash["references"]}
    shown = {refs[f"{p['panelIndex']}:{p['panelRefName']}"]["id"] for p in panels}
    lens_fields = {
        obj_id: {
            c.get("sourceField")
            for layer in by_id[obj_id]["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].values()
            for c in layer["columns"].values()
        }
        for obj_id in shown
        if by_id[obj_id]["type"] == "lens"
    }
    # volume per topic over time, share of topics, top sources, top entities
    assert {"topics", "published_at"} <= lens_fields["newsmon-lens-topic-volume"]
    assert by_id["newsmon-lens-topic-share"]["attributes"]["visualizationType"] == "lnsPie"
    assert "source" in lens_fields["newsmon-lens-top-sources"]
    assert "entities" in lens_fields["newsmon-lens-top-entities"]
    assert {"story_id", "source", "title.keyword"} <= lens_fields["newsmon-lens-top-stories"]
    # latest articles with links, recent spike alerts
    assert "url" in by_id["newsmon-search-coverage"]["attributes"]["columns"]
    assert {"newsmon-search-coverage", "newsmon-search-alerts"} <= shown
    # panels do not overlap on the 48-column grid
    cells: set[tuple[int, int]] = set()
    for p in panels:
        g = p["gridData"]
        assert g["x"] + g["w"] <= 48
        area = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & area, f"panel {p['panelIndex']} overlaps another"
        cells |= area


# ------------------------------------------------------------ pure helpers
def test_load_rejects_broken_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"id":"a","type":"search","attributes":{}}\n{not json\n', encoding="utf-8")
    with pytest.raises(DashboardError, match=r"bad.ndjson:2: not JSON"):
        load_saved_objects(bad)
    bad.write_text('{"id":"a","type":"search"}\n', encoding="utf-8")
    with pytest.raises(DashboardError, match="without attributes"):
        load_saved_objects(bad)
    with pytest.raises(DashboardError, match="cannot read"):
        load_saved_objects(tmp_path / "missing.ndjson")


def test_check_references_reports_what_is_missing() -> None:
    objs: list[dict[str, Any]] = [
        {
            "id": "d",
            "type": "dashboard",
            "references": [{"name": "p1:panel_p1", "type": "lens", "id": "gone"}],
            "attributes": {
                "panelsJSON": json.dumps(
                    [{"panelIndex": "p1", "panelRefName": "panel_p1"}, {"panelIndex": "p2", "panelRefName": "panel_p2"}]
                )
            },
        },
        {
            "id": "s",
            "type": "search",
            "references": [],
            "attributes": {
                "kibanaSavedObjectMeta": {
                    "searchSourceJSON": json.dumps({"indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"})
                }
            },
        },
        {"id": "s", "type": "search", "references": [], "attributes": {}},
    ]
    problems = "\n".join(check_references(objs))
    assert "lens/gone is not in the file" in problems
    assert "panel p2 has no reference" in problems
    assert "indexRefName" in problems
    assert "search/s: id used twice" in problems


def test_fields_used_reads_queries_columns_and_lens_columns() -> None:
    objs: list[dict[str, Any]] = [
        {
            "id": "s",
            "type": "search",
            "references": [{"type": "index-pattern", "id": "v", "name": "x"}],
            "attributes": {
                "columns": ["title"],
                "sort": [["published_at", "desc"]],
                "kibanaSavedObjectMeta": {
                    "searchSourceJSON": json.dumps(
                        {
                            "query": {
                                "query": 'topics : "trade: tariffs" and relevance_score >= 0.5',
                                "language": "kuery",
                            }
                        }
                    )
                },
            },
        },
        {
            "id": "l",
            "type": "lens",
            "references": [{"type": "index-pattern", "id": "v", "name": "x"}],
            "attributes": {
                "state": {
                    "query": {"query": "language:en"},
                    "filters": [],
                    "datasourceStates": {
                        "formBased": {
                            "layers": {
                                "a": {
                                    "columns": {
                                        "c": {"sourceField": "___records___", "filter": {"query": "source.text : bbc"}},
                                        "d": {"sourceField": "entities"},
                                    }
                                }
                            }
                        }
                    },
                }
            },
        },
    ]
    assert fields_used(objs) == {
        "title",
        "published_at",
        "topics",
        "relevance_score",
        "language",
        "source.text",
        "entities",
    }


def test_import_options_from_env(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("abc==\n", encoding="utf-8")
    opts = import_options_from_env(
        {
            "KIBANA_URL": "https://k:5601",
            "KIBANA_API_KEY_FILE": str(key_file),
            "KIBANA_SPACE": "news",
            "KIBANA_VERIFY_CERTS": "false",
        }
    )
    assert opts["kibana_url"] == "https://k:5601" and opts["api_key"] == "abc=="
    assert opts["space"] == "news" and opts["verify"] is False and opts["username"] is None
    assert import_options_from_env({})["kibana_url"] == "http://127.0.0.1:5601"
    assert dashboards.saved_objects_path({"NEWSMON_KIBANA_OBJECTS": "/x.ndjson"}) == Path("/x.ndjson")
    assert dashboards.saved_objects_path({}) == dashboards.packaged_objects()


def test_the_package_ships_the_same_saved_objects_as_dashboards() -> None:
    """``newsmon dashboards import`` reads the package's copy (package data): it must be dashboards/'s file."""
    packaged = dashboards.packaged_objects()
    assert packaged.is_relative_to(Path(dashboards.__file__).resolve().parents[1])  # inside the package
    assert packaged.read_bytes() == NDJSON.read_bytes(), (
        f"{packaged} differs from {NDJSON} — fix: python dashboards/kibana/build.py"
    )


# ------------------------------------------------------------ import client vs a fake Kibana
@dataclass
class FakeKibana:
    """Mimics POST /api/saved_objects/_import: checks what a real Kibana checks, answers as scripted."""

    answers: list[tuple[int, dict[str, Any]]]
    requests: list[dict[str, Any]] = field(default_factory=list)


def _handler(kibana: FakeKibana) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = urlsplit(self.path)
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {self.headers.get('Content-Type')}\r\n\r\n".encode() + body
            )
            files = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
            kibana.requests.append(
                {
                    "path": parts.path,
                    "query": parse_qs(parts.query),
                    "xsrf": self.headers.get("kbn-xsrf"),
                    "auth": self.headers.get("Authorization"),
                    "multipart": message.get_content_type() == "multipart/form-data",
                    "filename": files["file"].get_filename() if "file" in files else None,
                    "file": files["file"].get_payload(decode=True) if "file" in files else None,
                }
            )
            status, answer = kibana.answers.pop(0) if kibana.answers else (500, {"message": "no answer"})
            if self.headers.get("kbn-xsrf") is None:  # Kibana refuses writes without it
                status, answer = (
                    400,
                    {"statusCode": 400, "error": "Bad Request", "message": "Request must contain a kbn-xsrf header."},
                )
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def kibana() -> Iterator[tuple[FakeKibana, str]]:
    fake = FakeKibana(answers=[])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _ok(count: int) -> tuple[int, dict[str, Any]]:
    return 200, {"success": True, "successCount": count, "successResults": [], "warnings": []}


def test_import_posts_the_file_as_multipart_with_xsrf_and_api_key(
    kibana: tuple[FakeKibana, str], objects: list[dict[str, Any]]
) -> None:
    fake, url = kibana
    fake.answers.append(_ok(len(objects)))
    result = import_saved_objects(url + "/", NDJSON, api_key="aWQ6a2V5")
    assert result["successCount"] == len(objects)
    [req] = fake.requests
    assert req["path"] == "/api/saved_objects/_import" and req["query"] == {"overwrite": ["true"]}
    assert req["xsrf"] and req["multipart"] and req["filename"] == "newsmon.ndjson"
    assert req["file"] == NDJSON.read_bytes()
    assert req["auth"] == "ApiKey aWQ6a2V5"


def test_import_with_basic_auth_into_a_space(kibana: tuple[FakeKibana, str]) -> None:
    fake, url = kibana
    fake.answers.append(_ok(17))
    import_saved_objects(url, NDJSON, username="elastic", password="pw", space="news room", overwrite=False)
    [req] = fake.requests
    assert req["path"] == "/s/news%20room/api/saved_objects/_import"
    assert req["query"] == {"overwrite": ["false"]}
    assert req["auth"] == "Basic " + base64.b64encode(b"elastic:pw").decode()


@pytest.mark.parametrize(("status", "words"), [(401, "credentials were rejected"), (403, "kibana_admin")])
def test_import_auth_failures_are_named(kibana: tuple[FakeKibana, str], status: int, words: str) -> None:
    fake, url = kibana
    fake.answers.append((status, {"statusCode": status, "message": "nope"}))
    with pytest.raises(KibanaAuthError, match=words):
        import_saved_objects(url, NDJSON, username="elastic", password="wrong")


def test_import_other_refusals_carry_kibanas_message(kibana: tuple[FakeKibana, str]) -> None:
    fake, url = kibana
    fake.answers.append((413, {"statusCode": 413, "message": "Payload content length greater than maximum"}))
    with pytest.raises(DashboardError, match=r"413.*Payload content length"):
        import_saved_objects(url, NDJSON)


def test_import_reports_each_refused_object(kibana: tuple[FakeKibana, str]) -> None:
    fake, url = kibana
    fake.answers.append(
        (
            200,
            {
                "success": False,
                "successCount": 15,
                "errors": [
                    {
                        "id": "newsmon-overview",
                        "type": "dashboard",
                        "meta": {"title": "newsmon"},
                        "error": {
                            "type": "missing_references",
                            "references": [{"type": "lens", "id": "newsmon-lens-x"}],
                        },
                    },
                    {
                        "id": "newsmon-articles",
                        "type": "index-pattern",
                        "meta": {"title": "news-articles*"},
                        "error": {"type": "conflict"},
                    },
                ],
            },
        )
    )
    with pytest.raises(DashboardError) as caught:
        import_saved_objects(url, NDJSON)
    text = str(caught.value)
    assert "refused 2 of" in text
    assert "dashboard/newsmon-overview" in text and "missing lens/newsmon-lens-x" in text
    assert "index-pattern/newsmon-articles" in text and "conflict" in text


def test_import_retries_while_kibana_starts(kibana: tuple[FakeKibana, str]) -> None:
    fake, url = kibana
    fake.answers += [(503, {"message": "Kibana server is not ready yet"}), _ok(17)]
    slept: list[float] = []
    assert import_saved_objects(url, NDJSON, wait_s=60, sleep=slept.append)["success"] is True
    assert len(fake.requests) == 2 and slept == [1.0]
    fake.answers.append((503, {"message": "Kibana server is not ready yet"}))
    with pytest.raises(KibanaUnavailable, match="not ready"):
        import_saved_objects(url, NDJSON)  # wait_s=0: no retry


def test_import_unreachable_kibana() -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(KibanaUnavailable, match=r"unreachable.*KIBANA_URL"):
        import_saved_objects(f"http://127.0.0.1:{port}", NDJSON, timeout_s=2)


def test_import_rejects_a_bad_url_or_file_before_any_request(tmp_path: Path) -> None:
    with pytest.raises(DashboardError, match="not an http"):
        import_saved_objects("kibana:5601", NDJSON)
    with pytest.raises(DashboardError, match="cannot read"):
        import_saved_objects("http://127.0.0.1:9", tmp_path / "none.ndjson")


def test_cli_dashboards_import_uses_env_credentials(
    kibana: tuple[FakeKibana, str],
    objects: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pipeline.app.cli import main

    fake, url = kibana
    fake.answers.append(_ok(len(objects)))
    monkeypatch.setenv("KIBANA_API_KEY", "Y2xpOmtleQ==")
    assert main(["dashboards", "import", "--kibana-url", url, "--space", "news", "--wait", "0"]) == 0
    [req] = fake.requests
    assert req["path"] == "/s/news/api/saved_objects/_import" and req["auth"] == "ApiKey Y2xpOmtleQ=="
    assert f"imported {len(objects)} saved object(s)" in capsys.readouterr().out
    fake.answers.append((401, {"message": "unauthorized"}))
    assert main(["dashboards", "import", "--kibana-url", url, "--wait", "0"]) == 3


def test_the_readme_names_the_saved_objects_as_the_ndjson_does(objects: list[dict[str, Any]]) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Kibana.** `newsmon dashboards import") :][:900]
    section = " ".join(section.split())
    for obj in objects:
        if obj["type"] == "index-pattern":
            assert f'"{obj["attributes"]["name"]}" (`{obj["attributes"]["title"]}`' in section, obj["id"]
        if obj["type"] == "dashboard":
            assert f'"{obj["attributes"]["title"]}"' in section


def test_the_spike_alert_links_to_a_saved_search_that_exists(objects: list[dict[str, Any]]) -> None:
    rules = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules" / "newsmon-alerts.yml"
    text = rules.read_text(encoding="utf-8")
    link = next(line for line in text.splitlines() if "kibana_url:" in line)
    assert "#/view/newsmon-search-topic-{{ $labels.topic }}" in link
    ids = {o["id"] for o in objects}
    assert {_build_module().topic_search_id(t) for t in TOPICS} <= ids
