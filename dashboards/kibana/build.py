#!/usr/bin/env python3
"""Generate ``newsmon.ndjson``: the Kibana saved objects for newsmon (Kibana 8.x/9.x import format).

    python dashboards/kibana/build.py            # rewrite newsmon.ndjson and the package's copy
    python dashboards/kibana/build.py --check    # exit 1 if either is not what this script makes

The committed ``newsmon.ndjson`` is this script's output (a unit test checks it),
and so is ``pipeline/kibana/newsmon.ndjson``, the copy shipped as package data;
edit the objects here, never the ndjson by hand. Topics come from
``pipeline.core.topics`` and field names from the index template, so a renamed field
or a new topic shows up as a failing test rather than a broken dashboard.

Objects (all with stable ids, so re-importing overwrites instead of duplicating):

* data views ``newsmon-articles`` (``news-articles*``, time field ``published_at``),
  ``newsmon-alerts`` (``news-alerts*``, time field ``@timestamp``) and
  ``newsmon-feeds`` (``news-feeds*``, one document per feed, time field ``last_poll``);
* saved searches: US–India coverage, one per topic, recent spike alerts, and
  feed health (failing or gone feeds first);
* Lens visualisations (by reference): volume per topic, share of topics, top
  sources, top entities, relevant-article count;
* the ``newsmon-overview`` dashboard that lays them out.

Lens states use the 8.9 format (``formBased`` datasource) with
``typeMigrationVersion`` set, so Kibana 8.9+ and 9.x migrate them on import.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from pipeline.core.topics import TOPICS  # noqa: E402

OUTPUT = Path(__file__).resolve().parent / "newsmon.ndjson"
# The copy shipped as package data, so `newsmon dashboards import` works after a plain `pip install`.
PACKAGED = Path(__file__).resolve().parents[2] / "pipeline" / "kibana" / "newsmon.ndjson"

ARTICLES_VIEW = "newsmon-articles"
ALERTS_VIEW = "newsmon-alerts"
COVERAGE_SEARCH = "newsmon-search-coverage"
ALERTS_SEARCH = "newsmon-search-alerts"
FEEDS_VIEW = "newsmon-feeds"
FEEDS_SEARCH = "newsmon-search-feed-health"
DASHBOARD = "newsmon-overview"
RELEVANT = "relevant : true"
CORE_MIGRATION = "8.8.0"
# The version each object's attributes are written in; Kibana migrates from there.
TYPE_MIGRATION = {"index-pattern": "8.0.0", "search": "8.0.0", "lens": "8.9.0", "dashboard": "8.7.0"}
PANEL_VERSION = "8.9.0"


def topic_search_id(topic: str) -> str:
    return f"newsmon-search-topic-{topic}"


def _obj(type_: str, id_: str, attributes: dict[str, Any], references: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "attributes": attributes,
        "coreMigrationVersion": CORE_MIGRATION,
        "id": id_,
        "managed": False,
        "references": references,
        "type": type_,
        "typeMigrationVersion": TYPE_MIGRATION[type_],
    }


def _js(value: Any) -> str:
    """Kibana stores nested state as JSON strings inside attributes."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


# ------------------------------------------------------------------ data views
def data_view(
    id_: str, pattern: str, name: str, time_field: str, formats: dict[str, Any] | None = None
) -> dict[str, Any]:
    # fields "[]": Kibana reads the field list from the indices, so the view
    # never goes stale when the template gains a field.
    return _obj(
        "index-pattern",
        id_,
        {
            "allowNoIndex": True,
            "fieldAttrs": "{}",
            "fieldFormatMap": _js(formats or {}),
            "fields": "[]",
            "name": name,
            "runtimeFieldMap": "{}",
            "sourceFilters": "[]",
            "timeFieldName": time_field,
            "title": pattern,
            "typeMeta": "{}",
        },
        [],
    )


# -------------------------------------------------------------- saved searches
def saved_search(
    id_: str, title: str, description: str, view: str, query: str, columns: list[str], sort_field: str
) -> dict[str, Any]:
    source = {
        "filter": [],
        "highlightAll": True,
        "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
        "query": {"language": "kuery", "query": query},
        "version": True,
    }
    return _obj(
        "search",
        id_,
        {
            "columns": columns,
            "description": description,
            "grid": {},
            "hideChart": False,
            "isTextBasedQuery": False,
            "kibanaSavedObjectMeta": {"searchSourceJSON": _js(source)},
            "sort": [[sort_field, "desc"]],
            "title": title,
        },
        [{"id": view, "name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern"}],
    )


