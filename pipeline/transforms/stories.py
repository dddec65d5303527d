"""GroupStories and CountStories: story grouping in the streaming job.

``GroupStories`` (FeedBatch → FeedBatch): every article that will be indexed
(relevant, or all with ``index_all``) gets a story, decided over the band
claims in the engine (:class:`pipeline.sinks.stories.EngineBandStore`: one
``_mget`` and one ``_bulk`` per batch). The DoFn keeps no state between
batches, so it runs on any runner at any parallelism; the decision is settled
in the engine before the article document is written with its ``story_id``.
Expired claims are deleted by each worker at most once per ``expire_every_s``.

``GroupArticleStories`` does the same for ``newsmon backfill`` (batches of
articles instead of feed batches). ``CountStories`` (ClassifiedArticle the engine created → nothing): adds them to
their story records (size, last seen).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import apache_beam as beam
from apache_beam.pvalue import PCollection

from pipeline.core import config
from pipeline.core.dates import iso_to_unix
from pipeline.core.model import ClassifiedArticle, FeedBatch
from pipeline.sinks.search import SearchWriter
from pipeline.sinks.stories import EngineBandStore, stories_index
from pipeline.stories import DEFAULT_PARAMS, StoryGrouper, StoryParams
from pipeline.stories.articles import article_time, with_stories
from pipeline.telemetry import lifecycle
from pipeline.transforms.secrets import public_settings, with_secrets
from pipeline.transforms.telemetry import process_telemetry

log = logging.getLogger(__name__)


class GroupStoriesDoFn(beam.DoFn):
    def __init__(
        self, settings: config.SearchSettings, params: StoryParams = DEFAULT_PARAMS, expire_every_s: float = 3600.0
    ) -> None:
        self.settings = public_settings(settings)
        self.params = params
        self.expire_every_s = expire_every_s

    def setup(self) -> None:
        writer = SearchWriter(with_secrets(self.settings))
        self.store = EngineBandStore(writer, stories_index(self.settings.index))
        self.grouper = StoryGrouper(self.store, self.params)
        self.telemetry = process_telemetry()
        self.next_expiry = 0.0

    def process(self, batch: FeedBatch) -> Iterator[FeedBatch]:
        lifecycle.touch()
        wanted = [item.classification.relevant or self.settings.index_all for item in batch.classified]
        if not any(wanted):
            yield batch
            return
        with lifecycle.working():
            classified, decisions = with_stories(self.grouper, batch.classified, wanted)
            self._expire()
        for d in decisions:
            self.telemetry.story("ungrouped" if d.ungrouped else ("founded" if d.founded else "joined"))
            if not d.founded:
                log.debug(
                    "article joined story %s (%d shared %s)",
                    d.story_id,
                    d.votes,
                    "event keys" if d.by_event else "bands",
                    extra={"article_id": d.article_id, "story_id": d.story_id, "feed_url": batch.feed.url},
                )
        yield replace(batch, classified=tuple(classified))

    def _expire(self) -> None:
        now = time.time()
        if now < self.next_expiry:
            return
        self.next_expiry = now + self.expire_every_s
        dropped = self.store.expire(now - self.params.window_s, now - self.params.event_window_s)
        if dropped:
            log.info("expired %d story band claim(s) older than %.0f s", dropped, self.params.window_s)


class GroupStories(beam.PTransform):
    """FeedBatch → FeedBatch whose indexed articles carry a story (``story_id``); reads/writes news-stories."""

    def __init__(self, settings: config.SearchSettings, params: StoryParams = DEFAULT_PARAMS) -> None:
        super().__init__()
        self.settings = settings
        self.params = params

    def expand(self, batches: PCollection) -> PCollection:
        return batches | "AssignStories" >> beam.ParDo(GroupStoriesDoFn(self.settings, self.params))


class GroupArticlesDoFn(GroupStoriesDoFn):
    """A batch (list) of ClassifiedArticle → the same articles, those to be indexed with a story."""

    def process(self, items: list[ClassifiedArticle]) -> Iterator[ClassifiedArticle]:  # type: ignore[override]
        lifecycle.touch()
        wanted = [item.classification.relevant or self.settings.index_all for item in items]
        with lifecycle.working():
            classified, decisions = with_stories(self.grouper, items, wanted)
            self._expire()
        for d in decisions:
            self.telemetry.story("ungrouped" if d.ungrouped else ("founded" if d.founded else "joined"))
        yield from classified


class GroupArticleStories(beam.PTransform):
    """ClassifiedArticle → ClassifiedArticle with a story (backfill: batches of up to 500 per engine round trip)."""

    def __init__(self, settings: config.SearchSettings, params: StoryParams = DEFAULT_PARAMS) -> None:
        super().__init__()
        self.settings = settings
        self.params = params

    def expand(self, items: PCollection) -> PCollection:
        return (
            items
            | "Batch" >> beam.BatchElements(min_batch_size=50, max_batch_size=500)
            | "AssignStories" >> beam.ParDo(GroupArticlesDoFn(self.settings, self.params))
        )


class CountStoriesDoFn(beam.DoFn):
    def __init__(self, settings: config.SearchSettings) -> None:
        self.settings = public_settings(settings)

    def setup(self) -> None:
        writer = SearchWriter(with_secrets(self.settings))
        self.store = EngineBandStore(writer, stories_index(self.settings.index))

    def start_bundle(self) -> None:
        self.pending: list[tuple[str, float, float, str, str, tuple[str, ...]]] = []

    def process(self, item: ClassifiedArticle) -> Iterator[Any]:
        story = item.story
        if story is not None:
            self.pending.append(
                (
                    story.story_id,
                    iso_to_unix(story.first_seen) or 0.0,
                    article_time(item),
                    item.article.title,
                    item.article.url,
                    item.classification.topics,
                )
            )
        return iter(())

    def finish_bundle(self) -> None:
        if self.pending:
            self.store.count_created(self.pending)
        self.pending = []


class CountStories(beam.PTransform):
    """ClassifiedArticle (newly created) → nothing; story records gain their size and last-seen time."""

    def __init__(self, settings: config.SearchSettings) -> None:
        super().__init__()
        self.settings = settings

    def expand(self, created: PCollection) -> PCollection:
        return created | "AddToStoryRecords" >> beam.ParDo(CountStoriesDoFn(self.settings))
