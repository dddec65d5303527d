"""``newsmon status``: one screen for the running service.

What it shows: the engine (reachable, engine and version, cluster health,
document counts of the article, alert, feed and dead-letter indices), the
job's ``/healthz`` and ``/readyz`` on its metrics port, feeds healthy and
failing (:mod:`pipeline.app.feedhealth`), relevant articles indexed in the last
hour per topic, and the last alerts.

Pure functions build the query bodies, fold the answers into one report
(a plain dict, which ``--json`` prints) and render it. :func:`probe_endpoint`
and :func:`gather` are the edges: HTTP to the job, queries through a
connected ``SearchWriter``. An unreachable job or engine is reported, never raised.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pipeline.app.feedhealth import feed_rows
from pipeline.core.dates import unix_to_iso
from pipeline.core.errors import SearchError
from pipeline.core.topics import TOPICS

if TYPE_CHECKING:
    from pipeline.sinks.search import SearchWriter

RECENT_ALERTS = 5
FAILING_SHOWN = 5
HOUR_S = 3600


def last_hour_query(now: float) -> dict[str, Any]:
    """Relevant articles the engine received (``ingested_at``) in the hour before ``now``, per topic."""
    return {
        "size": 0,
        "track_total_hits": True,
        "query": {
            "bool": {
                "filter": [{"term": {"relevant": True}}, {"range": {"ingested_at": {"gte": unix_to_iso(now - HOUR_S)}}}]
            }
        },
        "aggs": {"topics": {"filters": {"filters": {t: {"term": {"topics": t}} for t in TOPICS}}}},
    }


def last_hour_from_response(response: dict[str, Any]) -> dict[str, Any]:
    total = (response.get("hits") or {}).get("total") or {}
    buckets = ((response.get("aggregations") or {}).get("topics") or {}).get("buckets") or {}
    return {
        "total": int(total.get("value", 0)) if isinstance(total, dict) else int(total or 0),
        "topics": {t: int((buckets.get(t) or {}).get("doc_count", 0)) for t in TOPICS},
    }


def recent_alerts_query(size: int = RECENT_ALERTS) -> dict[str, Any]:
    return {
        "size": size,
        "sort": [{"@timestamp": "desc"}],
        "_source": ["alert_id", "topic", "window_start", "window_end", "count", "baseline", "ratio", "severity"],
    }


def counts_query() -> dict[str, Any]:
    """Documents per index of a pattern (a search, so the writer role's ``read`` suffices: no ``_stats``)."""
    return {"size": 0, "track_total_hits": True, "aggs": {"indices": {"terms": {"field": "_index", "size": 1000}}}}


def doc_counts(response: dict[str, Any]) -> dict[str, int]:
    """Indices holding documents and the documents in them, from a :func:`counts_query` answer."""
    total = (response.get("hits") or {}).get("total") or {}
    buckets = ((response.get("aggregations") or {}).get("indices") or {}).get("buckets") or []
    return {"indices": len(buckets), "docs": int(total.get("value", 0)) if isinstance(total, dict) else int(total)}


def feeds_summary(docs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts per feed status and the first failing or gone feeds with their last error."""
    rows = feed_rows(docs)
    counts = {s: 0 for s in ("ok", "failing", "gone", "new")}
    for row in rows:
        counts[row["status"]] += 1
    failing = [
        {
            "name": r["name"],
            "feed_url": r["feed_url"],
            "status": r["status"],
            "failures": r["failures"],
            "last_error": r["last_error"] or r["last_outcome"],
        }
        for r in rows
        if r["status"] in ("failing", "gone")
    ][:FAILING_SHOWN]
    return {"total": len(rows), **counts, "failing_feeds": failing}


def endpoint_result(url: str, status: int | None, body: str | None, error: str | None = None) -> dict[str, Any]:
    """One job endpoint: reachable or not, its HTTP status, ok (2xx) and its JSON answer."""
    parsed: Any = None
    if body:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = body[:200]
    return {
        "url": url,
        "reachable": status is not None,
        "status": status,
        "ok": status is not None and 200 <= status < 300,
        "body": parsed,
        "error": error,
    }


def exit_code(report: dict[str, Any]) -> int:
    """0 all well; 1 the job is unreachable, unhealthy or not ready; 3 the engine is unreachable or refuses us."""
    if not report["engine"]["reachable"]:
        return 3
    job = report["job"]
    return 0 if job["healthz"]["ok"] and job["readyz"]["ok"] else 1


def _job_line(job: dict[str, Any]) -> str:
    health, ready = job["healthz"], job["readyz"]
    if not health["reachable"] and not ready["reachable"] and health["error"] == ready["error"]:
        return f"{job['metrics_url']}: UNREACHABLE ({health['error']})"
    parts = []
    for name in ("healthz", "readyz"):
        r = job[name]
        if not r["reachable"]:
            parts.append(f"{name} unreachable ({r['error']})")
            continue
        body = r["body"] if isinstance(r["body"], dict) else {}
        detail = body.get("job") or body.get("reason") or ("ready" if body.get("ready") else "")
        if body.get("stalled"):
            detail = f"{detail}, stalled: {body['stalled']}"
        parts.append(f"{name} {r['status']} {'ok' if r['ok'] else 'FAILING'}" + (f" ({detail})" if detail else ""))
    return f"{job['metrics_url']}: " + "; ".join(parts)


def _clock(iso: str) -> str:
    """``HH:MM`` of an ISO time, ``HH:MM:SS`` when the seconds are not zero (short demo windows)."""
    hms = iso[11:19]
    return hms[:5] if hms.endswith(":00") else hms


def render(report: dict[str, Any]) -> str:
    """The status screen as plain text (no colours)."""
    lines = [f"newsmon status at {report['at'][:16].replace('T', ' ')} UTC"]
    engine = report["engine"]
    if not engine["reachable"]:
        what = "REFUSED US" if engine.get("refused") else "UNREACHABLE"
        lines.append(f"engine     {what} at {engine['url']}: {engine['error']}")
    else:
        lines.append(
            f"engine     {engine['engine']} {engine['version']} at {engine['url']}, cluster "
            f"{engine.get('cluster') or 'unknown'}"
        )
        c = engine["counts"]
        lines.append(
            f"           articles {c['articles']['docs']} in {c['articles']['indices']} index(es) "
            f"({engine['index']}-*), alerts {c['alerts']['docs']}, feeds {c['feeds']['docs']}, "
            f"dead letters {c['deadletters']['docs']}"
        )
    lines.append(f"job        {_job_line(report['job'])}")
    feeds = report.get("feeds")
    if feeds is not None:
        lines.append(
            f"feeds      {feeds['total']}: {feeds['ok']} ok, {feeds['failing']} failing, "
            f"{feeds['gone']} gone, {feeds['new']} new"
        )
        for f in feeds["failing_feeds"]:
            name = f["name"] if f["name"] and f["name"] != f["feed_url"] else ""
            lines.append(
                f"           {f['status']} x{f['failures']}  {name} <{f['feed_url']}>  "
                f"{str(f['last_error'] or '')[:100]}".rstrip()
            )
    hour = report.get("last_hour")
    if hour is not None:
        per = ", ".join(f"{t} {n}" for t, n in hour["topics"].items())
        lines.append(f"last hour  {hour['total']} relevant article(s) indexed: {per}")
    alerts = report.get("alerts")
    if alerts is not None:
        if not alerts:
            lines.append("alerts     none yet")
        for i, a in enumerate(alerts):
            start, end = str(a.get("window_start") or ""), str(a.get("window_end") or "")
            window = f"{start[:10]} {_clock(start)}–{_clock(end)}"
            lines.append(
                f"{'alerts' if i == 0 else '':<10} {window}  {a.get('topic')}: {a.get('count')} "
                f"articles, baseline {a.get('baseline')}, ratio {a.get('ratio')}"
            )
    return "\n".join(lines)


# ------------------------------------------------------------------ edges
def probe_endpoint(url: str, timeout_s: float = 3.0) -> dict[str, Any]:
    """GET ``url``; a 503 is an answer (with its body), a refused connection or timeout is reported."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:  # the operator's own metrics port
            return endpoint_result(url, int(resp.status), resp.read(65536).decode("utf-8", "replace"))
    except urllib.error.HTTPError as exc:
        return endpoint_result(url, int(exc.code), exc.read(65536).decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return endpoint_result(url, None, None, f"{type(reason).__name__}: {reason}")


def job_status(metrics_url: str) -> dict[str, Any]:
    base = metrics_url.rstrip("/")
    return {
        "metrics_url": base,
        "healthz": probe_endpoint(f"{base}/healthz"),
        "readyz": probe_endpoint(f"{base}/readyz"),
    }


def _counts(writer: SearchWriter, pattern: str) -> dict[str, int]:
    try:
        return doc_counts(writer.client.request("POST", f"/{pattern}/_search", counts_query()))
    except SearchError as exc:
        if "index_not_found" in str(exc) or "404" in str(exc):  # a concrete index not made yet
            return {"indices": 0, "docs": 0}
        raise


def gather(
    writer: SearchWriter,
    *,
    prefix: str,
    alerts_index: str,
    feeds_index: str,
    deadletter_index: str,
    engine: str,
    version: str,
    now: float,
) -> dict[str, Any]:
    """The engine parts of the report, read through a connected writer."""
    from pipeline.sinks.document import read_pattern
    from pipeline.sinks.feedstate import FeedStateStore

    try:
        cluster = writer.client.request("GET", "/_cluster/health").get("status")
    except SearchError:  # a user without cluster privileges still gets the rest
        cluster = None
    counts = {
        "articles": _counts(writer, read_pattern(prefix)),
        "alerts": _counts(writer, alerts_index),
        "feeds": _counts(writer, feeds_index),
        "deadletters": _counts(writer, deadletter_index),
    }
    hour = writer.client.request("POST", f"/{read_pattern(prefix)}/_search", last_hour_query(now))
    return {
        "engine": {
            "reachable": True,
            "url": writer.settings.url,
            "engine": engine,
            "version": version,
            "cluster": cluster,
            "index": prefix,
            "counts": counts,
        },
        "feeds": feeds_summary(FeedStateStore(writer, feeds_index).all()),
        "last_hour": last_hour_from_response(hour),
        "alerts": writer.search_docs(alerts_index, recent_alerts_query()),
    }
