"""Bulk writer for Elasticsearch 9 and OpenSearch 2.x: the pipeline's memory.

Policies, each in one place:

* document id = article id, op ``create``, index = the article's yearly index
  (``document.article_index``): a document that already exists answers 409 and
  is counted as ``existing``, never written twice; every other kind has a
  deterministic id too (alert: ``alert_id``, dead letter: :func:`deadletter_id`,
  feed state: the feed's id, story bands and records: their keys);
* per-item 429/5xx → only those items are retried; other per-item errors
  (mapping conflicts, oversized documents) are permanent → returned as
  failures for the dead-letter while their batch-mates are indexed;
* whole-request failures (connection refused, 429, 5xx) → retried with capped
  exponential backoff and jitter (``pipeline.sinks.retry``, for both kinds of
  retry), without limit by default: when the engine is down the pipeline holds
  back (one batch in memory) instead of dropping;
* 401/403 → :class:`SearchAuthError`, never retried.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pipeline.core.config import SearchSettings
from pipeline.core.errors import SearchAuthError, SearchError, SearchUnavailable
from pipeline.sinks import lifecycle
from pipeline.sinks.document import (
    DEADLETTER_INDEX,
    alerts_template,
    article_index,
    articles_template,
    deadletter_template,
    feeds_template,
    other_indices,
    stories_template,
    template_version,
)
from pipeline.sinks.engines import EngineClient, make_client, no_such_api, probe, status_of
from pipeline.sinks.retry import Backoff, retry_call, retry_items

log = logging.getLogger(__name__)

RETRYABLE_ITEM_STATUS = frozenset({429, 500, 502, 503, 504})
R = TypeVar("R")


def _unavailable(exc: Exception) -> bool:
    return isinstance(exc, SearchUnavailable)


def _missing_index(exc: SearchError) -> bool:
    """A read or delete of an index that does not exist yet (no documents: an answer, not a failure)."""
    return not isinstance(exc, SearchUnavailable) and (status_of(exc) == 404 or "index_not_found" in str(exc))


@dataclass
class BulkReport:
    created: int = 0
    existing: int = 0
    failed: list[tuple[dict[str, Any], str, str]] = field(default_factory=list)  # (doc, reason, detail)
    attempts: int = 0
    created_ids: list[str] = field(default_factory=list)


def deadletter_id(record: dict[str, Any]) -> str:
    """Stable id of a dead-letter record: its stage, reason, feed, detail and payload (not its time)."""
    key = "\x1f".join(str(record.get(k) or "") for k in ("stage", "reason", "feed_url", "detail", "payload"))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def bulk_actions(docs: Sequence[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The ``_bulk`` body: one create action + source per document, routed to its yearly index."""
    actions: list[dict[str, Any]] = []
    for doc in docs:
        actions.append({"create": {"_index": article_index(prefix, doc), "_id": doc["article_id"]}})
        actions.append(doc)
    return actions


def classify_items(
    docs: Sequence[dict[str, Any]], items: Sequence[dict[str, Any]], report: BulkReport
) -> list[dict[str, Any]]:
    """Fold per-item results into ``report``; return the documents to retry."""
    retry: list[dict[str, Any]] = []
    for doc, item in zip(docs, items, strict=True):
        outcome: dict[str, Any] = item.get("create") or next(iter(item.values()), {})
        status = int(outcome.get("status", 0))
        if status in (200, 201):
            report.created += 1
            if "article_id" in doc:
                report.created_ids.append(str(doc["article_id"]))
        elif status == 409:
            report.existing += 1
        elif status in RETRYABLE_ITEM_STATUS:
            retry.append(doc)
        else:
            error = outcome.get("error") or {}
            if isinstance(error, dict):
                reason, detail = str(error.get("type") or f"http_{status}"), str(error.get("reason"))[:1000]
            else:
                reason, detail = f"http_{status}", str(error)[:1000]
            report.failed.append((doc, reason, detail))
    return retry


