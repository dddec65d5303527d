"""Grouping applied to classified articles: which ones are grouped, their text, their time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pipeline.core.dates import iso_to_unix, unix_to_iso
from pipeline.core.model import ClassifiedArticle, StoryRef
from pipeline.stories.grouping import Decision, StoryGrouper, StoryInput
from pipeline.stories.signature import DEFAULT_PARAMS, StoryParams, article_bands


def article_time(item: ClassifiedArticle) -> float:
    """When the article entered the stream (first seen; published when never seen), unix seconds."""
    a = item.article
    return iso_to_unix(a.seen_at) or iso_to_unix(a.published_at) or 0.0


def story_input(item: ClassifiedArticle, params: StoryParams = DEFAULT_PARAMS) -> StoryInput:
    a = item.article
    return StoryInput(a.article_id, article_time(item), article_bands(a.title, a.summary or a.body, params))


def ref_of(decision: Decision) -> StoryRef:
    return StoryRef(decision.story_id, unix_to_iso(decision.first_seen), decision.founded)


def with_stories(
    grouper: StoryGrouper, items: Sequence[ClassifiedArticle], grouped: Sequence[bool]
) -> tuple[list[ClassifiedArticle], list[Decision]]:
    """``items`` with a story on those marked in ``grouped`` (others unchanged), and the decisions made."""
    chosen = [item for item, want in zip(items, grouped, strict=True) if want]
    decisions = {d.article_id: d for d in grouper.assign([story_input(i, grouper.params) for i in chosen])}
    out = [
        replace(item, story=ref_of(decisions[item.article.article_id]))
        if want and item.article.article_id in decisions
        else item
        for item, want in zip(items, grouped, strict=True)
    ]
    return out, list(decisions.values())