ARTICLE_COLUMNS = ["title", "source", "topics", "entities", "relevance_score", "url"]
# The alert document is built by pipeline.alerting.spikes.alert_document; examples is a list of
# {title, url, source, published_at} objects, so Discover shows its leaf fields.
ALERT_COLUMNS = [
    "topic",
    "severity",
    "ratio",
    "count",
    "stories",
    "summary",
    "baseline",
    "window_start",
    "window_end",
    "examples.title",
]


# One document per feed, written by the poller and the indexer (pipeline/sinks/feedstate.py).
FEED_COLUMNS = [
    "name",
    "feed_url",
    "healthy",
    "last_outcome",
    "failures",
    "last_success",
    "next_due",
    "items_seen",
    "last_error",
]


# ------------------------------------------------------------------------ lens
def _count(label: str = "Articles") -> dict[str, Any]:
    return {
        "customLabel": True,
        "dataType": "number",
        "isBucketed": False,
        "label": label,
        "operationType": "count",
        "params": {"emptyAsNull": True},
        "scale": "ratio",
        "sourceField": "___records___",
    }


def _terms(field: str, size: int, order_by: str, label: str) -> dict[str, Any]:
    return {
        "customLabel": True,
        "dataType": "string",
        "isBucketed": True,
        "label": label,
        "operationType": "terms",
        "scale": "ordinal",
        "sourceField": field,
        "params": {
            "missingBucket": False,
            "orderBy": {"columnId": order_by, "type": "column"},
            "orderDirection": "desc",
            "otherBucket": False,
            "parentFormat": {"id": "terms"},
            "size": size,
        },
    }


def _date(field: str) -> dict[str, Any]:
    return {
        "dataType": "date",
        "isBucketed": True,
        "label": field,
        "operationType": "date_histogram",
        "params": {"dropPartials": False, "includeEmptyRows": True, "interval": "auto"},
        "scale": "interval",
        "sourceField": field,
    }


def _unique(field: str, label: str) -> dict[str, Any]:
    return {
        "customLabel": True,
        "dataType": "number",
        "isBucketed": False,
        "label": label,
        "operationType": "unique_count",
        "params": {"emptyAsNull": True},
        "scale": "ratio",
        "sourceField": field,
    }


def _first(field: str, sort_field: str, label: str) -> dict[str, Any]:
    return {
        "customLabel": True,
        "dataType": "string",
        "isBucketed": False,
        "label": label,
        "operationType": "last_value",
        "params": {"sortField": sort_field, "showArrayValues": False},
        "scale": "ordinal",
        "sourceField": field,
    }


def lens(
    id_: str,
    title: str,
    description: str,
    view: str,
    vis_type: str,
    layer: str,
    columns: dict[str, dict[str, Any]],
    order: list[str],
    visualization: dict[str, Any],
    query: str = RELEVANT,
) -> dict[str, Any]:
    state = {
        "adHocDataViews": {},
        "datasourceStates": {
            "formBased": {
                "layers": {layer: {"columnOrder": order, "columns": columns, "incompleteColumns": {}, "sampling": 1}}
            }
        },
        "filters": [],
        "internalReferences": [],
        "query": {"language": "kuery", "query": query},
        "visualization": visualization,
    }
    return _obj(
        "lens",
        id_,
        {
            "description": description,
            "state": state,
            "title": title,
            "visualizationType": vis_type,
        },
        [{"id": view, "name": f"indexpattern-datasource-layer-{layer}", "type": "index-pattern"}],
    )


