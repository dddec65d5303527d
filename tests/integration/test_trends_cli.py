"""`newsmon trends` against the real OpenSearch node: documents built and bulk-written by the project's own
document builder and writer into a fresh index prefix, one alert document in a fresh alerts index."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.alerting.spikes import Assessment, alert_document
from pipeline.core.config import SearchSettings
from pipeline.core.dates import unix_to_iso
from pipeline.core.errors import SearchError
from pipeline.core.model import Article, Classification, ClassifiedArticle
from pipeline.sinks.document import to_document
from pipeline.sinks.search import SearchWriter

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
H = 3600
DAY = 1_748_736_000  # 2025-06-01T00:00:00Z
PERIOD = ("--since", unix_to_iso(DAY), "--until", unix_to_iso(DAY + 4 * H), "--interval", "1h")

# (minutes after DAY, relevant, topics): per hour, all relevant / trade / energy / diplomacy =
# [3, 4, 0, 1] / [2, 3, 0, 0] / [1, 0, 0, 1] / [0, 3, 0, 0]; the irrelevant one never counts.
ARTICLES = [
    (5, True, ("trade",)),
    (20, True, ("trade",)),
    (40, True, ("energy",)),
    (50, False, ("trade",)),
    (61, True, ("trade", "diplomacy")),
    (70, True, ("trade", "diplomacy")),
    (75, True, ("trade", "diplomacy")),
    (100, True, ()),
    (200, True, ("energy",)),
]


def newsmon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.app.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def classified(n: int, minutes: int, relevant: bool, topics: tuple[str, ...]) -> ClassifiedArticle:
    when = unix_to_iso(DAY + minutes * 60)
    article = Article(
        article_id=f"trend{n:04d}",
        url=f"https://trends.example/{n}",
        title=f"Story {n}",
        summary="US and India",
        source="Trends Test",
        feed_url="https://trends.example/rss",
        language="en",
        published_at=when,
        seen_at=when,
    )
    return ClassifiedArticle(
        article, Classification(relevant=relevant, relevance_score=0.9 if relevant else 0.1, topics=topics)
    )


@pytest.fixture(scope="module")
def indices(search_url: str) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:8]
    prefix, alerts = f"news-articles-trends-{tag}", f"news-alerts-trends-{tag}"
    writer = SearchWriter(SearchSettings(url=search_url, index=prefix))
    writer.connect()
    writer.ensure_templates()
    try:
        docs = [to_document(classified(n, *spec), ingested_at=unix_to_iso(DAY)) for n, spec in enumerate(ARTICLES)]
        assert writer.write(docs).created == len(docs)
        alert = alert_document("trade", DAY + H, DAY + H + 900, Assessment(3, 0.5, 6.0, True), [])
        assert writer.write_raw(alerts, [alert], id_field="alert_id").created == 1
        writer.refresh()
        writer.client.request("POST", f"/{alerts}/_refresh")
        yield prefix, alerts
    finally:
        with contextlib.suppress(SearchError):
            writer.client.request("DELETE", f"/{prefix}-*")
            writer.client.request("DELETE", f"/{alerts}")
            writer.client.request("DELETE", f"/_index_template/newsmon-{prefix}")


def trends(indices: tuple[str, str], search_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    prefix, alerts = indices
    done = newsmon("trends", "--search-url", search_url, "--index", prefix, "--alerts-index", alerts, *PERIOD, *args)
    assert done.returncode == 0, done.stderr
    return done


def test_json_counts_share_and_alert_marks(indices: tuple[str, str], search_url: str) -> None:
    out = json.loads(trends(indices, search_url, "--json", "--share").stdout)
    buckets = out["buckets"]
    assert [b["start"] for b in buckets] == [unix_to_iso(DAY + i * H) for i in range(4)]
    assert [b["total"] for b in buckets] == [3, 4, 0, 1]
    assert [b["topics"]["trade"]["count"] for b in buckets] == [2, 3, 0, 0]
    assert [b["topics"]["energy"]["count"] for b in buckets] == [1, 0, 0, 1]
    assert [b["topics"]["diplomacy"]["count"] for b in buckets] == [0, 3, 0, 0]
    assert [b["topics"]["trade"]["share"] for b in buckets] == [0.6667, 0.75, None, 0.0]
    assert [b["topics"]["trade"]["alert"] for b in buckets] == [False, True, False, False]
    assert not any(b["topics"]["energy"]["alert"] for b in buckets)
    assert out["topics"]["trade"] == {
        "total": 5,
        "share": 0.625,
        "alert_buckets": 1,
        "peak": {"start": unix_to_iso(DAY + H), "count": 3, "share": 0.75},
    }
    assert [a["topic"] for a in out["alerts"]] == ["trade"]


def test_topic_filter_and_text_output(indices: tuple[str, str], search_url: str) -> None:
    only = json.loads(trends(indices, search_url, "--json", "--topic", "energy").stdout)
    assert list(only["topics"]) == ["energy"] and only["alerts"] == []
    lines = trends(indices, search_url, "--topic", "trade", "--topic", "energy").stdout.splitlines()
    assert lines[0] == "relevant articles per 1h, 2025-06-01 00:00 → 2025-06-01 04:00 UTC"
    assert lines[1].startswith("trade") and lines[1].endswith("5  peak 3 at 2025-06-01 01:00")
    assert lines[2].strip() == "^    alert window(s)" and lines[2].index("^") == lines[1].index("█")
    assert lines[3].startswith("energy") and lines[3].endswith("2  peak 1 at 2025-06-01 00:00")
    assert lines[4].startswith("all relevant") and " 8  " in lines[4]
    assert "\033[" not in "".join(lines)  # no colours when stdout is not a terminal


def test_png_is_a_real_non_blank_chart(indices: tuple[str, str], search_url: str, tmp_path: Path) -> None:
    import matplotlib.image

    png = tmp_path / "trends.png"
    done = trends(indices, search_url, "--png", str(png), "--quiet", "--share")
    assert done.stdout == ""
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(png)
    height, width = pixels.shape[:2]
    assert width >= 800 and height >= 400, (width, height)
    assert float(pixels[..., :3].std()) > 0.05  # not one flat colour
    # Lines and the shaded alert window use colours; a blank or axes-only chart would be grey-scale.
    rgb = pixels[..., :3]
    coloured = (rgb.max(axis=-1) - rgb.min(axis=-1)) > 0.2
    assert int(coloured.sum()) > 500
    # The trade alert window (01:00-01:15) is shaded in trade's colour (the first line's, matplotlib's
    # default blue) at low opacity: a band of light blue; energy alone, drawn in the same blue, has no
    # alert, so only the anti-aliased edges of its line come near that colour.
    energy = tmp_path / "energy.png"
    trends(indices, search_url, "--png", str(energy), "--quiet", "--topic", "energy")
    band, edges = shaded_pixels(pixels), shaded_pixels(matplotlib.image.imread(energy))
    assert band > 2000 and band > 5 * edges, (band, edges)


def shaded_pixels(pixels: Any) -> int:
    from matplotlib.colors import to_rgb

    blue = to_rgb("C0")
    band = [1 - 0.18 * (1 - c) for c in blue]  # the span's alpha (trendchart) over a white background
    close = abs(pixels[..., :3] - band).max(axis=-1) < 0.03
    return int(close.sum())
