"""The engine layer's one retry policy (pipeline.sinks.retry) and the writer's use of it for other documents."""

from __future__ import annotations

import random
from typing import Any

import pytest

from pipeline.core.config import SearchSettings
from pipeline.core.errors import SearchError, SearchUnavailable
from pipeline.sinks.retry import Backoff, retry_call, retry_items
from pipeline.sinks.search import SearchWriter


def test_delays_grow_to_the_cap_and_stay_within_their_jitter() -> None:
    rng = random.Random(7)
    policy = Backoff(base_s=0.5, cap_s=30.0, jitter=0.5)
    for attempt in range(1, 12):
        ceiling = min(30.0, 0.5 * 2**attempt)
        assert ceiling / 2 <= policy.delay(attempt, rng) <= ceiling
    fixed = Backoff(base_s=0.5, cap_s=10.0, jitter=0.0)
    assert [fixed.delay(n, rng) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


class Flaky:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures, self.calls = failures, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def test_retryable_failures_are_retried_others_raised_at_once() -> None:
    slept: list[float] = []
    flaky = Flaky([SearchUnavailable("503"), SearchUnavailable("503")])
    told: list[int] = []
    got = retry_call(
        flaky,
        Backoff(),
        lambda e: isinstance(e, SearchUnavailable),
        sleep=slept.append,
        on_retry=lambda attempt, exc, delay: told.append(attempt),
    )
    assert (got, flaky.calls, told, len(slept)) == ("ok", 3, [1, 2], 2)
    refused = Flaky([SearchError("400 mapping")])
    with pytest.raises(SearchError, match="400 mapping"):
        retry_call(refused, Backoff(), lambda e: isinstance(e, SearchUnavailable), sleep=slept.append)
    assert refused.calls == 1


def test_the_policy_gives_up_by_attempts_or_by_time_budget() -> None:
    flaky = Flaky([SearchUnavailable(str(n)) for n in range(10)])
    with pytest.raises(SearchUnavailable, match=r"^2$"):
        retry_call(flaky, Backoff(max_attempts=3), lambda e: True, sleep=lambda s: None)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    flaky = Flaky([SearchUnavailable(str(n)) for n in range(10)])
    with pytest.raises(SearchUnavailable):
        retry_call(
            flaky,
            Backoff(base_s=0.5, cap_s=10.0, jitter=0.0, wait_s=8.0),
            lambda e: True,
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert now[0] == 7.0 and flaky.calls == 4  # slept 1 + 2 + 4; the next 8 s would pass the budget


def test_only_the_refused_items_are_sent_again() -> None:
    rounds: list[list[str]] = []

    def send(batch: list[str]) -> list[str]:
        rounds.append(batch)
        return [x for x in batch if x == "b"] if len(rounds) < 3 else []

    assert retry_items(["a", "b", "c"], send, Backoff(), sleep=lambda s: None) == (3, [])
    assert rounds == [["a", "b", "c"], ["b"], ["b"]]
    assert retry_items(["a", "b"], lambda batch: ["b"], Backoff(max_attempts=2), sleep=lambda s: None) == (2, ["b"])


class FakeBulk:
    """An EngineClient answering ``_bulk`` with scripted per-item statuses."""

    engine = "opensearch"

    def __init__(self, answers: list[list[int]]) -> None:
        self.answers = answers
        self.sent: list[list[dict[str, Any]]] = []

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        return {"docs": []}

    def bulk(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        self.sent.append(actions)
        statuses = self.answers.pop(0)
        return {
            "items": [
                {
                    "create": {
                        "status": s,
                        **({"error": {"type": "mapper_parsing_exception", "reason": "bad"}} if s == 400 else {}),
                    }
                }
                for s in statuses
            ]
        }


def test_dead_letters_and_alerts_retry_429_and_5xx_per_item_under_deterministic_ids() -> None:
    fake = FakeBulk([[201, 429, 503, 400], [201, 409]])
    writer = SearchWriter(SearchSettings(), client=fake, sleep=lambda s: None)
    records = [
        {"stage": "parse", "reason": r, "detail": "d", "feed_url": "u", "payload": "p", "at": "t"}
        for r in ("a", "b", "c", "d")
    ]
    report = writer.write_deadletters(records)
    assert (report.created, report.existing, report.attempts) == (2, 1, 2)
    assert [reason for _, reason, _ in report.failed] == ["mapper_parsing_exception"]
    first_ids = [a["create"]["_id"] for a in fake.sent[0][::2]]
    retried_ids = [a["create"]["_id"] for a in fake.sent[1][::2]]
    assert retried_ids == first_ids[1:3]  # only the 429 and the 503, under the same ids
    assert len(set(first_ids)) == 4 and all("_doc_id" not in a for a in fake.sent[0][1::2])
    again = FakeBulk([[409] * 4])
    SearchWriter(SearchSettings(), client=again).write_deadletters(records)
    assert [a["create"]["_id"] for a in again.sent[0][::2]] == first_ids  # the same failure, the same id
    alerts = FakeBulk([[503], [201]])
    report = SearchWriter(SearchSettings(), client=alerts, sleep=lambda s: None).write_raw(
        "news-alerts", [{"alert_id": "trade-2026", "topic": "trade"}], id_field="alert_id"
    )
    assert report.created == 1 and [a[0]["create"]["_id"] for a in alerts.sent] == ["trade-2026"] * 2


def test_story_claims_and_records_retry_429_and_5xx_per_item_and_keep_each_answer_in_order() -> None:
    fake = FakeBulk([[201, 429, 409, 502], [200, 201]])
    writer = SearchWriter(SearchSettings(), client=fake, sleep=lambda s: None)
    actions: list[dict[str, Any]] = []
    for key in ("k1", "k2", "k3", "k4"):
        actions += [{"create": {"_index": "news-stories", "_id": f"band-{key}"}}, {"story_id": key}]
    answers = writer.bulk_items_retrying(actions)
    assert [next(iter(a.values()))["status"] for a in answers] == [201, 200, 409, 201]
    assert [a["create"]["_id"] for a in fake.sent[1][::2]] == ["band-k2", "band-k4"]  # only the 429 and the 502
    assert fake.sent[1][1::2] == [{"story_id": "k2"}, {"story_id": "k4"}]  # each with its own source line