def visualisations() -> list[dict[str, Any]]:
    return [
        lens(
            "newsmon-lens-topic-volume",
            "Relevant articles per topic over time",
            "US–India articles per topic, by publication time.",
            ARTICLES_VIEW,
            "lnsXY",
            "volume",
            {
                "time": _date("published_at"),
                "topic": _terms("topics", len(TOPICS), "count", "Topic"),
                "count": _count(),
            },
            ["topic", "time", "count"],
            {
                "layers": [
                    {
                        "accessors": ["count"],
                        "layerId": "volume",
                        "layerType": "data",
                        "seriesType": "bar_stacked",
                        "splitAccessor": "topic",
                        "xAccessor": "time",
                    }
                ],
                "legend": {"isVisible": True, "position": "right"},
                "preferredSeriesType": "bar_stacked",
                "valueLabels": "hide",
            },
        ),
        lens(
            "newsmon-lens-topic-share",
            "Share of topics",
            "Relevant articles by topic.",
            ARTICLES_VIEW,
            "lnsPie",
            "share",
            {"topic": _terms("topics", len(TOPICS), "count", "Topic"), "count": _count()},
            ["topic", "count"],
            {
                "layers": [
                    {
                        "categoryDisplay": "default",
                        "layerId": "share",
                        "layerType": "data",
                        "legendDisplay": "default",
                        "metrics": ["count"],
                        "nestedLegend": False,
                        "numberDisplay": "percent",
                        "primaryGroups": ["topic"],
                    }
                ],
                "shape": "donut",
            },
        ),
        lens(
            "newsmon-lens-top-sources",
            "Top sources",
            "Outlets with the most relevant articles.",
            ARTICLES_VIEW,
            "lnsXY",
            "sources",
            {"source": _terms("source", 15, "count", "Source"), "count": _count()},
            ["source", "count"],
            {
                "layers": [
                    {
                        "accessors": ["count"],
                        "layerId": "sources",
                        "layerType": "data",
                        "seriesType": "bar_horizontal",
                        "xAccessor": "source",
                    }
                ],
                "legend": {"isVisible": False, "position": "right"},
                "preferredSeriesType": "bar_horizontal",
                "valueLabels": "show",
            },
        ),
        lens(
            "newsmon-lens-top-entities",
            "Top entities",
            "People, organisations and places most mentioned.",
            ARTICLES_VIEW,
            "lnsDatatable",
            "entities",
            {"entity": _terms("entities", 25, "count", "Entity"), "count": _count()},
            ["entity", "count"],
            {
                "columns": [
                    {"columnId": "entity", "isTransposed": False},
                    {"columnId": "count", "isTransposed": False},
                ],
                "layerId": "entities",
                "layerType": "data",
            },
        ),
        lens(
            "newsmon-lens-top-stories",
            "Top stories",
            "The largest stories in the period: articles grouped as one story (reprints, edited headlines, "
            "the same report under other URLs), with how many outlets ran it.",
            ARTICLES_VIEW,
            "lnsDatatable",
            "stories",
            {
                "story": _terms("story_id", 15, "count", "Story"),
                "headline": _first("title.keyword", "published_at", "Latest headline"),
                "count": _count(),
                "outlets": _unique("source", "Outlets"),
            },
            ["story", "headline", "count", "outlets"],
            {
                "columns": [
                    {"columnId": "story", "isTransposed": False, "hidden": True},
                    {"columnId": "headline", "isTransposed": False},
                    {"columnId": "count", "isTransposed": False},
                    {"columnId": "outlets", "isTransposed": False},
                ],
                "layerId": "stories",
                "layerType": "data",
                "sorting": {"columnId": "count", "direction": "desc"},
            },
        ),
        lens(
            "newsmon-lens-relevant-count",
            "Relevant articles",
            "US–India articles in the time range.",
            ARTICLES_VIEW,
            "lnsMetric",
            "total",
            {"count": _count("Relevant articles")},
            ["count"],
            {"layerId": "total", "layerType": "data", "metricAccessor": "count"},
        ),
        lens(
            "newsmon-lens-alerts-per-topic",
            "Spike alerts per topic",
            "Volume-spike alerts raised by newsmon, by topic.",
            ALERTS_VIEW,
            "lnsXY",
            "alerts",
            {
                "time": _date("@timestamp"),
                "topic": _terms("topic", len(TOPICS), "count", "Topic"),
                "count": _count("Alerts"),
            },
            ["topic", "time", "count"],
            {
                "layers": [
                    {
                        "accessors": ["count"],
                        "layerId": "alerts",
                        "layerType": "data",
                        "seriesType": "bar_stacked",
                        "splitAccessor": "topic",
                        "xAccessor": "time",
                    }
                ],
                "legend": {"isVisible": True, "position": "right"},
                "preferredSeriesType": "bar_stacked",
                "valueLabels": "hide",
            },
            query="",
        ),
    ]


# ------------------------------------------------------------------- dashboard
# (object id, type, x, y, w, h) on Kibana's 48-column grid.
LAYOUT: list[tuple[str, str, int, int, int, int]] = [
    ("newsmon-lens-relevant-count", "lens", 0, 0, 12, 8),
    ("newsmon-lens-topic-volume", "lens", 12, 0, 36, 15),
    ("newsmon-lens-topic-share", "lens", 0, 8, 12, 15),
    ("newsmon-lens-top-sources", "lens", 12, 15, 18, 15),
    ("newsmon-lens-top-entities", "lens", 30, 15, 18, 15),
    (COVERAGE_SEARCH, "search", 0, 30, 48, 18),
    ("newsmon-lens-alerts-per-topic", "lens", 0, 48, 18, 14),
    (ALERTS_SEARCH, "search", 18, 48, 30, 14),
    ("newsmon-lens-top-stories", "lens", 0, 62, 48, 15),
]


