"""The one transient-failure policy of the engine layer: bounded retries with capped exponential backoff.

Used by the search writer (whole requests, per-item 429/5xx, waiting for the
engine at start-up) and by the Kibana import. Feed polling does not retry in a
loop: a failing feed is *rescheduled* (``pipeline.sources.schedule``), on
purpose — its backoff is a poll schedule measured in minutes to hours and
carried in the feed's state across restarts.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Delay before retry ``n`` (1-based): ``min(cap_s, base_s · 2ⁿ)``, of which the ``jitter`` fraction is
    random (full jitter at 1.0, none at 0.0), so clients that failed together do not retry together.

    Gives up after ``max_attempts`` attempts, or when the next sleep would end past ``wait_s`` seconds
    from the first attempt; ``None`` for both means retry until it works (the engine is back).
    """

    base_s: float = 0.5
    cap_s: float = 30.0
    jitter: float = 0.5
    max_attempts: int | None = None
    wait_s: float | None = None

    def with_wait(self, wait_s: float | None) -> Backoff:
        """The same policy with a time budget of ``wait_s`` seconds."""
        return replace(self, wait_s=wait_s)

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to sleep after failed attempt ``attempt``."""
        ceiling: float = min(self.cap_s, self.base_s * 2 ** min(attempt, 30))
        return ceiling * rng.uniform(1.0 - self.jitter, 1.0) if self.jitter else ceiling

    def exhausted(self, attempt: int, started: float, delay: float, now: float) -> bool:
        """Whether to give up after failed attempt ``attempt`` instead of sleeping ``delay``."""
        if self.max_attempts is not None and attempt >= self.max_attempts:
            return True
        return self.wait_s is not None and now + delay > started + self.wait_s


def retry_call(
    fn: Callable[[], T],
    policy: Backoff,
    retryable: Callable[[Exception], bool],
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    clock: Callable[[], float] = time.monotonic,
    on_retry: Callable[[int, Exception, float], None] | None = None,
) -> T:
    """``fn()``, called again after a backoff while it raises an exception ``retryable`` accepts; the last
    such exception is raised once ``policy`` gives up, any other one at once. ``on_retry(attempt, exc,
    delay)`` is told before each sleep (to log it)."""
    rng = rng or random.Random()
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except Exception as exc:
            if not retryable(exc):
                raise
            delay = policy.delay(attempt, rng)
            if policy.exhausted(attempt, started, delay, clock()):
                raise
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)


def retry_items(
    pending: list[T],
    send: Callable[[list[T]], list[T]],
    policy: Backoff,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> tuple[int, list[T]]:
    """Per-item retries: ``send(batch)`` does one round and returns the items to send again (answered 429/5xx);
    only those are retried, after a backoff, until none are left or ``policy.max_attempts`` rounds were made.
    Returns (rounds, items still refused)."""
    rng = rng or random.Random()
    rounds = 0
    while pending:
        rounds += 1
        retry = send(pending)
        if retry and policy.max_attempts is not None and rounds >= policy.max_attempts:
            return rounds, retry
        if retry:
            sleep(policy.delay(rounds, rng))
        pending = retry
    return rounds, []
