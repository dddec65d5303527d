"""The demo newsroom: publishes the bank's stories into RSS files over time and serves them.

The files live in one folder (``feeds_dir``) and are served by
:class:`pipeline.devtools.feedserver.FeedServer`, so the demo feeds answer with ETag,
Last-Modified and 304 as any other served feed. The clock starts at the first
request for a feed (the job's first poll), so the timeline of
:mod:`pipeline.demo.stories` is the same however long the job took to start.
Each file keeps its newest :data:`MAX_ITEMS` items and is replaced atomically.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from email.utils import formatdate
from pathlib import Path
from xml.sax.saxutils import escape

from pipeline.demo.stories import (
    BURST_AT_S,
    FEEDS,
    STEADY_EVERY_S,
    Publication,
    Story,
    backlog,
    load_bank,
    poll_interval_s,
    publications,
)
from pipeline.devtools.feedserver import FeedServer

__all__ = ["MAX_ITEMS", "Newsroom", "render_feed"]

log = logging.getLogger("newsmon.demo")
MAX_ITEMS = 30
Item = tuple[float, str, Story]  # (published, unix seconds; url; story)


def render_feed(feed: str, items: Sequence[Item]) -> str:
    """RSS 2.0 for one demo feed, newest item first, at most ``MAX_ITEMS``."""
    entries = []
    for published, url, story in sorted(items, key=lambda i: i[0], reverse=True)[:MAX_ITEMS]:
        entries.append(
            "    <item>\n"
            f"      <title>{escape(story.title)}</title>\n"
            f"      <link>{escape(url)}</link>\n"
            f'      <guid isPermaLink="true">{escape(url)}</guid>\n'
            f"      <pubDate>{formatdate(published, usegmt=True)}</pubDate>\n"
            f"      <description>{escape(story.summary)}</description>\n"
            "    </item>\n"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        "<!-- newsmon demo newsroom: invented stories (pipeline/demo/bank.jsonl). -->\n"
        '<rss version="2.0">\n  <channel>\n'
        f"    <title>{escape(FEEDS[feed])}</title>\n"
        "    <link>https://demo.newsmon.invalid/</link>\n"
        "    <description>Invented stories for the newsmon demo.</description>\n"
        "    <language>en</language>\n" + "".join(entries) + "  </channel>\n</rss>\n"
    )


class Newsroom:
    """The demo feeds in ``feeds_dir``, served on ``host:port`` (0: any free port), stories published on
    the demo timeline at ``scale`` (1 = the human demo)."""

    def __init__(
        self,
        feeds_dir: str | Path,
        scale: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        bank: Sequence[Story] | None = None,
        edition: str | None = None,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"time scale must be positive, got {scale}")
        self.root = Path(feeds_dir)
        self.scale = scale
        self.host, self.port = host, port
        self.bank = tuple(bank if bank is not None else load_bank())
        # In every article URL: a second run of the demo publishes new articles, not re-reads.
        self.edition = edition or time.strftime("%Y%m%dt%H%M%S", time.gmtime())
        self.items: dict[str, list[Item]] = {feed: [] for feed in FEEDS}
        self.published = 0
        self.first_poll = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.server: FeedServer | None = None
        self._thread = threading.Thread(target=self._publish_loop, name="demo-newsroom", daemon=True)

    @property
    def url(self) -> str:
        assert self.server is not None, "start() first"
        return self.server.url

    def start(self) -> Newsroom:
        """Write the backlog, start serving and wait (in a thread) for the first poll."""
        self.root.mkdir(parents=True, exist_ok=True)
        for published, story in backlog(self.bank, time.time()):
            self.items[story.feed].append((published, Publication(0.0, story).url(self.edition), story))
        for feed in FEEDS:
            self._write(feed)
        self.server = FeedServer(self.root, self.host, self.port)
        self.server.start_background()
        self._thread.start()
        return self

    def write_config(self, path: str | Path | None = None) -> Path:
        """feeds.yaml for ``newsmon run`` over the demo feeds (default: in the feeds folder)."""
        out = Path(path) if path else self.root / "feeds.yaml"
        lines = [
            "# Written by `newsmon demo`: the demo newsroom's feeds.",
            "defaults:",
            f"  interval: {poll_interval_s(self.scale)}s",
            "  language: en",
            "feeds:",
        ]
        for feed, name in FEEDS.items():
            lines += [f"  - url: {self.url}/{feed}.xml", f"    name: {name}", "    tags: [demo]"]
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return out

    def stop(self) -> None:
        self._stop.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def publish(self, pub: Publication, at: float | None = None) -> str:
        """Add one story to its feed now (or dated ``at``); its URL."""
        url = pub.url(self.edition)
        with self._lock:
            items = self.items[pub.story.feed]
            items.append((time.time() if at is None else at, url, pub.story))
            items[:] = sorted(items, key=lambda i: i[0])[-MAX_ITEMS:]  # what the feed shows; bounded
            self.published += 1
            self._write(pub.story.feed)
        return url

    def _write(self, feed: str) -> None:
        path = self.root / f"{feed}.xml"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(render_feed(feed, self.items[feed]), encoding="utf-8")
        os.replace(tmp, path)  # a poll never reads half a file

    def _polled(self) -> bool:
        assert self.server is not None
        return any(self.server.hits_for(f"/{feed}.xml") for feed in FEEDS)

    def _publish_loop(self) -> None:
        while not self._polled():
            if self._stop.wait(0.2):
                return
        start = time.monotonic()
        self.first_poll.set()
        log.info(
            "demo newsroom: first poll; a new story every %gs, a burst of %d trade stories in %gs",
            STEADY_EVERY_S * self.scale,
            sum(s.phase == "burst" for s in self.bank),
            BURST_AT_S * self.scale,
        )
        burst_seen = False
        for pub in publications(self.bank, self.scale):
            if self._stop.wait(max(0.0, start + pub.at_s - time.monotonic())):
                return
            if pub.story.phase == "burst" and not burst_seen:
                burst_seen = True
                log.info("demo newsroom: the burst starts (%s)", pub.story.title)
            self.publish(pub)
            log.info("demo newsroom: %s published %r", FEEDS[pub.story.feed], pub.story.title)
