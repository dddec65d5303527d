"""Ids of the entries each feed showed recently, kept by this process: only new entries go on.

The record is the feed's document in the engine (``committed.seen_ids``,
written once every article of a body is indexed; :mod:`pipeline.sinks.feedstate`).
This is a bounded cache of it, so a changed body is compared without a round
trip. It is not runner state on purpose: runner state is read and written whole
on every tick of a shard (Prism gives no state cache tokens, so nothing of it
is cached between bundles), and the seen ids were nine tenths of its bytes.

Entries are put here only when they are in the engine (by the indexer, or
from the engine itself), never when a body is parsed: a bundle that fails
after parsing then loses nothing — the body's entries go on again and the
engine's create-only write settles them. A miss (a restart, a feed that moved
to another worker) costs one lookup in the engine, or, with no engine record,
passes every entry on, which the create-only write also settles.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

DEFAULT_MAX_FEEDS = 100_000
_ID_BYTES = 16  # article ids are 32 hex digits (pipeline.core.urls); they are kept as 16 raw bytes


def _pack(ids: Sequence[str]) -> bytes | tuple[str, ...]:
    try:
        packed = bytes.fromhex("".join(ids))
    except ValueError:
        return tuple(ids)
    return packed if len(packed) == _ID_BYTES * len(ids) else tuple(ids)


def _unpack(value: bytes | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return value
    return tuple(value[i : i + _ID_BYTES].hex() for i in range(0, len(value), _ID_BYTES))


class SeenIds:
    """Feed URL → ids of its recent entries (newest first), least recently used feeds dropped first.

    About 1.7 KB per feed of 100 remembered ids; thread-safe."""

    def __init__(self, max_feeds: int = DEFAULT_MAX_FEEDS) -> None:
        if max_feeds < 1:
            raise ValueError(f"max_feeds must be positive, not {max_feeds}")
        self.max_feeds = max_feeds
        self._ids: OrderedDict[str, bytes | tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, feed_url: str) -> tuple[str, ...] | None:
        """The feed's remembered ids, or None when this process does not know the feed."""
        with self._lock:
            value = self._ids.get(feed_url)
            if value is None:
                return None
            self._ids.move_to_end(feed_url)
        return _unpack(value)

    def put(self, feed_url: str, ids: Sequence[str]) -> None:
        value = _pack(ids)
        with self._lock:
            self._ids[feed_url] = value
            self._ids.move_to_end(feed_url)
            while len(self._ids) > self.max_feeds:
                self._ids.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._ids)


_shared = SeenIds()


def shared() -> SeenIds:
    """The process's cache: the poller reads it, the indexer fills it (same process on Prism)."""
    return _shared