class SearchWriter:
    """Writes documents with ``create`` semantics; one per worker (made in ``DoFn.setup``)."""

    def __init__(
        self,
        settings: SearchSettings,
        client: EngineClient | None = None,
        max_attempts: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._client = client
        self.max_attempts = max_attempts  # None = retry until the engine is back
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.engine = client.engine if client else settings.engine
        self.version = ""

    # -- start-up -----------------------------------------------------------
    @property
    def client(self) -> EngineClient:
        if self._client is None:
            self.connect()
        assert self._client is not None
        return self._client

    def connect(self, wait_s: float = 0.0) -> tuple[str, str]:
        """Detect the engine (waiting up to ``wait_s`` for it to answer, probing every 2 s) and make its
        client."""
        try:
            engine, version = retry_call(
                lambda: probe(self.settings),
                Backoff(base_s=1.0, cap_s=2.0, jitter=0.0, wait_s=wait_s),
                _unavailable,
                sleep=self._sleep,
                on_retry=lambda attempt, exc, delay: log.warning("waiting for the search engine: %s", exc),
            )
        except SearchUnavailable as exc:
            raise SearchUnavailable(f"{exc} — fix: start the engine or set ELASTICSEARCH_URL") from None
        self.engine, self.version = engine, version
        if self._client is None:
            self._client = make_client(self.settings, engine)
        return engine, version

    def _put_template(self, name: str, wanted: dict[str, Any]) -> bool:
        current = self.client.request("GET", f"/_index_template/{name}")
        for entry in current.get("index_templates") or []:
            have = entry.get("index_template", {})
            if (
                template_version(have) >= template_version(wanted)
                and have.get("index_patterns") == wanted["index_patterns"]
                and have.get("template", {}).get("settings", {}).get("index", {}).get("lifecycle")
                == wanted["template"]["settings"].get("index", {}).get("lifecycle")
            ):
                return False
        self.client.request("PUT", f"/_index_template/{name}", wanted)
        log.info("installed index template %s (version %d)", name, template_version(wanted))
        return True

    def _install_lifecycle(self) -> str | None:
        """Install the retention policy, or rewrite it when ``NEWSMON_RETENTION_DAYS`` changed; returns its
        name, or None when the engine has no lifecycle API. Any other failure stops start-up."""
        try:
            if self.engine == "elasticsearch":
                self._install_ilm(self.settings.retention_days)
            else:
                self._install_ism(self.settings.retention_days)
        except SearchError as exc:
            if no_such_api(exc):
                # OpenSearch without the index-management plugin (e.g. the minimal local node).
                log.warning(
                    "lifecycle not installed: %s has no lifecycle API (%s); old indices are kept",
                    self.engine,
                    exc,
                    extra={"policy": self.policy_name},
                )
                return None
            fix = " — fix: start the engine or check ELASTICSEARCH_URL" if isinstance(exc, SearchUnavailable) else ""
            raise type(exc)(f"installing the retention policy {self.policy_name}: {exc}{fix}") from None
        return self.policy_name

    def _install_ilm(self, days: int) -> None:
        """Elasticsearch: a PUT replaces the policy (and bumps its version), so only PUT when it differs;
        managed indices pick the new phase definitions up themselves."""
        path = f"/_ilm/policy/{lifecycle.POLICY_NAME}"
        current = self.client.request("GET", path)
        if current.get("_status") != 404 and lifecycle.ilm_is_current(current, days):
            return
        self.client.request("PUT", path, lifecycle.ilm_policy(days))
        log.info(
            "installed lifecycle policy %s (%d days)",
            lifecycle.POLICY_NAME,
            days,
            extra={"policy": lifecycle.POLICY_NAME},
        )

    def _install_ism(self, days: int, attempts: int = 3) -> None:
        """OpenSearch: create the policy, or update it under ``if_seq_no``/``if_primary_term`` when it differs
        (409: another worker wrote it first → read it again), then move the indices it already manages onto
        the new version (ISM keeps managed indices on the version they started with)."""
        path = f"/_plugins/_ism/policies/{self.policy_name}"
        wanted = lifecycle.ism_policy(self.settings.index, days)
        for _ in range(attempts):
            current = self.client.request("GET", path)
            exists = current.get("_status") != 404 and "policy" in current
            if exists and lifecycle.ism_is_current(current["policy"], self.settings.index, days):
                return
            query = f"?if_seq_no={current['_seq_no']}&if_primary_term={current['_primary_term']}" if exists else ""
            try:
                self.client.request("PUT", path + query, wanted)
            except SearchError as exc:
                if status_of(exc) == 409:
                    continue
                raise
            log.info(
                "%s lifecycle policy %s (%d days)",
                "updated" if exists else "installed",
                self.policy_name,
                days,
                extra={"policy": self.policy_name},
            )
            if exists:
                self._move_managed_indices()
            return
        raise SearchError(
            f"{path}: the policy kept changing under us ({attempts} writes refused with 409) — "
            "fix: check what else writes it, or restart"
        )

    def _move_managed_indices(self) -> None:
        try:
            got = self.client.request(
                "POST", f"/_plugins/_ism/change_policy/{self.settings.index}-*", {"policy_id": self.policy_name}
            )
        except SearchError as exc:
            if status_of(exc) == 404:  # no article index yet: nothing to move
                return
            raise
        log.info(
            "moved %s managed indices onto the new %s",
            got.get("updated_indices", 0),
            self.policy_name,
            extra={"policy": self.policy_name},
        )

    @property
    def policy_name(self) -> str:
        return (
            f"{lifecycle.POLICY_NAME}-{self.settings.index}" if self.engine == "opensearch" else lifecycle.POLICY_NAME
        )

    def ensure_templates(self) -> list[str]:
        """Install or upgrade the article, alert and dead-letter templates; returns those written."""
        if self._client is None:
            self.connect()  # the lifecycle API differs by engine: know which one first
        policy = self._install_lifecycle()
        articles = articles_template(self.settings.index)
        if policy and self.engine == "elasticsearch":
            articles["template"]["settings"]["index"] = {"lifecycle": {"name": policy}}
        written = []
        for name, body in (
            (f"newsmon-{self.settings.index}", articles),
            ("newsmon-alerts", alerts_template()),
            ("newsmon-deadletter", deadletter_template()),
            ("newsmon-feeds", feeds_template()),
            ("newsmon-stories", stories_template()),
        ):
            if self._put_template(name, body):
                written.append(name)
        if f"newsmon-{self.settings.index}" in written:
            self._extend_mappings(f"{self.settings.index}-*", articles)
            self._backfill_story_ids()
        if "newsmon-alerts" in written:
            self._extend_mappings("news-alerts*", alerts_template())
        return written

    def _backfill_story_ids(self) -> None:
        """Documents written before stories existed become stories of their own (``story_id`` = article id),
        so ``search --stories`` does not collapse them all into one group. Runs as an engine task."""
        body = {
            "query": {"bool": {"must_not": {"exists": {"field": "story_id"}}}},
            "script": {"lang": "painless", "source": "ctx._source.story_id = ctx._source.article_id"},
        }
        try:
            self.client.request(
                "POST",
                f"/{self.settings.index}-*/_update_by_query?conflicts=proceed"
                "&wait_for_completion=false&allow_no_indices=true",
                body,
            )
        except SearchError as exc:
            log.warning("could not give older %s-* documents a story_id: %s", self.settings.index, exc)

    def _extend_mappings(self, pattern: str, template: dict[str, Any]) -> None:
        """Existing indices keep their mapping, but a strict mapping refuses a field a newer template added
        (``story_id``, an alert's ``stories``): adding fields to an existing mapping is always allowed."""
        properties = template["template"]["mappings"]["properties"]
        try:
            self.client.request("PUT", f"/{pattern}/_mapping?allow_no_indices=true", {"properties": properties})
        except SearchAuthError:
            raise  # a missing privilege stops start-up with its name, as for the templates
        except SearchError as exc:
            log.warning("could not add the new fields to the existing %s indices: %s", pattern, exc)

    # -- writing ------------------------------------------------------------
    @property
    def backoff(self) -> Backoff:
        """The writer's retry policy (whole requests and per-item 429/5xx alike)."""
        return Backoff(max_attempts=self.max_attempts)

    def _retrying(self, fn: Callable[[], R], held: int) -> R:
        """``fn()`` with whole-request failures (unreachable, 429, 5xx) retried under :attr:`backoff`."""

        def note(attempt: int, exc: Exception, delay: float) -> None:
            log.warning(
                "search engine unavailable (attempt %d, %d documents held): %s; retrying in %.1fs",
                attempt,
                held,
                exc,
                delay,
            )

        return retry_call(fn, self.backoff, _unavailable, sleep=self._sleep, rng=self._rng, on_retry=note)

    def bulk_items(self, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One ``_bulk`` request with the whole-request retry policy; returns its per-item results."""
        result = self._retrying(lambda: self.client.bulk(actions), held=len(actions) // 2)
        items: list[dict[str, Any]] = result.get("items", [])
        return items

    def bulk_items_retrying(self, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """:meth:`bulk_items` with the one per-item policy: items answered 429/5xx are sent again alone
        (``retry_items``); returns each action's last answer, in order. Every action must have a source
        line (create, index, update)."""
        pairs = list(zip(actions[::2], actions[1::2], strict=True))
        answers: dict[int, dict[str, Any]] = {}

        def send(batch: list[int]) -> list[int]:
            again = []
            items = self.bulk_items([line for j in batch for line in pairs[j]])
            for i, item in zip(batch, items, strict=True):
                answers[i] = item
                outcome: dict[str, Any] = next(iter(item.values()), {})
                if int(outcome.get("status", 0)) in RETRYABLE_ITEM_STATUS:
                    again.append(i)
            return again

        retry_items(list(range(len(pairs))), send, self.backoff, sleep=self._sleep, rng=self._rng)
        return [answers[i] for i in range(len(pairs))]

    def _elsewhere(self, docs: Sequence[dict[str, Any]]) -> set[str]:
        """Ids of documents already stored under another of their possible indices (a re-dated article)."""
        lookups = [
            {"_index": index, "_id": doc["article_id"]}
            for doc in docs
            for index in other_indices(self.settings.index, doc)
        ]
        if not lookups:
            return set()
        got = self._retrying(lambda: self.client.request("POST", "/_mget", {"docs": lookups}), held=len(docs))
        return {str(d["_id"]) for d in got.get("docs", []) if d.get("found")}

    def write(self, docs: Sequence[dict[str, Any]]) -> BulkReport:
        """Index article documents; returns what happened to each."""
        pending = list(docs)
        elsewhere = self._elsewhere(pending) if pending else set()
        report = BulkReport(existing=sum(1 for d in pending if d["article_id"] in elsewhere))
        pending = [d for d in pending if d["article_id"] not in elsewhere]
        return self._create_all(pending, lambda batch: bulk_actions(batch, self.settings.index), report)

    def _create_all(
        self,
        docs: list[dict[str, Any]],
        actions_for: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
        report: BulkReport,
    ) -> BulkReport:
        """The one create-only policy: per-item 429/5xx retried alone (``retry_items``), other per-item
        errors reported in ``report.failed``."""

        def send(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return classify_items(batch, self.bulk_items(actions_for(batch)), report)

        report.attempts, refused = retry_items(docs, send, self.backoff, sleep=self._sleep, rng=self._rng)
        report.failed.extend((d, "retries_exhausted", "the engine kept rejecting the item") for d in refused)
        return report

    def write_raw(self, index: str, docs: Sequence[dict[str, Any]], id_field: str) -> BulkReport:
        """Create other documents (alerts, dead letters) with the article retry policy. Each gets ``_id`` =
        its ``id_field`` (a content hash or natural key), so a retried bundle never files one twice."""

        def actions_for(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
            actions: list[dict[str, Any]] = []
            for doc in batch:
                actions += [
                    {"create": {"_index": index, "_id": doc[id_field]}},
                    {k: v for k, v in doc.items() if k != "_doc_id"},
                ]
            return actions

        report = self._create_all(list(docs), actions_for, BulkReport())
        for doc, reason, detail in report.failed:
            log.warning(
                "%s document rejected by the search engine: %s: %s",
                index,
                reason,
                detail,
                extra={"index": index, "doc_id": doc.get(id_field)},
            )
        return report

    def upsert(self, index: str, docs: dict[str, dict[str, Any]]) -> int:
        """Partial updates (created when absent) of documents by id, with the article retry policy for
        whole requests and per-item 429/5xx; returns how many items failed for good."""
        failed = 0

        def send(ids: list[str]) -> list[str]:
            nonlocal failed
            actions: list[dict[str, Any]] = []
            for doc_id in ids:
                actions += [{"update": {"_index": index, "_id": doc_id}}, {"doc": docs[doc_id], "doc_as_upsert": True}]
            retry = []
            for doc_id, item in zip(ids, self.bulk_items(actions), strict=False):
                status = int((item.get("update") or {}).get("status", 0))
                if status in RETRYABLE_ITEM_STATUS:
                    retry.append(doc_id)
                elif status not in (200, 201):
                    failed += 1
                    log.warning(
                        "feed state update rejected: %s",
                        (item.get("update") or {}).get("error"),
                        extra={"index": index, "doc_id": doc_id},
                    )
            return retry

        _, refused = retry_items(list(docs), send, self.backoff, sleep=self._sleep, rng=self._rng)
        return failed + len(refused)

    def mget(self, index: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The sources of the documents with these ids that exist (an absent index gives none)."""
        if not ids:
            return []
        try:
            got = self.client.request("POST", f"/{index}/_mget", {"ids": list(ids)})
        except SearchError as exc:
            if _missing_index(exc):
                return []
            raise
        return [d["_source"] for d in got.get("docs", []) if d.get("found")]

    def mget_versioned(self, index: str, ids: Sequence[str]) -> dict[str, tuple[dict[str, Any], tuple[int, int]]]:
        """id → (source, (seq_no, primary_term)) of the documents that exist, read in real time; whole-request
        failures are retried like writes (the caller holds its batch meanwhile)."""
        try:
            got = self._retrying(
                lambda: self.client.request("POST", f"/{index}/_mget?realtime=true", {"ids": list(ids)}), held=len(ids)
            )
        except SearchError as exc:
            if _missing_index(exc):
                return {}
            raise
        return {
            str(d["_id"]): (d["_source"], (int(d.get("_seq_no", -1)), int(d.get("_primary_term", 0))))
            for d in got.get("docs", [])
            if d.get("found")
        }

    def delete_by_query(self, index: str, body: dict[str, Any]) -> int:
        """Delete the matching documents (conflicts skipped); returns how many were deleted."""
        try:
            got = self.client.request("POST", f"/{index}/_delete_by_query?conflicts=proceed", body)
        except SearchError as exc:
            if _missing_index(exc):
                return 0
            raise
        return int(got.get("deleted", 0))

    def search_docs(self, index: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            got = self.client.request("POST", f"/{index}/_search", body)
        except SearchError as exc:
            if _missing_index(exc):
                return []
            raise
        return [h["_source"] for h in got.get("hits", {}).get("hits", [])]

    def write_deadletters(self, records: Sequence[dict[str, Any]]) -> BulkReport:
        """Dead letters into the news-deadletter index, each with an id from its content (not its time),
        so a retried bundle does not file the same failure twice."""
        if not records or not self.settings.deadletter_index:
            return BulkReport()
        docs = [{**r, "@timestamp": r.get("at"), "_doc_id": deadletter_id(r)} for r in records]
        return self.write_raw(DEADLETTER_INDEX, docs, id_field="_doc_id")

    def refresh(self) -> None:
        self.client.request("POST", f"/{self.settings.index}-*/_refresh")
