"""Feed dates for the fast parse path: the formats real feeds use, read exactly as feedparser reads them.

feedparser tries a registry of date handlers (W3DTF first, then RFC 822 and
rarer ones) and each has its leniencies and quirks. :func:`parse_date`
accepts only the common shapes whose result is known to equal feedparser's
``*_parsed`` value, and raises :class:`UnknownDate` for anything else so
that the caller can let feedparser decide:

- RFC 822: ``[Day,] DD Mon YYYY HH:MM[:SS] ZONE`` with ZONE one of
  ``GMT``/``UT``/``UTC``/``Z``, ``±HHMM``, ``±HH:MM`` or a North American
  zone name (EST, EDT, CST, CDT, MST, MDT, PST, PDT).
- W3DTF: ``YYYY-MM-DD`` optionally followed by ``T`` or a space,
  ``HH:MM[:SS[.fff]]`` and ``Z``/``±HH:MM``/``±HH00`` (feedparser reads the
  minutes of ``±HHMM`` from the wrong place, so only ``00`` is accepted).
  Fractions of a second are dropped, as feedparser drops them.

Results are UTC ``time.struct_time`` values, like feedparser's.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

__all__ = ["UnknownDate", "parse_date"]


class UnknownDate(ValueError):
    """The string is not in a shape whose feedparser reading this module reproduces."""


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
_ZONES = {
    "gmt": 0,
    "ut": 0,
    "utc": 0,
    "z": 0,
    "edt": -4,
    "est": -5,
    "cdt": -5,
    "cst": -6,
    "mdt": -6,
    "mst": -7,
    "pdt": -7,
    "pst": -8,
}
_RFC822 = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"
    r"(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+(\d{4})\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s+"
    r"([a-z]+|[+-]\d{4}|[+-]\d{2}:\d{2})"
)
_W3DTF = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(z|[+-]\d{2}:\d{2}|[+-]\d{2}00)?)?"
)


def parse_date(value: str) -> time.struct_time | None:
    """``value`` as feedparser's ``*_parsed`` would have it: None for an empty string.

    Raises :class:`UnknownDate` when the string is in any other shape.
    """
    text = value.strip().lower()
    if not text:
        return None
    match = _W3DTF.fullmatch(text)
    if match:
        year, month, day, hour, minute, second, zone = match.groups()
        return _utc(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            _offset_minutes(zone or "z"),
        )
    match = _RFC822.fullmatch(text)
    if match:
        day, month, year, hour, minute, second, zone = match.groups()
        return _utc(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second or 0), _offset_minutes(zone)
        )
    raise UnknownDate(value[:80])


def _offset_minutes(zone: str) -> int:
    if zone[0] in "+-":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        return sign * (int(digits[:2]) * 60 + int(digits[2:]))
    if zone not in _ZONES:
        raise UnknownDate(zone)  # feedparser reads unknown zone names as UTC, which is rarely right
    return _ZONES[zone] * 60


def _utc(year: int, month: int, day: int, hour: int, minute: int, second: int, offset: int) -> time.struct_time:
    try:
        stamp = datetime(year, month, day, hour, minute, second) - timedelta(minutes=offset)
        return stamp.utctimetuple()
    except (ValueError, OverflowError) as exc:  # feedparser then tries its other handlers
        raise UnknownDate(str(exc)) from exc
