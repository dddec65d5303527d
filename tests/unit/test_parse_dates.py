"""The fast path's dates equal feedparser's ``*_parsed`` values for every shape it accepts."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from feedparser.datetimes import _parse_date as feedparser_date  # the oracle

from pipeline.sources.fastdates import UnknownDate, parse_date

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Monday", "Thursday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "June", "Sept")
ZONES = (
    "GMT",
    "UT",
    "UTC",
    "Z",
    "+0000",
    "+0530",
    "-0400",
    "+05:45",
    "-09:30",
    "EST",
    "EDT",
    "PST",
    "PDT",
    "CST",
    "MDT",
    "gmt",
)
W3_ZONES = ("Z", "z", "+00:00", "+05:30", "-04:00", "+0500", "-0300", "")


def rfc822(rng: random.Random) -> str:
    day = f"{rng.choice(DAYS)}, " if rng.random() < 0.8 else ""
    seconds = f":{rng.randint(0, 59):02d}" if rng.random() < 0.9 else ""
    pad = "" if rng.random() < 0.5 else " "
    return (
        f"{pad}{day}{rng.randint(1, 28):02d} {rng.choice(MONTHS)} {rng.randint(1995, 2030)} "
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}{seconds} {rng.choice(ZONES)}{pad}"
    )


def w3dtf(rng: random.Random) -> str:
    date = f"{rng.randint(1995, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if rng.random() < 0.1:
        return date
    seconds = f":{rng.randint(0, 59):02d}" + (".123" if rng.random() < 0.2 else "") if rng.random() < 0.9 else ""
    return f"{date}{rng.choice('Tt ')}{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}{seconds}{rng.choice(W3_ZONES)}"


@pytest.mark.parametrize("make", [rfc822, w3dtf])
def test_generated_dates_match_feedparser(make: Callable[[random.Random], str]) -> None:
    rng = random.Random(9)
    for _ in range(3000):
        value = make(rng)
        assert parse_date(value) == feedparser_date(value), value


@pytest.mark.parametrize(
    "value",
    [
        "Tue, 14 Jun 2016 05:47:31 +0530",
        "Wed, 03 Jan 2018 00:25:00 GMT\n      ",
        "2016-06-13T19:50:59Z",
        "2014-09-23T00:59:26+00:00",
        "2026-02-17T11:51:49-0500",
        "Tue, 17 Feb 2026 05:00:10 EST",
        "2026-01-01",
    ],
)
def test_dates_from_the_news_corpus(value: str) -> None:
    assert parse_date(value) == feedparser_date(value)


def test_an_empty_date_is_none_as_for_feedparser() -> None:
    assert parse_date("  ") is None and feedparser_date("") is None


@pytest.mark.parametrize(
    "value",
    [
        "Friday, January 29, 2021 04:42 PM",  # news18
        "Fri, 29 Jan 2021 16:42:00 IST",  # feedparser reads unknown zone names as UTC
        "2026-01-09T10:00:00+0530",  # feedparser reads the minutes of +HHMM from the wrong digits
        "Fri, 29 Jan 21 16:42:00 GMT",  # two-digit year
        "Fri, 29 Jan 2021 16:42:00",  # no zone: feedparser's RFC 822 reader gives up, a later one guesses
        "Fri, 31 Feb 2021 16:42:00 GMT",  # no such day: feedparser tries its other readers
        "2021-02-30T00:00:00Z",
        "Jan 29 2021 16:42:00 GMT",
        "1611938520",
        "yesterday",
    ],
)
def test_other_shapes_are_left_to_feedparser(value: str) -> None:
    with pytest.raises(UnknownDate):
        parse_date(value)
