"""Story state in the search engine: LSH band claims and story records, in ``news-stories``.

Two kinds of document share the index (field ``kind``):

* ``band`` — id ``band-<key>``: the claim of one LSH band key by a story
  (:class:`pipeline.stories.Claim`); ``event`` — the same for an event key
  (:mod:`pipeline.stories.events`), expired after the shorter event window. Written with ``create``, so the first
  worker to claim a key wins and every other one reads a 409 and adopts the
  winner — the way articles themselves are kept single. An expired claim
  (older than the window) is replaced with ``index`` guarded by its sequence
  number, so two workers replacing it at once still leave one winner.
  :meth:`EngineBandStore.expire` deletes expired claims (bounded storage).
* ``story`` — id = story id: size (articles the engine created for it),
  first and last seen, the founding headline. Updated by a scripted upsert
  from the created articles only, so restarts and replays count nothing twice.

This is "state keyed by LSH band" outside the runner: any number of workers
on any runner share it, and it survives restarts as the feed state does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pipeline.core.dates import iso_to_unix, unix_to_iso
from pipeline.sinks.feedstate import DEFAULT_ARTICLE_PREFIX
from pipeline.stories import Claim
from pipeline.stories.events import is_event_key

if TYPE_CHECKING:
    from pipeline.sinks.search import SearchWriter

log = logging.getLogger(__name__)
STORIES_INDEX = "news-stories"

# Painless runs on Elasticsearch and OpenSearch alike.
_COUNT_SCRIPT = (
    "ctx._source.size += params.n; "
    "if (params.last_seen.compareTo(ctx._source.last_seen) > 0) "
    "{ ctx._source.last_seen = params.last_seen; ctx._source['@timestamp'] = params.last_seen; }"
)


def stories_index(article_prefix: str) -> str:
    """``news-stories`` for the default article prefix, ``news-stories-<prefix>`` otherwise."""
    return STORIES_INDEX if article_prefix == DEFAULT_ARTICLE_PREFIX else f"{STORIES_INDEX}-{article_prefix}"


def band_doc(key: str, claim: Claim) -> dict[str, Any]:
    # Up to 31 bands per article in the window and 30 event keys per article of the event window: no field
    # that is not read. Event keys are kind "event" so that they expire with their own, shorter window.
    return {
        "kind": "event" if is_event_key(key) else "band",
        "story_id": claim.story_id,
        "article_id": claim.article_id,
        "first_seen": unix_to_iso(claim.first_seen),
        "claimed_at": unix_to_iso(claim.claimed_at),
    }


def claim_of(source: Mapping[str, Any], version: Any = None) -> Claim:
    return Claim(
        str(source["story_id"]),
        iso_to_unix(source.get("first_seen")) or 0.0,
        iso_to_unix(source.get("claimed_at")) or 0.0,
        str(source.get("article_id", "")),
        version,
    )


def story_updates(
    created: Iterable[tuple[str, float, float, str, str, Sequence[str]]],
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """(story id, first seen, seen, title, url, topics) of created articles → per story: (upsert, params)."""
    out: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for story_id, first_seen, seen, title, url, topics in created:
        seen_iso = unix_to_iso(seen)
        if story_id in out:
            upsert, params = out[story_id]
            upsert["size"] += 1
            params["n"] += 1
            if seen_iso > params["last_seen"]:
                params["last_seen"] = upsert["last_seen"] = upsert["@timestamp"] = seen_iso
            continue
        upsert = {
            "kind": "story",
            "story_id": story_id,
            "first_seen": unix_to_iso(first_seen),
            "size": 1,
            "last_seen": seen_iso,
            "title": title,
            "url": url,
            "topics": list(topics),
            "@timestamp": seen_iso,
        }
        out[story_id] = (upsert, {"n": 1, "last_seen": seen_iso})
    return out


class EngineBandStore:
    """:class:`pipeline.stories.BandStore` over the engine (one ``_mget`` + one ``_bulk`` per batch)."""

    def __init__(self, writer: SearchWriter, index: str) -> None:
        self.writer = writer
        self.index = index

    def get(self, keys: Iterable[str]) -> dict[str, Claim]:
        ids = [f"band-{k}" for k in sorted(set(keys))]
        if not ids:
            return {}
        docs = self.writer.mget_versioned(self.index, ids)
        return {doc_id.removeprefix("band-"): claim_of(src, version) for doc_id, (src, version) in docs.items()}

    def claim(self, claims: Mapping[str, Claim], replacing: Mapping[str, Claim]) -> dict[str, Claim]:
        keys = sorted(claims)
        actions: list[dict[str, Any]] = []
        for key in keys:
            meta: dict[str, Any] = {"_index": self.index, "_id": f"band-{key}"}
            old = replacing.get(key)
            if old is not None and old.version is not None:
                seq_no, term = old.version
                actions += [
                    {"index": {**meta, "if_seq_no": seq_no, "if_primary_term": term}},
                    band_doc(key, claims[key]),
                ]
            else:
                actions += [{"create": meta}, band_doc(key, claims[key])]
        items = self.writer.bulk_items_retrying(actions)
        holders = {k: claims[k] for k in keys}
        lost = []
        for key, item in zip(keys, items, strict=True):
            outcome: dict[str, Any] = next(iter(item.values()), {})
            status = int(outcome.get("status", 0))
            if status == 409:
                lost.append(key)
            elif status in (200, 201):
                holders[key] = replace(
                    claims[key], version=(int(outcome.get("_seq_no", -1)), int(outcome.get("_primary_term", 0)))
                )
            else:
                log.warning(
                    "story band claim not stored: %s",
                    outcome.get("error"),
                    extra={"band": key, "story_id": claims[key].story_id, "article_id": claims[key].article_id},
                )
        if lost:
            holders.update(self.get(lost))
        return holders

    def count_created(self, created: Iterable[tuple[str, float, float, str, str, Sequence[str]]]) -> int:
        """Add created articles to their story records; returns how many stories were updated."""
        updates = story_updates(created)
        actions: list[dict[str, Any]] = []
        for story_id, (upsert, params) in sorted(updates.items()):
            actions += [
                {"update": {"_index": self.index, "_id": story_id, "retry_on_conflict": 5}},
                {"script": {"source": _COUNT_SCRIPT, "lang": "painless", "params": params}, "upsert": upsert},
            ]
        if actions:
            for item in self.writer.bulk_items_retrying(actions):
                outcome: dict[str, Any] = next(iter(item.values()), {})
                if int(outcome.get("status", 0)) not in (200, 201):
                    log.warning(
                        "story record not updated: %s", outcome.get("error"), extra={"story_id": outcome.get("_id")}
                    )
        return len(updates)

    def expire(self, before: float, events_before: float | None = None) -> int:
        """Delete band claims made before ``before`` and event-key claims made before ``events_before``
        (default ``before``), unix seconds; returns how many."""

        def older(kind: str, at: float) -> dict[str, Any]:
            return {"bool": {"filter": [{"term": {"kind": kind}}, {"range": {"claimed_at": {"lt": unix_to_iso(at)}}}]}}

        body = {
            "query": {
                "bool": {
                    "should": [
                        older("band", before),
                        older("event", before if events_before is None else events_before),
                    ],
                    "minimum_should_match": 1,
                }
            }
        }
        return self.writer.delete_by_query(self.index, body)
