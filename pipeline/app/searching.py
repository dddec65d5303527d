"""``newsmon search``: the query sent to the engine and the terminal rendering of its answer.

Pure functions; the CLI sends the query through the sink's client. The same
query body works on Elasticsearch and OpenSearch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pipeline.core.dates import to_iso, utc_now
from pipeline.core.errors import ConfigError
from pipeline.core.topics import TOPICS

TEXT_FIELDS = ("title^3", "summary^2", "body", "entities.text", "source.text")
_RELATIVE = re.compile(r"^(\d+)([mhdw])$")
_UNIT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
STORY_OUTLETS_SHOWN = 50  # articles of a story read back to name its outlets


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    topics: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    size: int = 10
    only_relevant: bool = True
    stories: bool = False  # one hit per story (field collapsing on story_id), with its outlets


def parse_when(value: str, now: datetime | None = None) -> str:
    """``2026-01-31``, ``2026-01-31T12:00:00Z`` or relative ``30m``/``24h``/``7d``/``2w`` (ago) → ISO UTC."""
    now = now or utc_now()
    m = _RELATIVE.match(value.strip())
    if m:
        return to_iso(now - timedelta(**{_UNIT[m.group(2)]: int(m.group(1))}))
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{value!r} is not a date — fix: use 2026-01-31, 2026-01-31T12:00:00Z or 7d/24h") from None
    return to_iso(dt if dt.tzinfo else dt.replace(tzinfo=now.tzinfo))


def build_query(req: SearchRequest) -> dict[str, Any]:
    unknown = set(req.topics) - set(TOPICS)
    if unknown:
        raise ConfigError(f"--topic {sorted(unknown)}: not a topic — fix: use one of {', '.join(TOPICS)}")
    filters: list[dict[str, Any]] = []
    if req.only_relevant:
        filters.append({"term": {"relevant": True}})
    if req.topics:
        filters.append({"terms": {"topics": list(req.topics)}})
    if req.sources:
        filters.append({"terms": {"source": list(req.sources)}})
    if req.languages:
        filters.append({"terms": {"language": list(req.languages)}})
    if req.since or req.until:
        rng: dict[str, str] = {}
        if req.since:
            rng["gte"] = req.since
        if req.until:
            rng["lte"] = req.until
        filters.append({"range": {"published_at": rng}})
    must: dict[str, Any] = (
        {"simple_query_string": {"query": req.text, "fields": list(TEXT_FIELDS), "default_operator": "and"}}
        if req.text.strip()
        else {"match_all": {}}
    )
    body: dict[str, Any] = {
        "size": req.size,
        "query": {"bool": {"must": must, "filter": filters}},
        "sort": ["_score", {"published_at": "desc"}] if req.text.strip() else [{"published_at": "desc"}],
        "_source": ["article_id", "title", "url", "source", "published_at", "topics", "language", "summary"],
        "highlight": {
            "pre_tags": ["<<"],
            "post_tags": [">>"],
            "fragment_size": 160,
            "number_of_fragments": 1,
            "fields": {"title": {"number_of_fragments": 0}, "summary": {}, "body": {}},
        },
        "aggs": {
            "topics": {"terms": {"field": "topics", "size": len(TOPICS)}},
            "sources": {"terms": {"field": "source", "size": 10}},
        },
        "track_total_hits": True,
    }
    if req.stories:
        body["collapse"] = {
            "field": "story_id",
            "inner_hits": {
                "name": "story",
                "size": STORY_OUTLETS_SHOWN,
                "_source": ["source", "url", "article_id"],
                "sort": [{"published_at": "asc"}],
            },
        }
        body["aggs"]["stories"] = {"cardinality": {"field": "story_id"}}
        body["_source"] = [*body["_source"], "story_id"]
    return body


def summarise(response: dict[str, Any]) -> dict[str, Any]:
    """The parts of an engine answer that `--json` prints: hits with snippets, totals, facets."""
    hits = []
    for h in response.get("hits", {}).get("hits", []):
        src, hl = h.get("_source", {}), h.get("highlight", {})
        snippet = (hl.get("summary") or hl.get("body") or [src.get("summary", "")[:160]])[0]
        hit = {
            "article_id": src.get("article_id"),
            "title": (hl.get("title") or [src.get("title")])[0],
            "url": src.get("url"),
            "source": src.get("source"),
            "published_at": src.get("published_at"),
            "topics": src.get("topics", []),
            "snippet": snippet,
            "score": h.get("_score"),
        }
        story = (h.get("inner_hits") or {}).get("story")
        if story is not None:
            members = story.get("hits", {})
            outlets = list(dict.fromkeys(m.get("_source", {}).get("source") or "" for m in members.get("hits", [])))
            total_members = members.get("total", {})
            hit |= {
                "story_id": src.get("story_id"),
                "outlets": outlets,
                "articles": total_members.get("value", 0)
                if isinstance(total_members, dict)
                else int(total_members or 0),
            }
        hits.append(hit)
    total = response.get("hits", {}).get("total", {})
    aggs = response.get("aggregations", {})
    out = {
        "total": total.get("value", 0) if isinstance(total, dict) else int(total or 0),
        "hits": hits,
        "topics": {b["key"]: b["doc_count"] for b in aggs.get("topics", {}).get("buckets", [])},
        "sources": {b["key"]: b["doc_count"] for b in aggs.get("sources", {}).get("buckets", [])},
    }
    if "stories" in aggs:
        out["stories"] = int(aggs["stories"].get("value", 0))
    return out


def render(summary: dict[str, Any], bold: bool = False) -> str:
    """Plain-text (optionally ANSI-bold) listing: one block per hit, then the facets."""
    on, off = ("\033[1m", "\033[0m") if bold else ("", "")

    def mark(text: str) -> str:
        return str(text or "").replace("<<", on or "[").replace(">>", off or "]")

    head = f"{summary['total']} matching article(s)"
    if "stories" in summary:
        head += f" in {summary['stories']} stor{'y' if summary['stories'] == 1 else 'ies'}"
    lines = [head]
    for i, h in enumerate(summary["hits"], 1):
        when = (h["published_at"] or "")[:16].replace("T", " ")
        lines += [f"{i:>3}. {mark(h['title'])}", f"     {when}  {h['source']}  [{', '.join(h['topics'])}]"]
        others = [o for o in h.get("outlets", []) if o != h["source"]]
        if others:
            lines.append(
                f"     +{len(others)} outlet{'s' if len(others) > 1 else ''}: {', '.join(others)}"
                f"  ({h['articles']} articles in the story)"
            )
        lines += [f"     {mark(h['snippet'])}", f"     {h['url']}"]
    if summary["topics"]:
        lines.append("topics: " + ", ".join(f"{k} {v}" for k, v in summary["topics"].items()))
    if summary["sources"]:
        lines.append("sources: " + ", ".join(f"{k} {v}" for k, v in summary["sources"].items()))
    return "\n".join(lines)


def request_from_args(
    text: Sequence[str],
    topics: Sequence[str] | None,
    sources: Sequence[str] | None,
    languages: Sequence[str] | None,
    since: str | None,
    until: str | None,
    size: int,
    include_irrelevant: bool,
    stories: bool = False,
) -> SearchRequest:
    if size < 1 or size > 1000:
        raise ConfigError(f"--size {size}: fix: use 1..1000")
    return SearchRequest(
        text=" ".join(text),
        topics=tuple(topics or ()),
        sources=tuple(sources or ()),
        languages=tuple(languages or ()),
        since=parse_when(since) if since else None,
        until=parse_when(until) if until else None,
        size=size,
        only_relevant=not include_irrelevant,
        stories=stories,
    )
