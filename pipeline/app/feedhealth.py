"""``newsmon feeds``: per-feed health from the feed state documents, as a table or JSON.

Pure functions over the documents of :mod:`pipeline.sinks.feedstate`; the CLI
reads them from the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pipeline.core.dates import iso_to_unix


def status_of(doc: dict[str, Any]) -> str:
    """``ok``, ``failing`` (consecutive failed polls), ``gone`` (HTTP 410) or ``new`` (never polled)."""
    if doc.get("gone"):
        return "gone"
    if int(doc.get("failures") or 0) > 0:
        return "failing"
    return "ok" if doc.get("last_poll") else "new"


def feed_rows(docs: Sequence[dict[str, Any]], *, failing_only: bool = False) -> list[dict[str, Any]]:
    """One row per feed, failing and gone feeds first, then by name."""
    rows = []
    for doc in docs:
        status = status_of(doc)
        if failing_only and status not in ("failing", "gone"):
            continue
        rows.append(
            {
                "feed_url": doc.get("feed_url"),
                "name": doc.get("name"),
                "status": status,
                "last_outcome": doc.get("last_outcome"),
                "failures": int(doc.get("failures") or 0),
                "last_poll": doc.get("last_poll"),
                "last_success": doc.get("last_success"),
                "next_due": doc.get("next_due"),
                "items_seen": doc.get("items_seen"),
                "fetch_url": doc.get("fetch_url") if doc.get("fetch_url") != doc.get("feed_url") else None,
                "last_error": doc.get("last_error"),
            }
        )
    order = {"gone": 0, "failing": 1, "new": 2, "ok": 3}
    return sorted(rows, key=lambda r: (order[r["status"]], -r["failures"], str(r["name"] or r["feed_url"])))


def _ago(value: Any, now: float) -> str:
    ts = iso_to_unix(value)
    if ts is None:
        return "-"
    delta = now - ts
    future = delta < 0
    delta = abs(delta)
    text = f"{delta:.0f}s" if delta < 120 else f"{delta / 60:.0f}m" if delta < 7200 else f"{delta / 3600:.1f}h"
    return f"in {text}" if future else f"{text} ago"


def render(rows: Sequence[dict[str, Any]], now: float | None = None) -> str:
    """A fixed-width table for the terminal, with a summary line."""
    now = now if now is not None else datetime.now(tz=UTC).timestamp()
    if not rows:
        return "no feeds to show (none polled yet, or none failing)"
    header = ("STATUS", "FAILS", "LAST POLL", "LAST OK", "NEXT", "ITEMS", "FEED", "LAST ERROR")
    lines = [header]
    for r in rows:
        name = str(r["name"] or "")
        feed = f"{name} <{r['feed_url']}>" if name and name != r["feed_url"] else str(r["feed_url"])
        if r["fetch_url"]:
            feed += f" (moved to {r['fetch_url']})"
        error = "" if r["status"] == "ok" else (r["last_error"] or r["last_outcome"] or "")
        lines.append(
            (
                r["status"],
                str(r["failures"]),
                _ago(r["last_poll"], now),
                _ago(r["last_success"], now),
                _ago(r["next_due"], now),
                str(r["items_seen"] if r["items_seen"] is not None else "-"),
                feed,
                str(error)[:120],
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 2)]
    out = [
        "  ".join(c.ljust(w) for c, w in zip(line[:-2], widths, strict=True))
        + "  "
        + line[-2]
        + (f"  {line[-1]}" if line[-1] else "")
        for line in lines
    ]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    out.append("")
    out.append(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return "\n".join(out)
