"""When to poll a feed next, and what to remember about it: pure functions over :class:`PollState`.

The rules, in the order they apply after a poll:

* **Failures** back off exponentially from the feed's interval (×2 per
  consecutive failure, ±10% jitter) up to ``MAX_BACKOFF_S``; a ``Retry-After``
  (429, 503) lengthens that wait. A failing feed is never dropped (Media
  Cloud's "undead feeds"): it is tried again at the cap, for ever. This is a
  schedule kept in the feed's state (and across restarts), not a retry loop,
  so it does not use the engine layer's ``pipeline.sinks.retry`` on purpose.
* **410 Gone** stops regular polling: the feed is asked again once a day
  (``GONE_RECHECK_S``), in case it comes back, and reported as gone.
* **Adaptive interval** (Media Cloud's rule, on "did the feed change" rather
  than on entry counts, which the poller does not see): a feed that changes is
  polled at its configured interval; once it has not changed for
  ``QUIET_POLLS`` polls in a row, each further unchanged poll stretches the
  interval by ``1/QUIET_POLLS`` of itself, up to ``max_stretch`` times the
  configured one. At the default 5 minutes a feed quiet for an hour stays at 5
  minutes, one quiet for two hours is polled every 10, and never less often
  than every 20. The first change resets it. Chosen over Miniflux's
  entries-per-day rule because it needs no parse and reacts at once.
* **Server hints** are a floor on the interval, never below the configured
  one: ``Cache-Control: max-age`` / ``Expires`` and RSS ``<ttl>`` (minutes),
  capped at ``MAX_SERVER_FLOOR_S`` so a misconfigured server cannot silence a
  feed for days.
* **Validators** (ETag, Last-Modified) are stored only from an answer whose body
  changed; a 200 with the same body (by hash) is ``unchanged`` and not parsed.
* **301/308**: a feed moved permanently is fetched from its new URL from then
  on (kept in ``url``; the configured URL stays the feed's identity).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.core.model import Feed, FetchResult

MAX_BACKOFF_S = 6 * 3600.0
GONE_RECHECK_S = 24 * 3600.0
MAX_SERVER_FLOOR_S = 3600.0
QUIET_POLLS = 12
DEFAULT_MAX_STRETCH = 4.0
DEFAULT_TICK_S = 5.0  # seconds between two checks for due feeds (the poller's tick)
JITTER = 0.1  # ±10%: spreads feeds that failed together so they don't retry together
ERROR_OUTCOMES = frozenset(
    {"http_error", "timeout", "connection_error", "rate_limited", "too_large", "refused", "gone"}
)
_TTL = re.compile(rb"<(?:\w+:)?ttl>\s*(\d{1,6})\s*</(?:\w+:)?ttl>", re.IGNORECASE)


@dataclass(frozen=True)
class PollState:
    etag: str | None = None
    last_modified: str | None = None
    next_due: float = 0.0  # unix seconds; 0 = poll now
    failures: int = 0  # consecutive failed polls
    body_hash: str | None = None  # digest of the last parsed body: unchanged bodies are not re-parsed
    url: str | None = None  # where the feed moved permanently (301/308), if it did
    gone: bool = False  # the server said 410 Gone
    unchanged_polls: int = 0  # consecutive polls that found nothing new
    floor_s: float | None = None  # the server's own minimum interval (cache lifetime, <ttl>)
    last_poll: float = 0.0  # unix seconds of the last poll, whatever its outcome
    last_success: float = 0.0  # unix seconds of the last poll that reached the feed
    last_outcome: str = ""
    last_error: str | None = None
    seen_ids: tuple[str, ...] = ()  # entry ids of recent bodies, newest first (only new entries go on)


def remember_seen(
    previous: tuple[str, ...], current: Sequence[str], polls: int = 3, minimum: int = 100
) -> tuple[str, ...]:
    """Ids to remember after a body with entries ``current``: these first, then earlier ones, up to
    ``polls`` bodies' worth (at least ``minimum``). Bounded by the feed's size, not by its history."""
    cap = max(minimum, polls * len(current))
    out = list(dict.fromkeys(current))
    known = set(out)
    out.extend(i for i in previous if i not in known)
    return tuple(out[:cap])


def is_due(state: PollState, now: float) -> bool:
    return now >= state.next_due


def due_feeds(feeds: Sequence[Feed], states: dict[str, PollState], now: float) -> list[Feed]:
    """The feeds due at ``now``, the longest overdue first (so none starves when capacity is short)."""
    due = [f for f in feeds if is_due(states.get(f.url, PollState()), now)]
    return sorted(due, key=lambda f: states.get(f.url, PollState()).next_due)


def body_digest(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def rss_ttl_seconds(body: bytes) -> float | None:
    """RSS ``<ttl>`` (minutes) near the top of the document, in seconds."""
    match = _TTL.search(body, 0, 65536)
    return float(match.group(1)) * 60 if match else None


def interval_for(
    configured_s: float, unchanged_polls: int, floor_s: float | None, max_stretch: float = DEFAULT_MAX_STRETCH
) -> float:
    """Seconds until the next poll of a feed that answered (see the module docstring)."""
    stretch = 1.0 + max(0, unchanged_polls - QUIET_POLLS) / QUIET_POLLS
    interval = configured_s * min(max(1.0, max_stretch), stretch)
    if floor_s:
        interval = max(interval, min(floor_s, MAX_SERVER_FLOOR_S))
    return max(configured_s, interval)


def after_poll(
    state: PollState,
    result: FetchResult,
    interval_s: float,
    now: float,
    rng: random.Random | None = None,
    *,
    changed: bool = False,
    max_stretch: float = DEFAULT_MAX_STRETCH,
) -> PollState:
    """State after ``result``: next due time (backoff on failure, adaptive on success), validators,
    where the feed lives now. ``changed``: the body differs from the last parsed one."""
    rng = rng or random.Random()
    base = replace(state, last_poll=now, last_outcome=result.outcome, last_error=result.error)
    if result.outcome == "gone":
        return replace(base, gone=True, failures=state.failures + 1, next_due=now + GONE_RECHECK_S)
    if result.outcome in ERROR_OUTCOMES:
        failures = state.failures + 1
        delay = min(interval_s * (2 ** min(failures, 16)), MAX_BACKOFF_S)
        if result.retry_after_s is not None:
            delay = max(delay, min(result.retry_after_s, MAX_BACKOFF_S))
        delay *= 1 + rng.uniform(-JITTER, JITTER)
        return replace(base, failures=failures, next_due=now + delay)
    unchanged = 0 if changed else state.unchanged_polls + 1
    if changed:  # a new body: its own <ttl> and this answer's cache lifetime
        ttl = rss_ttl_seconds(result.body) if result.body else None
        floor = max(result.cache_s or 0.0, ttl or 0.0) or None
    else:  # the body's <ttl> still holds; a fresher cache lifetime may come with the answer
        floor = max(result.cache_s or 0.0, state.floor_s or 0.0) or None
    new = replace(
        base,
        failures=0,
        gone=False,
        unchanged_polls=unchanged,
        floor_s=floor,
        last_success=now,
        url=result.permanent_url or state.url,
        next_due=now + interval_for(interval_s, unchanged, floor, max_stretch),
    )
    if changed:  # validators only from an answer that brought a new body
        new = replace(new, etag=result.etag, last_modified=result.last_modified)
    return new


def after_unusable_body(before: PollState, settled: PollState, reason: str, error: str) -> PollState:
    """State after a 200 whose body is not a usable feed (``reason``: ``not_a_feed``, ``parse_error``…).

    The poll reached the server (its schedule stays the regular one: a wrong URL is not an overloaded
    server), but the feed failed: a consecutive failure with its reason, no new success. The validators
    and body hash stay those of the last usable body, so the same bad body is parsed, and reported,
    again on the next poll instead of being skipped as unchanged (``newsmon feeds --failing`` keeps
    showing it until it is fixed).
    """
    return replace(
        settled,
        etag=before.etag,
        last_modified=before.last_modified,
        body_hash=before.body_hash,
        failures=before.failures + 1,
        last_outcome=reason,
        last_error=error,
        last_success=before.last_success,
        unchanged_polls=before.unchanged_polls,
    )


def settle_poll(
    state: PollState,
    result: FetchResult,
    interval_s: float,
    now: float,
    rng: random.Random | None = None,
    *,
    max_stretch: float = DEFAULT_MAX_STRETCH,
) -> tuple[PollState, str, bool]:
    """(new state, outcome to count, whether to parse the body) after one fetch.

    A 200 whose body hashes like the last parsed one is ``unchanged`` and not
    parsed again, so servers without validators cost no parse either. An ``ok``
    result is counted once it is parsed (as ``ok`` or a parse failure).
    """
    if result.outcome == "ok" and result.body is not None:
        digest = body_digest(result.body)
        if digest == state.body_hash:
            unchanged = replace(result, outcome="unchanged")
            return after_poll(state, unchanged, interval_s, now, rng, max_stretch=max_stretch), "unchanged", False
        new_state = after_poll(state, result, interval_s, now, rng, changed=True, max_stretch=max_stretch)
        return replace(new_state, body_hash=digest), "ok", True
    return after_poll(state, result, interval_s, now, rng, max_stretch=max_stretch), result.outcome, False


def shard_of(url: str, shards: int) -> int:
    """Stable shard of a feed URL (the same in every process, unlike ``hash``).

    A cryptographic digest, not CRC-32: CRC is linear, so URLs that differ in
    one character (``/feed1`` … ``/feed9`` of one site) all had the same CRC
    modulo a small power of two, i.e. one shard and one worker for them all."""
    digest = hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def plan_shards(feeds: Sequence[Feed], shards: int) -> list[tuple[str, tuple[Feed, ...]]]:
    """Feeds grouped into ``shards`` keyed groups: the unit of state and of concurrent fetching."""
    groups: dict[int, list[Feed]] = {}
    for feed in feeds:
        groups.setdefault(shard_of(feed.url, shards), []).append(feed)
    return [(shard_key(i), tuple(group)) for i, group in sorted(groups.items())]


def shard_key(index: int) -> str:
    return f"shard-{index:04d}"
