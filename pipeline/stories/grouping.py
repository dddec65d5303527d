"""The story decision and its application to a batch over a store of band claims.

A *claim* says "LSH band key K belongs to story S since time T". An article
with band keys K1..Kb:

* **joins** the story holding the most of its keys among live claims (claimed
  within ``window_s`` of the article's time), at least ``min_votes`` of them
  (one shared band is often chance, two rarely are); ties go to the older story, then
  the smaller id, so every worker decides the same way;
* else joins the story holding the most of its *event keys* (:mod:`.events`)
  among claims of the last ``event_window_s``, at least ``min_event_votes``;
* otherwise **founds** a story whose id is its own article id;
* then claims its keys that no live claim holds, for its story.

Claims are first-writer-wins (the engine-backed store creates band documents
and reads a 409 as "someone was first"): when a founding article loses one of
its keys to another story in a race, it joins that story instead, so two
workers seeing the two halves of a syndicated story at once still agree.
Memory is bounded by the window: a claim older than it is expired and its key
can be claimed again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from pipeline.stories.events import is_event_key
from pipeline.stories.signature import DEFAULT_PARAMS, StoryParams


@dataclass(frozen=True)
class Claim:
    """Band key → story. Times are unix seconds; ``version`` is the store's (opaque) concurrency token."""

    story_id: str
    first_seen: float  # when the story was founded
    claimed_at: float  # when this key was claimed (the window runs from here)
    article_id: str  # the article that claimed it
    version: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class StoryInput:
    """What grouping needs of an article: its id, time (unix seconds) and band keys."""

    article_id: str
    at: float
    bands: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    """An article's story: ``founded`` when it started the story; ``votes`` = its keys the story held."""

    article_id: str
    story_id: str
    first_seen: float
    founded: bool
    votes: int = 0
    ungrouped: bool = False  # too little text to compare: a story of its own
    by_event: bool = False  # joined on event keys (shared key terms), not on near-identical text


class BandStore(Protocol):
    """Where claims live. ``get`` returns live and expired claims; ``claim`` writes first-wins (an expired
    claim may be replaced) and returns the claim that holds each key afterwards."""

    def get(self, keys: Iterable[str]) -> dict[str, Claim]: ...

    def claim(self, claims: Mapping[str, Claim], replacing: Mapping[str, Claim]) -> dict[str, Claim]: ...


def is_live(claim: Claim, at: float, params: StoryParams = DEFAULT_PARAMS, key: str = "") -> bool:
    """A claim groups an article within ``window_s`` of its claim time, either way (backfills run late);
    an event key's claim (``key`` given) within ``event_window_s``."""
    window = params.event_window_s if key and is_event_key(key) else params.window_s
    return abs(at - claim.claimed_at) <= window


def decide(item: StoryInput, claims: Mapping[str, Claim], params: StoryParams = DEFAULT_PARAMS) -> Decision:
    """Join the story with the most live band claims on ``item``'s keys (at least ``min_votes``); else the
    story with the most live event claims (at least ``min_event_votes``); else found one."""
    votes: dict[str, int] = {}
    event_votes: dict[str, int] = {}
    first: dict[str, float] = {}
    for key in item.bands:
        claim = claims.get(key)
        if claim is None or not is_live(claim, item.at, params, key):
            continue
        tally = event_votes if is_event_key(key) else votes
        tally[claim.story_id] = tally.get(claim.story_id, 0) + 1
        first[claim.story_id] = min(first.get(claim.story_id, claim.first_seen), claim.first_seen)
    for tally, least in ((votes, params.min_votes), (event_votes, params.min_event_votes)):
        if tally and max(tally.values()) >= least:
            story = min(tally, key=lambda s: (-tally[s], first[s], s))
            return Decision(
                item.article_id, story, first[story], founded=False, votes=tally[story], by_event=tally is event_votes
            )
    return Decision(item.article_id, item.article_id, item.at, founded=True, ungrouped=not item.bands)