def dashboard() -> dict[str, Any]:
    panels, references = [], []
    for index, (object_id, type_, x, y, w, h) in enumerate(LAYOUT, start=1):
        panel = f"p{index}"
        panels.append(
            {
                "embeddableConfig": {"enhancements": {}},
                "gridData": {"h": h, "i": panel, "w": w, "x": x, "y": y},
                "panelIndex": panel,
                "panelRefName": f"panel_{panel}",
                "type": type_,
                "version": PANEL_VERSION,
            }
        )
        references.append({"id": object_id, "name": f"{panel}:panel_{panel}", "type": type_})
    return _obj(
        "dashboard",
        DASHBOARD,
        {
            "description": "US–India relations coverage: volume and share per topic, sources, entities, "
            "latest articles, spike alerts and top stories (newsmon).",
            "kibanaSavedObjectMeta": {
                "searchSourceJSON": _js({"filter": [], "query": {"language": "kuery", "query": ""}})
            },
            "optionsJSON": _js(
                {
                    "hidePanelTitles": False,
                    "syncColors": True,
                    "syncCursor": True,
                    "syncTooltips": False,
                    "useMargins": True,
                }
            ),
            "panelsJSON": _js(panels),
            "refreshInterval": {"pause": False, "value": 60000},
            "timeFrom": "now-7d",
            "timeRestore": True,
            "timeTo": "now",
            "title": "newsmon — US–India relations",
            "version": 1,
        },
        references,
    )


# ------------------------------------------------------------------- assembly
def build_objects() -> list[dict[str, Any]]:
    """Every saved object, dependencies first (data views, searches, visualisations, dashboard)."""
    objects = [
        data_view(
            ARTICLES_VIEW,
            "news-articles*",
            "newsmon articles",
            "published_at",
            # Render `url` as a clickable link in Discover and saved-search panels.
            {"url": {"id": "url", "params": {"labelTemplate": "{{value}}", "type": "a", "urlTemplate": "{{value}}"}}},
        ),
        data_view(ALERTS_VIEW, "news-alerts*", "newsmon spike alerts", "@timestamp"),
        saved_search(
            COVERAGE_SEARCH,
            "US–India coverage",
            "Every relevant article, newest first.",
            ARTICLES_VIEW,
            RELEVANT,
            ARTICLE_COLUMNS,
            "published_at",
        ),
    ]
    objects += [
        saved_search(
            topic_search_id(t),
            f"US–India coverage: {t}",
            f"Relevant articles tagged '{t}'.",
            ARTICLES_VIEW,
            f'{RELEVANT} and topics : "{t}"',
            ARTICLE_COLUMNS,
            "published_at",
        )
        for t in TOPICS
    ]
    objects.append(
        saved_search(
            ALERTS_SEARCH,
            "Recent spike alerts",
            "Topic volume spikes, newest first.",
            ALERTS_VIEW,
            "",
            ALERT_COLUMNS,
            "@timestamp",
        )
    )
    objects.append(data_view(FEEDS_VIEW, "news-feeds*", "newsmon feeds", "last_poll"))
    objects.append(
        saved_search(
            FEEDS_SEARCH,
            "Feed health: failing feeds",
            "Feeds whose last polls failed or that are gone (HTTP 410); remove the query to see every feed.",
            FEEDS_VIEW,
            "healthy : false",
            FEED_COLUMNS,
            "failures",
        )
    )
    objects += visualisations()
    objects.append(dashboard())
    return objects


def render(objects: list[dict[str, Any]]) -> str:
    """One JSON object per line, keys sorted: a stable, diff-friendly file."""
    return "".join(json.dumps(o, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n" for o in objects)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is out of date")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"write (or check) only this file (default: {OUTPUT.name} here and the package's copy)",
    )
    args = parser.parse_args(argv)
    text = render(build_objects())
    outputs = [args.output] if args.output else [OUTPUT, PACKAGED]
    if args.check:
        stale = [o for o in outputs if (o.read_text(encoding="utf-8") if o.exists() else "") != text]
        for output in stale:
            print(f"{output} is out of date — fix: python dashboards/kibana/build.py", file=sys.stderr)
        return 1 if stale else 0
    for output in outputs:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {len(text.splitlines())} saved objects to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
