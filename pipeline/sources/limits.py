"""The fetching limits' defaults, one definition each, in a module that imports nothing.

:mod:`.fetch` (the HTTP client, urllib3), :class:`.fetcher.FetcherConfig`, the
poll transforms and ``newsmon run``'s options (:mod:`pipeline.app.options`,
to show them in ``--help``) all take their defaults from here, so the options
can show the real values without paying for the network client at start-up.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_HOST_GAP_S",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_PER_HOST",
    "DEFAULT_QUEUE_FACTOR",
    "DEFAULT_TIMEOUT_S",
    "DEFAULT_WORKERS",
]

DEFAULT_TIMEOUT_S = 30.0  # one feed's whole exchange, redirects included
DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # decompressed; protects memory against huge or bomb bodies
DEFAULT_WORKERS = 64  # fetches at once in one process
DEFAULT_PER_HOST = 2  # requests at once to one host, across all its feeds
DEFAULT_HOST_GAP_S = 0.5  # seconds between the starts of two requests to one host
DEFAULT_QUEUE_FACTOR = 16  # queued + running at most workers × this