class StoryGrouper:
    """Assigns stories to batches of articles over a :class:`BandStore` (one store round trip per batch)."""

    def __init__(self, store: BandStore, params: StoryParams = DEFAULT_PARAMS) -> None:
        self.store = store
        self.params = params

    def assign(self, items: Sequence[StoryInput]) -> list[Decision]:
        """Decisions in the order of ``items``; within the batch, older articles (then smaller ids) go first."""
        if not items:
            return []
        known = self.store.get({k for item in items for k in item.bands})
        decisions: dict[str, Decision] = {}
        wanted: dict[str, Claim] = {}
        replacing: dict[str, Claim] = {}
        for item in sorted(items, key=lambda i: (i.at, i.article_id)):
            d = decide(item, known, self.params)
            decisions[item.article_id] = d
            new = Claim(d.story_id, d.first_seen, item.at, item.article_id)  # one object for all its keys
            for key in item.bands:
                held = known.get(key)
                if held is not None and is_live(held, item.at, self.params, key):
                    continue
                if held is not None:
                    replacing[key] = held
                known[key] = wanted[key] = new
        if wanted:
            holders = self.store.claim(wanted, replacing)
            moved: dict[str, Claim] = {}
            for item in items:
                d = decisions[item.article_id]
                lost = {
                    k: holders[k]
                    for k in item.bands
                    if k in wanted and k in holders and holders[k].story_id != wanted[k].story_id
                }
                if not (d.founded and lost):
                    continue
                # Another worker founded the same story first: join it, and hand it the keys this
                # article did win, so no claim points at a story without articles.
                joined = decide(item, lost, self.params)
                decisions[item.article_id] = joined
                for k in item.bands:
                    held = holders.get(k)
                    if k in wanted and held is not None and held.story_id == d.story_id:
                        moved[k] = held
            if moved:
                target = {k: decisions[c.article_id] for k, c in moved.items()}
                self.store.claim(
                    {
                        k: replace(c, story_id=target[k].story_id, first_seen=target[k].first_seen, version=None)
                        for k, c in moved.items()
                    },
                    moved,
                )
        return [decisions[item.article_id] for item in items]


class MemoryBandStore:
    """Claims in a dict, expired in claim-time order (bounded by the window; event keys by the event window).
    One process only."""

    def __init__(self, params: StoryParams = DEFAULT_PARAMS) -> None:
        self.params = params
        self.claims: dict[str, Claim] = {}
        # keys claimed together, oldest first: bands, and event keys (a shorter window)
        self._order: deque[tuple[float, list[str]]] = deque()
        self._events: deque[tuple[float, list[str]]] = deque()
        self.newest = float("-inf")

    def __len__(self) -> int:
        return len(self.claims)

    def get(self, keys: Iterable[str]) -> dict[str, Claim]:
        return {k: c for k in keys if (c := self.claims.get(k)) is not None}

    def claim(self, claims: Mapping[str, Claim], replacing: Mapping[str, Claim]) -> dict[str, Claim]:
        out: dict[str, Claim] = {}
        stored: dict[tuple[bool, float], list[str]] = {}
        for key, claim in claims.items():
            held = self.claims.get(key)
            if held is None or (key in replacing and held == replacing[key]):
                self.claims[key] = held = claim if claim.version is None else replace(claim, version=None)
                stored.setdefault((is_event_key(key), claim.claimed_at), []).append(key)
                self.newest = max(self.newest, claim.claimed_at)
            out[key] = held
        for event, at in sorted(stored):
            (self._events if event else self._order).append((at, stored[(event, at)]))
        self.expire(self.newest)
        return out

    def expire(self, now: float) -> int:
        """Drop claims claimed more than ``window_s`` (event keys: ``event_window_s``) before ``now``; returns
        how many."""
        return self._expire(self._order, now - self.params.window_s) + self._expire(
            self._events, now - self.params.event_window_s
        )

    def _expire(self, order: deque[tuple[float, list[str]]], horizon: float) -> int:
        dropped = 0
        while order and order[0][0] < horizon:
            at, keys = order.popleft()
            for key in keys:
                held = self.claims.get(key)
                if held is not None and held.claimed_at == at:
                    del self.claims[key]
                    dropped += 1
        return dropped
