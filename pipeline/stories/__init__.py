"""Story grouping: near-duplicate articles (reprints, edited headlines, URL variants) and write-ups of one
event share a story.

Pure code, no Beam and no network:

* :mod:`.signature` — an article's headline + lead → word features → a MinHash
  signature (datasketch) → LSH band keys (the band layout of datasketch's
  ``MinHashLSH`` for the configured Jaccard threshold);
* :mod:`.events` — the same event in other words: key terms (names, numbers,
  long words) → event keys (pairs of them), claimed like bands;
* :mod:`.grouping` — the decision: an article joins the story that already
  holds most of its bands (claims younger than the window), else founds its
  own; :class:`StoryGrouper` applies it to a batch over a :class:`BandStore`
  (in memory here; the engine-backed store lives in ``pipeline.sinks.stories``).

A story's id is the article id of the article that founded it, so the same
input in the same order always gives the same stories, and a replayed article
finds its own claims and gets its story back.
"""

from __future__ import annotations

from pipeline.stories.grouping import (
    BandStore,
    Claim,
    Decision,
    MemoryBandStore,
    StoryGrouper,
    StoryInput,
    decide,
)
from pipeline.stories.signature import DEFAULT_PARAMS, StoryParams, article_bands, band_keys, features, signature

__all__ = [
    "DEFAULT_PARAMS",
    "BandStore",
    "Claim",
    "Decision",
    "MemoryBandStore",
    "StoryGrouper",
    "StoryInput",
    "StoryParams",
    "article_bands",
    "band_keys",
    "decide",
    "features",
    "signature",
]
