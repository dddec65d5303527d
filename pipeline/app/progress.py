"""One line per poll cycle for the operator watching ``newsmon run``: what the service did since the last.

Read from the metrics ``/metrics`` serves (so it works for in-process and
worker-process harnesses alike): feeds polled, changed and failed, new
entries, relevant articles the engine newly created (by topic), documents
created and dead-lettered. In text mode it is a line; in JSON mode the same
facts are the record's fields. Spike alerts have their own line
(``topic spike: ...``, :mod:`pipeline.transforms.index`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from prometheus_client import CollectorRegistry

from pipeline.core.topics import TOPICS, UNTAGGED
from pipeline.telemetry import logs, metrics

log = logging.getLogger("newsmon.progress")
QUIET_OUTCOMES = ("unchanged", "not_modified")


def snapshot(registry: CollectorRegistry) -> dict[str, float]:
    """The cumulative counts a cycle line is the difference of."""
    out: dict[str, float] = {
        "polled": 0.0,
        "changed": 0.0,
        "failed": 0.0,
        "entries": 0.0,
        "created": 0.0,
        "dead_letters": 0.0,
    }
    for topic in (*TOPICS, UNTAGGED):
        out[f"topic_{topic}"] = 0.0
    for family in registry.collect():
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            if name == metrics.FEED_POLLS:
                out["polled"] += value
                outcome = labels.get("outcome", "")
                if outcome == "ok":
                    out["changed"] += value
                elif outcome not in QUIET_OUTCOMES:
                    out["failed"] += value
            elif name == metrics.ENTRIES_PARSED:
                out["entries"] += value
            elif name == metrics.DOCUMENTS_INDEXED and labels.get("result") == "created":
                out["created"] += value
            elif name == metrics.DEADLETTERS:
                out["dead_letters"] += value
            elif name == metrics.RELEVANT_ARTICLES and f"topic_{labels.get('topic')}" in out:
                out[f"topic_{labels['topic']}"] += value
    return out


def cycle(before: dict[str, float], after: dict[str, float], seconds: float) -> tuple[str, dict[str, Any]]:
    """The line and the fields for what happened between two snapshots (a counter that went back —
    a worker restarted — counts from 0)."""
    delta = {k: int(v - before.get(k, 0.0)) if v >= before.get(k, 0.0) else int(v) for k, v in after.items()}
    topics = {k.removeprefix("topic_"): n for k, n in delta.items() if k.startswith("topic_") and n}
    relevant = sum(topics.values())
    fields: dict[str, Any] = {
        "seconds": round(seconds, 1),
        "feeds_polled": delta["polled"],
        "feeds_changed": delta["changed"],
        "feeds_failed": delta["failed"],
        "entries": delta["entries"],
        "relevant_new": relevant,
        "relevant_by_topic": topics,
        "indexed": delta["created"],
        "dead_letters": delta["dead_letters"],
    }
    by_topic = " (" + ", ".join(f"{t} {n}" for t, n in sorted(topics.items())) + ")" if topics else ""
    text = (
        f"last {seconds:.0f}s: {delta['polled']} feeds polled, {delta['changed']} changed, "
        f"{delta['failed']} failed; {delta['entries']} entries, {relevant} new relevant{by_topic}; "
        f"{delta['created']} indexed, {delta['dead_letters']} dead-lettered"
    )
    return text, fields


class CycleReporter:
    """Logs :func:`cycle` every ``every_s`` seconds from ``registry`` until ``stop`` is set (a stop
    request ends it at once: the lines after Ctrl-C are the stop's own)."""

    def __init__(self, registry: CollectorRegistry, every_s: float, stop: threading.Event | None = None) -> None:
        self.registry, self.every_s = registry, every_s
        self._stop = stop or threading.Event()
        self._thread = threading.Thread(target=self._loop, name="progress", daemon=True)

    def start(self) -> CycleReporter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        before = snapshot(self.registry)
        while not self._stop.wait(self.every_s):
            after = snapshot(self.registry)
            text, fields = cycle(before, after, self.every_s)
            log.info(text, extra={**fields, **logs.SAID})
            before = after
