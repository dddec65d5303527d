"""Topic history from the engine, so a restarted job's spike detector has a baseline at once.

The in-job detector keeps per-topic window counts in runner state, which a
restart loses; without them it would stay blind for ``min_history_windows``
(an hour by default). The documents it counts are in the engine, so the
history is rebuilt from them: relevant documents per topic, bucketed by
``ingested_at`` in the detector's own fixed windows (both aligned to the Unix
epoch), for the ``history_windows`` before the first window the job judges.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pipeline.alerting.spikes import DEFAULT_RULE, SpikeRule, TopicHistory, seeded_history
from pipeline.core.dates import unix_to_iso
from pipeline.core.errors import SearchError
from pipeline.sinks.document import read_pattern

if TYPE_CHECKING:
    from pipeline.sinks.search import SearchWriter

log = logging.getLogger(__name__)


def history_query(topic: str, before: int, rule: SpikeRule = DEFAULT_RULE) -> dict[str, Any]:
    """The search body: when the topic was first created, and created documents per window before ``before``."""
    oldest = before - rule.history_windows * rule.window_s
    return {
        "size": 0,
        "query": {"bool": {"filter": [{"term": {"relevant": True}}, {"term": {"topics": topic}}]}},
        "aggs": {
            "first": {"min": {"field": "ingested_at"}},
            "recent": {
                "filter": {"range": {"ingested_at": {"gte": unix_to_iso(oldest), "lt": unix_to_iso(before)}}},
                "aggs": {
                    "windows": {
                        "date_histogram": {
                            "field": "ingested_at",
                            "fixed_interval": f"{rule.window_s}s",
                            "min_doc_count": 1,
                        }
                    }
                },
            },
        },
    }


def history_from_response(response: dict[str, Any], before: int, rule: SpikeRule = DEFAULT_RULE) -> TopicHistory:
    aggs = response.get("aggregations") or {}
    first_ms = (aggs.get("first") or {}).get("value")
    buckets = [
        (int(b["key"]) // 1000, int(b["doc_count"]))
        for b in ((aggs.get("recent") or {}).get("windows") or {}).get("buckets", [])
    ]
    return seeded_history(buckets, first_ms / 1000 if first_ms is not None else None, before, rule)


class EngineHistory:
    """Callable ``(topic, before) -> TopicHistory`` over a connected ``SearchWriter``; empty on failure."""

    def __init__(self, writer: SearchWriter, prefix: str, rule: SpikeRule = DEFAULT_RULE) -> None:
        self.writer, self.prefix, self.rule = writer, prefix, rule

    def __call__(self, topic: str, before: int) -> TopicHistory:
        try:
            response = self.writer.client.request(
                "POST", f"/{read_pattern(self.prefix)}/_search", history_query(topic, before, self.rule)
            )
        except SearchError as exc:
            log.warning("topic history not read from the engine (%s); %s starts without one", exc, topic)
            return TopicHistory()
        history = history_from_response(response, before, self.rule)
        if history.first_window_start is not None:
            log.info(
                "spike history of %s restored from the engine: %d window(s) with articles",
                topic,
                len(history.counts),
                extra={"topic": topic},
            )
        return history
