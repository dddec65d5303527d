"""Dates: every timestamp newsmon stores is UTC ISO-8601 with a ``Z`` suffix.

Feeds give dates in many shapes; feedparser already tries its registry of
formats and hands back a UTC ``struct_time``. This module turns that (or a
raw string feedparser could not read) into an aware ``datetime`` and rejects
values that cannot be right (far future, before the web).
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
MAX_FUTURE = timedelta(days=2)  # clocks and time zones drift; a week ahead is a bug


def to_iso(dt: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def unix_to_iso(unix_s: float) -> str:
    """Unix seconds as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds)."""
    return to_iso(datetime.fromtimestamp(unix_s, tz=UTC))


def iso_to_unix(value: object) -> float | None:
    """Unix seconds of an ISO-8601 value read back from the engine; None when absent or unreadable."""
    if not value:
        return None
    try:
        return from_iso(str(value)).timestamp()
    except ValueError:
        return None


def from_struct_time(value: time.struct_time) -> datetime:
    """feedparser's ``*_parsed`` values are UTC struct_times."""
    return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)


def parse_date(raw: str) -> datetime | None:
    """Parse RFC 822 or ISO-8601 dates feedparser left unparsed; None when unreadable."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        dt = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        try:
            dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def plausible(dt: datetime, now: datetime) -> bool:
    """True when ``dt`` could be a real publication time seen at ``now``."""
    return EARLIEST <= dt <= now + MAX_FUTURE


def utc_now() -> datetime:
    return datetime.now(tz=UTC)
