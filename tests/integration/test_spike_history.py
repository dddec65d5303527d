"""The spike detector's history rebuilt from documents in the real OpenSearch node (after a restart)."""

from __future__ import annotations

import contextlib
import uuid

import pytest

from pipeline.alerting.spikes import SpikeRule, assess, previous_counts
from pipeline.core.config import SearchSettings
from pipeline.core.errors import SearchError
from pipeline.sinks.history import EngineHistory
from pipeline.sinks.search import SearchWriter

pytestmark = pytest.mark.integration


def _doc(n: int, topic: str, ingested: str, relevant: bool = True) -> dict[str, object]:
    return {
        "article_id": f"h-{n}",
        "url": f"https://e.org/h{n}",
        "title": f"t{n}",
        "summary": "",
        "source": "S",
        "published_at": ingested,
        "@timestamp": ingested,
        "ingested_at": ingested,
        "relevant": relevant,
        "relevance_score": 0.9,
        "topics": [topic],
        "entities": [],
    }


def test_a_restarted_detector_gets_its_topic_history_from_the_engine(search_url: str) -> None:
    prefix = f"news-articles-hist-{uuid.uuid4().hex[:8]}"
    writer = SearchWriter(SearchSettings(url=search_url, index=prefix))
    writer.connect()
    writer.ensure_templates()
    rule = SpikeRule(window_s=900, history_windows=8, min_history_windows=2, min_count=3, ratio_threshold=3)
    before = 1_796_119_200  # 2026-12-01T10:00:00Z, a window start
    docs = [_doc(i, "trade", "2026-12-01T09:20:00Z") for i in range(2)]  # window 09:15
    docs += [_doc(10 + i, "trade", "2026-12-01T09:50:00Z") for i in range(3)]  # window 09:45
    docs += [_doc(20, "trade", "2026-12-01T10:05:00Z")]  # the window being judged: not history
    docs += [_doc(30, "trade", "2026-12-01T09:50:00Z", relevant=False), _doc(31, "energy", "2026-12-01T09:50:00Z")]
    try:
        assert writer.write(docs).created == len(docs)
        writer.refresh()
        history = EngineHistory(writer, prefix, rule)("trade", before)
        assert previous_counts(history, before, rule) == [2, 0, 3]  # 09:15, 09:30, 09:45
        # With that baseline (1.7 a window) a burst of 12 is judged at once, not after an hour.
        verdict = assess(12, previous_counts(history, before, rule), rule)
        assert verdict.ratio is not None and verdict.is_spike
        assert EngineHistory(writer, prefix, rule)("defense", before).first_window_start is None
    finally:
        with contextlib.suppress(SearchError):
            writer.client.request("DELETE", f"/{prefix}-*")
            writer.client.request("DELETE", f"/_index_template/newsmon-{prefix}")
