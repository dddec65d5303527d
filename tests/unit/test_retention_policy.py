"""Retention policies (ILM/ISM): installed, rewritten when NEWSMON_RETENTION_DAYS changes, and which engine
answers mean "no lifecycle API" (a warning) rather than a failure that stops start-up.

The ISM stand-in below keeps the policy with a sequence number and primary term the way OpenSearch's
index-management plugin does (a write under stale ``if_seq_no`` is refused with 409), and adds the fields
OpenSearch adds to what it stores (retry settings, timestamps), so the comparison is checked against them.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

import pytest

from pipeline.core.config import SearchSettings
from pipeline.core.errors import SearchAuthError, SearchError, SearchUnavailable
from pipeline.sinks import lifecycle
from pipeline.sinks.engines import no_such_api, status_of
from pipeline.sinks.search import SearchWriter

URL = "http://engine:9200"


class FakeIsm:
    """An EngineClient with OpenSearch's ISM policy API (no templates: those are not under test here)."""

    engine = "opensearch"

    def __init__(self) -> None:
        self.policies: dict[str, tuple[dict[str, Any], int]] = {}  # id -> (stored policy, seq_no)
        self.requests: list[tuple[str, str]] = []
        self.race: dict[str, Any] | None = None  # a policy another worker writes just before our next PUT
        self.fail: SearchError | None = None

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        self.requests.append((method, path))
        if self.fail is not None:
            raise self.fail
        found = re.fullmatch(r"/_plugins/_ism/policies/([^?]+)(?:\?if_seq_no=(\d+)&if_primary_term=(\d+))?", path)
        if found is None:
            return {"_status": 200, "updated_indices": 1, "failures": False}
        name = found.group(1)
        if method == "GET":
            if name not in self.policies:
                return {"_status": 404}
            stored, seq = self.policies[name]
            return {"_id": name, "_seq_no": seq, "_primary_term": 1, "policy": copy.deepcopy(stored)}
        if self.race is not None:
            self._store(name, self.race)
            self.race = None
        if name in self.policies and (found.group(2) is None or int(found.group(2)) != self.policies[name][1]):
            raise SearchError(f"{URL}{path}: HTTP 409: version_conflict_engine_exception: seq_no mismatch")
        self._store(name, body["policy"])
        return {"_status": 201}

    def _store(self, name: str, policy: dict[str, Any]) -> None:
        stored = copy.deepcopy(policy)
        stored.update(policy_id=name, last_updated_time=1764612345678, schema_version=21)
        for state in stored["states"]:
            for action in state["actions"]:
                action["retry"] = {"count": 3, "backoff": "exponential", "delay": "1m"}
        seq = self.policies[name][1] + 1 if name in self.policies else 0
        self.policies[name] = (stored, seq)

    def bulk(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        raise AssertionError("no bulk here")


def ages(fake: FakeIsm, name: str) -> list[str]:
    policy = fake.policies[name][0]
    return [t["conditions"]["min_index_age"] for s in policy["states"] for t in s["transitions"]]


def writer(fake: Any, days: int, index: str = "news-articles") -> SearchWriter:
    return SearchWriter(replace(SearchSettings(url=URL, index=index), retention_days=days), client=fake)


def test_an_ism_policy_is_installed_then_rewritten_when_the_retention_changes() -> None:
    fake = FakeIsm()
    assert writer(fake, 7)._install_lifecycle() == "newsmon-articles-news-articles"
    assert ages(fake, "newsmon-articles-news-articles") == ["7d"]
    fake.requests.clear()
    writer(fake, 7)._install_lifecycle()
    assert fake.requests == [("GET", "/_plugins/_ism/policies/newsmon-articles-news-articles")]  # current: no write
    writer(fake, 30)._install_lifecycle()
    assert ages(fake, "newsmon-articles-news-articles") == ["30d"]
    assert fake.policies["newsmon-articles-news-articles"][1] == 1
    assert (
        "PUT",
        "/_plugins/_ism/policies/newsmon-articles-news-articles?if_seq_no=0&if_primary_term=1",
    ) in fake.requests
    # the indices the old version manages are moved onto the new one
    assert ("POST", "/_plugins/_ism/change_policy/news-articles-*") in fake.requests


def test_a_policy_written_by_another_worker_meanwhile_is_read_again() -> None:
    fake = FakeIsm()
    writer(fake, 7)._install_lifecycle()
    fake.race = lifecycle.ism_policy("news-articles", 14)["policy"]  # another worker, older settings
    writer(fake, 30)._install_lifecycle()
    assert ages(fake, "newsmon-articles-news-articles") == ["30d"]
    puts = [path for method, path in fake.requests if method == "PUT"]
    assert puts[-2:] == [
        "/_plugins/_ism/policies/newsmon-articles-news-articles?if_seq_no=0&if_primary_term=1",
        "/_plugins/_ism/policies/newsmon-articles-news-articles?if_seq_no=1&if_primary_term=1",
    ]


@pytest.mark.parametrize(
    "error",
    [
        SearchError(
            f"{URL}/_plugins/_ism/policies/p: HTTP 400: no handler found for uri "
            "[/_plugins/_ism/policies/p] and method [GET]"
        ),
        SearchError(f"{URL}/_plugins/_ism/policies/p: HTTP 404: not found"),
    ],
)
def test_an_engine_without_the_api_gets_a_warning_and_no_policy(
    error: SearchError, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeIsm()
    fake.fail = error
    assert no_such_api(error)
    assert writer(fake, 30)._install_lifecycle() is None
    assert "no lifecycle API" in caplog.text


@pytest.mark.parametrize(
    ("error", "kind", "says"),
    [
        (
            SearchAuthError(
                f"{URL}/_plugins/_ism/policies/p: HTTP 401: credentials rejected — fix: check ELASTICSEARCH_API_KEY"
            ),
            SearchAuthError,
            "ELASTICSEARCH_API_KEY",
        ),
        (
            SearchAuthError(
                f"{URL}/_plugins/_ism/policies/p: HTTP 403: a privilege is missing: security_exception: "
                "no permissions for [cluster:admin/opendistro/ism/policy/write]"
            ),
            SearchAuthError,
            "ism/policy/write",
        ),
        (
            SearchUnavailable(f"{URL}: unreachable: ConnectionError: refused"),
            SearchUnavailable,
            "fix: start the engine",
        ),
        (
            SearchUnavailable(f"{URL}/_plugins/_ism/policies/p: HTTP 503: cluster_block_exception"),
            SearchUnavailable,
            "HTTP 503",
        ),
        (
            SearchError(f"{URL}/_plugins/_ism/policies/p: HTTP 400: illegal_argument_exception: bad min_index_age"),
            SearchError,
            "bad min_index_age",
        ),
    ],
)
def test_auth_unavailability_and_refusals_stop_start_up(error: SearchError, kind: type[SearchError], says: str) -> None:
    assert not no_such_api(error)
    fake = FakeIsm()
    fake.fail = error
    with pytest.raises(kind) as raised:
        writer(fake, 30)._install_lifecycle()
    assert type(raised.value) is kind
    assert "installing the retention policy newsmon-articles-news-articles" in str(raised.value)
    assert says in str(raised.value)


def test_status_of_reads_the_status_the_clients_put_in_their_messages() -> None:
    assert status_of(SearchError(f"{URL}/x: HTTP 409: version_conflict_engine_exception: x")) == 409
    assert status_of(SearchUnavailable(f"{URL}: unreachable: ConnectionError: refused")) is None


class FakeIlm:
    """An EngineClient with Elasticsearch's ILM API: PUT replaces the policy and bumps its version."""

    engine = "elasticsearch"

    def __init__(self) -> None:
        self.stored: dict[str, Any] | None = None
        self.version = 0
        self.puts = 0

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        assert path == f"/_ilm/policy/{lifecycle.POLICY_NAME}"
        if method == "GET":
            if self.stored is None:
                return {"_status": 404}
            return {
                lifecycle.POLICY_NAME: {
                    "version": self.version,
                    "modified_date": "2026-12-01T19:00:00Z",
                    "policy": copy.deepcopy(self.stored),
                }
            }
        self.stored, self.version, self.puts = body["policy"], self.version + 1, self.puts + 1
        return {"acknowledged": True}

    def bulk(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        raise AssertionError("no bulk here")


def test_an_ilm_policy_is_written_only_when_the_retention_changes() -> None:
    fake = FakeIlm()
    assert writer(fake, 7)._install_lifecycle() == lifecycle.POLICY_NAME
    writer(fake, 7)._install_lifecycle()
    assert fake.puts == 1  # unchanged: the policy's version is not bumped at every start
    writer(fake, 30)._install_lifecycle()
    assert fake.puts == 2 and fake.stored is not None
    assert fake.stored["phases"]["delete"]["min_age"] == "30d"


def test_the_current_checks_ignore_what_the_engine_adds_but_not_the_retention() -> None:
    fake = FakeIsm()
    fake._store("p", lifecycle.ism_policy("news-articles", 7)["policy"])
    stored = fake.policies["p"][0]
    assert lifecycle.ism_is_current(stored, "news-articles", 7)
    assert not lifecycle.ism_is_current(stored, "news-articles", 8)
    assert not lifecycle.ism_is_current(stored, "other-prefix", 7)
    answer = {lifecycle.POLICY_NAME: {"policy": lifecycle.ilm_policy(7)["policy"]}}
    assert lifecycle.ilm_is_current(answer, 7) and not lifecycle.ilm_is_current(answer, 30)
    assert not lifecycle.ilm_is_current({"acknowledged": True}, 7)
