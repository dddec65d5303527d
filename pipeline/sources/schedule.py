"""When to poll a feed next: interval, capped exponential backoff with jitter, Retry-After.

Pure functions over :class:`PollState`; the Beam adapter keeps one state per
feed in runner-managed state.
"""

from __future__ import annotations

import hashlib
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.model import Feed, FetchResult

MAX_BACKOFF_S = 6 * 3600.0
JITTER = 0.1  # ±10%: spreads feeds that failed together so they don't retry together
ERROR_OUTCOMES = frozenset({"http_error", "timeout", "connection_error", "rate_limited", "too_large"})


@dataclass(frozen=True)
class PollState:
    etag: str | None = None
    last_modified: str | None = None
    next_due: float = 0.0  # unix seconds; 0 = poll now
    failures: int = 0  # consecutive failed polls
    body_hash: str | None = None  # digest of the last parsed body: unchanged bodies are not re-parsed


def is_due(state: PollState, now: float) -> bool:
    return now >= state.next_due


def body_digest(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def after_poll(
    state: PollState, result: FetchResult, interval_s: float, now: float, rng: random.Random | None = None
) -> PollState:
    """State after ``result``: validators kept, next due time with backoff on failure."""
    rng = rng or random.Random()
    if result.outcome in ERROR_OUTCOMES:
        failures = state.failures + 1
        delay = min(interval_s * (2 ** min(failures, 16)), MAX_BACKOFF_S)
        if result.retry_after_s is not None:
            delay = max(delay, min(result.retry_after_s, MAX_BACKOFF_S))
        delay *= 1 + rng.uniform(-JITTER, JITTER)
        return replace(state, failures=failures, next_due=now + delay)
    return replace(
        state,
        etag=result.etag or state.etag,
        last_modified=result.last_modified or state.last_modified,
        failures=0,
        next_due=now + interval_s,
    )


def settle_poll(
    state: PollState, result: FetchResult, interval_s: float, now: float, rng: random.Random | None = None
) -> tuple[PollState, str, bool]:
    """(new state, outcome to count, whether to parse the body) after one fetch.

    A 200 whose body hashes like the last parsed one is ``unchanged`` and not
    parsed again, so servers without validators cost no parse either. An ``ok``
    result is counted once it is parsed (as ``ok`` or a parse failure).
    """
    new_state = after_poll(state, result, interval_s, now, rng)
    if result.outcome == "ok" and result.body is not None:
        digest = body_digest(result.body)
        if digest == state.body_hash:
            return new_state, "unchanged", False
        return replace(new_state, body_hash=digest), "ok", True
    return new_state, result.outcome, False


def shard_of(url: str, shards: int) -> int:
    """Stable shard of a feed URL (the same in every process, unlike ``hash``)."""
    return zlib.crc32(url.encode("utf-8")) % shards


def plan_shards(feeds: Sequence[Feed], shards: int) -> list[tuple[str, tuple[Feed, ...]]]:
    """Feeds grouped into ``shards`` keyed groups: the unit of state and of concurrent fetching."""
    groups: dict[int, list[Feed]] = {}
    for feed in feeds:
        groups.setdefault(shard_of(feed.url, shards), []).append(feed)
    return [(f"shard-{i:04d}", tuple(group)) for i, group in sorted(groups.items())]
