from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.core import dates


def test_to_iso_converts_to_utc() -> None:
    ist = datetime(2025, 2, 13, 21, 0, tzinfo=UTC) + timedelta()
    assert dates.to_iso(ist) == "2025-02-13T21:00:00Z"
    from zoneinfo import ZoneInfo

    local = datetime(2025, 2, 14, 2, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert dates.to_iso(local) == "2025-02-13T21:00:00Z"


def test_from_struct_time_is_utc() -> None:
    st = time.strptime("2024-03-05 10:11:12", "%Y-%m-%d %H:%M:%S")
    assert dates.from_struct_time(st) == datetime(2024, 3, 5, 10, 11, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 05 Mar 2024 10:11:12 GMT", "2024-03-05T10:11:12Z"),
        ("Tue, 05 Mar 2024 15:41:12 +0530", "2024-03-05T10:11:12Z"),
        ("2024-03-05T10:11:12Z", "2024-03-05T10:11:12Z"),
        ("2024-03-05T12:11:12+02:00", "2024-03-05T10:11:12Z"),
        ("2024-03-05", "2024-03-05T00:00:00Z"),
    ],
)
def test_parse_date(raw: str, expected: str) -> None:
    parsed = dates.parse_date(raw)
    assert parsed is not None
    assert dates.to_iso(parsed) == expected


@pytest.mark.parametrize("raw", ["", "yesterday", "32/13/2024", "Mon, 99 Foo 2024"])
def test_parse_date_rejects_garbage(raw: str) -> None:
    assert dates.parse_date(raw) is None


def test_plausible_rejects_far_future_and_prehistory() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert dates.plausible(now - timedelta(days=3000), now)
    assert dates.plausible(now + timedelta(hours=12), now)
    assert not dates.plausible(now + timedelta(days=30), now)
    assert not dates.plausible(datetime(1970, 1, 1, tzinfo=UTC), now)
