"""Fixtures of the end-to-end tests: the demo feeds served from a temporary copy."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.devtools.feedserver import FeedServer
from tests.support.job import REPO

DEMO = REPO / "deploy" / "local" / "demo-feeds"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FeedServer, Path]]:
    """A feed server on 127.0.0.1 over a copy of the demo feeds (tests append items to the copy)."""
    root = tmp_path / "feeds"
    shutil.copytree(DEMO, root)
    server = FeedServer(root, "127.0.0.1", 0)
    server.start_background()
    yield server, root
    server.shutdown()
    server.server_close()
