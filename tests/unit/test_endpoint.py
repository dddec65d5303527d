"""One HTTP set-up (auth, TLS) for the engine's HttpClient and the Kibana import: pipeline.sinks.engines.Endpoint."""

from __future__ import annotations

import base64

from pipeline.core.config import SearchSettings, search_settings
from pipeline.sinks.engines import Endpoint, HttpClient


def test_an_api_key_wins_over_basic_auth_and_secrets_stay_out_of_repr() -> None:
    assert Endpoint("https://k", api_key="aWQ6a2V5", username="u", password="p").auth_headers() == {
        "Authorization": "ApiKey aWQ6a2V5"
    }
    basic = Endpoint("https://k", username="elastic", password="pw").auth_headers()["Authorization"]
    assert base64.b64decode(basic.removeprefix("Basic ")) == b"elastic:pw"
    assert Endpoint("http://k").auth_headers() == {}
    assert "aWQ6a2V5" not in repr(Endpoint("https://k", api_key="aWQ6a2V5", password="pw"))
    assert "pw" not in repr(Endpoint("https://k", password="pw"))


def test_tls_settings_become_the_pool_settings() -> None:
    verified = Endpoint("https://es:9200", ca_certs="/etc/ca.pem").pool().connection_pool_kw
    assert verified["cert_reqs"] == "CERT_REQUIRED" and verified["ca_certs"] == "/etc/ca.pem"
    unverified = Endpoint("https://es:9200", verify_certs=False).pool().connection_pool_kw
    assert unverified["cert_reqs"] == "CERT_NONE" and unverified["assert_hostname"] is False
    plain = Endpoint("http://es:9200").pool().connection_pool_kw
    assert "cert_reqs" not in plain and plain["retries"].total is False  # callers retry, once


def test_the_engine_client_is_made_from_the_settings_endpoint() -> None:
    settings = search_settings(
        {
            "ELASTICSEARCH_URL": "https://es:9200",
            "ELASTICSEARCH_USERNAME": "newsmon",
            "ELASTICSEARCH_PASSWORD": "s3cret",
            "ELASTICSEARCH_CA_CERTS": "/etc/ca.pem",
        }
    )
    endpoint = Endpoint.of(settings)
    assert (endpoint.url, endpoint.username, endpoint.password, endpoint.ca_certs) == (
        "https://es:9200",
        "newsmon",
        "s3cret",
        "/etc/ca.pem",
    )
    client = HttpClient(settings)
    assert client._headers == endpoint.auth_headers()
    assert client._pool.connection_pool_kw["ca_certs"] == "/etc/ca.pem"
    assert Endpoint.of(SearchSettings()).url == SearchSettings.url
