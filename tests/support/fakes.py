"""Fakes for TestPipeline tests of the I/O transforms: an in-memory engine and a fresh metrics registry.

A DoFn is pickled into the job graph and re-made on the worker, so what a
test injects must survive pickling and still reach the objects the test
inspects. The factories here hold only a key; the engine and the metrics
live in this module under that key (the DirectRunner runs the DoFns in the
test's process). Each test takes its own key, so tests never share counts.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry

from pipeline.core.config import SearchSettings
from pipeline.sinks.search import SearchWriter
from pipeline.telemetry.metrics import Metrics
from pipeline.transforms.telemetry import Telemetry

__all__ = ["Collect", "FakeEngine", "FakeWriter", "FreshTelemetry", "collector", "fakes"]


@dataclass
class FakeEngine:
    """The part of the engine's API :class:`SearchWriter` uses (``EngineClient``): ``_bulk`` create and
    update (upsert), ``_mget`` (one index or across indices) and ``_search`` (every document of an index).

    ``refuse`` maps a document id to the error type the engine answers for it (HTTP 400, for good)."""

    engine: str = "opensearch"
    docs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # index → id → source
    refuse: dict[str, str] = field(default_factory=dict)
    bulk_requests: int = 0

    def index(self, name: str) -> dict[str, dict[str, Any]]:
        return self.docs.setdefault(name, {})

    def bulk(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        self.bulk_requests += 1
        items: list[dict[str, dict[str, Any]]] = []
        for meta, source in zip(actions[::2], actions[1::2], strict=True):
            op, where = next(iter(meta.items()))
            store = self.index(where["_index"])
            doc_id = where.get("_id") or uuid.uuid4().hex
            if doc_id in self.refuse:
                items.append({op: {"status": 400, "error": {"type": self.refuse[doc_id], "reason": "refused"}}})
            elif op == "create":
                status = 409 if doc_id in store else 201
                store.setdefault(doc_id, dict(source))
                items.append({op: {"_id": doc_id, "status": status}})
            elif op == "update":
                status = 200 if doc_id in store else 201
                store[doc_id] = {**store.get(doc_id, {}), **source["doc"]}
                items.append({op: {"_id": doc_id, "status": status}})
            else:
                raise AssertionError(f"the fake engine does not know bulk op {op!r}")
        return {"errors": any(int(next(iter(i.values()))["status"]) >= 300 for i in items), "items": items}

    def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        parts = path.split("?", maxsplit=1)[0].strip("/").split("/")
        if parts[-1] == "_mget" and len(parts) == 1:
            wanted = [(d["_index"], d["_id"]) for d in body["docs"]]
        elif parts[-1] == "_mget":
            wanted = [(parts[0], i) for i in body["ids"]]
        elif parts[-1] == "_search":
            return {"hits": {"hits": [{"_id": i, "_source": s} for i, s in self.index(parts[0]).items()]}}
        elif parts[-1] == "_refresh":
            return {}
        else:
            raise AssertionError(f"the fake engine does not know {method} {path}")
        docs = []
        for index, doc_id in wanted:
            source = self.docs.get(index, {}).get(doc_id)
            docs.append(
                {
                    "_index": index,
                    "_id": doc_id,
                    "found": source is not None,
                    "_source": source,
                    "_seq_no": 0,
                    "_primary_term": 1,
                }
            )
        return {"docs": docs}


_engines: dict[str, FakeEngine] = {}
_telemetry: dict[str, Telemetry] = {}
_keys = itertools.count()


def _no_sleep(_seconds: float) -> None:
    """Retries back off instantly: the retry policy is the writer's, not the test's."""


@dataclass(frozen=True)
class FakeWriter:
    """A writer factory (``WriterFactory``): the real :class:`SearchWriter` over the fake engine of ``key``."""

    key: str

    def __call__(self, settings: SearchSettings) -> SearchWriter:
        return SearchWriter(settings, client=_engines[self.key], sleep=_no_sleep)


@dataclass(frozen=True)
class FreshTelemetry:
    """A telemetry factory (``TelemetryFactory``) counting on the registry of ``key``."""

    key: str

    def __call__(self) -> Telemetry:
        return _telemetry[self.key]  # one Metrics per registry: every DoFn of the test counts on it


def fakes(engine: FakeEngine | None = None) -> tuple[FakeEngine, CollectorRegistry, FakeWriter, FreshTelemetry]:
    """A new engine and registry, and the picklable factories that reach them."""
    key = f"fake-{next(_keys)}"
    _engines[key] = engine or FakeEngine()
    registry = CollectorRegistry()
    _telemetry[key] = Telemetry(Metrics(registry))
    return _engines[key], registry, FakeWriter(key), FreshTelemetry(key)


_collected: dict[str, list[Any]] = {}


@dataclass(frozen=True)
class Collect:
    """A picklable ``beam.Map`` function that keeps every element in :func:`collected` ``(key)``."""

    key: str

    def __call__(self, element: Any) -> None:
        _collected[self.key].append(element)


def collector() -> tuple[Collect, list[Any]]:
    """A :class:`Collect` and the list it fills (the test reads it after the pipeline has run)."""
    key = f"collect-{next(_keys)}"
    _collected[key] = []
    return Collect(key), _collected[key]
