"""HostLimiter: per-host caps and gaps, on a fake clock."""

from __future__ import annotations

import pytest

from pipeline.sources.hosts import HostLimiter, host_of


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_at_most_per_host_requests_at_once_and_other_hosts_are_independent() -> None:
    limiter = HostLimiter(per_host=2, gap_s=0, clock=Clock())
    assert limiter.try_acquire("a") and limiter.try_acquire("a")
    assert not limiter.try_acquire("a")
    assert limiter.try_acquire("b")
    limiter.release("a")
    assert limiter.try_acquire("a")
    assert limiter.active("a") == 2


def test_a_minimum_gap_between_two_starts_to_one_host() -> None:
    clock = Clock()
    limiter = HostLimiter(per_host=5, gap_s=0.5, clock=clock)
    assert limiter.try_acquire("a")
    clock.now = 0.4
    assert not limiter.try_acquire("a")
    clock.now = 0.5
    assert limiter.try_acquire("a")


def test_host_key_ignores_port_and_case() -> None:
    assert host_of("https://News.Example.org:8443/rss") == host_of("http://news.example.org/feed") == "news.example.org"
    with pytest.raises(ValueError):
        HostLimiter(per_host=0)
