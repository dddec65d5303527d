"""Search settings across the job graph: secrets stripped before pickling, re-read on each worker,
and the writer factory a DoFn makes its engine writer with (from the settings with secrets, in ``setup``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pipeline.core import config
from pipeline.sinks.search import SearchWriter

WriterFactory = Callable[[config.SearchSettings], SearchWriter]


def public_settings(settings: config.SearchSettings) -> config.SearchSettings:
    """Settings safe to pickle into a job graph (secrets stripped)."""
    return replace(settings, api_key=None, password=None)


def with_secrets(settings: config.SearchSettings) -> config.SearchSettings:
    """The settings with the secrets of this worker's environment (``*_FILE`` included)."""
    env = config.search_settings()
    return replace(settings, api_key=env.api_key, password=env.password, username=settings.username or env.username)
