"""Article text → features → MinHash signature → LSH band keys.

Features are the content words of the headline and the lead (the first
``lead_chars`` characters of the summary, or of the body when there is no
summary), lower-cased, with stopwords, one-letter tokens and an outlet suffix
on the headline (``... - Reuters``) dropped, plus
their adjacent pairs (word bigrams, so word order counts a little). Reprints
with an edited headline keep most of the lead; two different stories on the
same subject share single words ("india", "tariff") far more than pairs.

The signature is datasketch's :class:`~datasketch.MinHash` (``num_perm``
permutations, fixed seed so every worker computes the same one; datasketch 2's
default ``affine32`` scheme — another scheme or major version gives other
band keys, so upgrading it starts new stories for a window's length). Bands follow
datasketch's :class:`~datasketch.MinHashLSH` layout for ``threshold`` (it
picks ``b`` bands of ``r`` rows minimising false positives + negatives); a
band key hashes the band's index and its ``r`` values, so two articles share
a key exactly when LSH would put them in the same bucket.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Final

from datasketch import MinHash, MinHashLSH
from datasketch.hashfunc import sha1_hash32

from pipeline.stories.events import event_keys, key_terms
from pipeline.stories.text import OUTLET_SUFFIX, STOPWORDS

_WORD: Final = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class StoryParams:
    """How stories are grouped. Times are seconds; ``threshold`` is a Jaccard similarity of features."""

    num_perm: int = 64
    threshold: float = 0.35  # tuned on tests/data/story-pairs.jsonl (benchmarks/bench_stories.py)
    window_s: float = 7 * 24 * 3600.0  # a claim older than this no longer groups (sliding window)
    lead_chars: int = 300
    seed: int = 1
    min_features: int = 3  # fewer features (a bare one-word title) founds its own story
    min_votes: int = 2  # bands an article must share with a story to join it
    title_threshold: float | None = 0.6  # second band set on the headline alone (None: off)
    min_title_features: int = 4
    # The event channel (pipeline.stories.events): key terms per article (0: off), how many of the first
    # ones anchor the pairs, their stem length, lower-case words this long that count as key terms too,
    # the event keys one story must hold to take an article, and how long an event claim groups.
    # Tuned on tests/data/story-pairs.jsonl (benchmarks/bench_stories.py).
    event_terms: int = 10
    event_anchors: int = 4
    event_stem: int = 6
    event_long_word: int = 8
    min_event_votes: int = 7
    event_window_s: float = 12 * 3600.0

    def __post_init__(self) -> None:
        for value in (self.threshold, self.title_threshold or 0.5):
            if not 0.0 < value < 1.0:
                raise ValueError(f"thresholds must be in (0, 1), got {value}")
        if self.num_perm < 8 or self.window_s <= 0 or self.min_votes < 1:
            raise ValueError("num_perm must be >= 8, window_s positive and min_votes >= 1")
        if (
            self.event_terms < 0
            or self.event_anchors < 1
            or self.event_stem < 2
            or self.min_event_votes < 1
            or not 0 < self.event_window_s <= self.window_s
        ):
            raise ValueError(
                "event_terms must be >= 0, event_anchors >= 1, event_stem >= 2, min_event_votes >= 1 and "
                "event_window_s in (0, window_s]"
            )

    @cached_property
    def bands(self) -> tuple[int, int]:
        """(bands, rows per band) that datasketch's MinHashLSH chooses for ``threshold`` and ``num_perm``."""
        return _layout(self.threshold, self.num_perm)

    @cached_property
    def title_bands(self) -> tuple[int, int]:
        """(bands, rows) of the headline-only band set."""
        return _layout(self.title_threshold, self.num_perm) if self.title_threshold else (0, 0)


def _layout(threshold: float, num_perm: int) -> tuple[int, int]:
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


DEFAULT_PARAMS: Final = StoryParams()


def features(title: str, lead: str, lead_chars: int = DEFAULT_PARAMS.lead_chars) -> set[str]:
    """Content words of headline + lead and their adjacent pairs."""
    title = OUTLET_SUFFIX.sub("", title)
    words = [w for w in _WORD.findall(f"{title} {lead[:lead_chars]}".lower()) if len(w) > 1 and w not in STOPWORDS]
    out = set(words)
    out.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    return out


_local = threading.local()


@functools.lru_cache(maxsize=1 << 16)
def _feature_hash(feature: bytes) -> int:
    """datasketch's own 32-bit SHA-1 hash (so signatures are the library's), memoised: news vocabulary repeats."""
    return int(sha1_hash32(feature))


def _minhash(num_perm: int, seed: int) -> MinHash:
    """This thread's reusable MinHash: drawing the permutations costs more than hashing an article."""
    cache: dict[tuple[int, int], MinHash] | None = getattr(_local, "minhashes", None)
    if cache is None:
        cache = _local.minhashes = {}
    m = cache.get((num_perm, seed))
    if m is None:
        m = cache[(num_perm, seed)] = MinHash(num_perm=num_perm, seed=seed, hashfunc=_feature_hash)
    return m


def signature(feats: set[str], params: StoryParams = DEFAULT_PARAMS) -> bytes:
    """The MinHash values of a feature set, little-endian uint32 (same seed and scheme everywhere)."""
    m = _minhash(params.num_perm, params.seed)
    m.clear()
    m.update_batch([f.encode("utf-8") for f in feats])
    return bytes(m.hashvalues.astype("<u4").tobytes())


def band_keys(
    values: bytes, params: StoryParams = DEFAULT_PARAMS, layout: tuple[int, int] | None = None, prefix: str = ""
) -> tuple[str, ...]:
    """One key per LSH band: ``<prefix><band index><the band's r values in hex>``. Two articles share a key
    exactly when their band is equal, so no hash of it is needed."""
    b, r = layout or params.bands
    width = 4 * r
    return tuple(f"{prefix}{i:02d}{values[i * width : (i + 1) * width].hex()}" for i in range(b))


def article_bands(title: str, lead: str, params: StoryParams = DEFAULT_PARAMS) -> tuple[str, ...]:
    """Keys of an article: LSH bands of headline + lead, then of the headline alone (keys prefixed ``t``, a
    stricter threshold: the same headline over another outlet's own lead), then its event keys (prefixed
    ``e``, :mod:`pipeline.stories.events`). None when there is too little text."""
    feats = features(title, lead, params.lead_chars)
    if len(feats) < params.min_features:
        return ()
    keys = band_keys(signature(feats, params), params)
    if params.title_threshold:
        head = features(title, "", 0)
        if len(head) >= params.min_title_features:
            keys += band_keys(signature(head, params), params, params.title_bands, prefix="t")
    if params.event_terms:
        keys += event_keys(
            key_terms(title, lead, params.event_terms, params.event_stem, params.lead_chars, params.event_long_word),
            params.event_anchors,
        )
    return keys
