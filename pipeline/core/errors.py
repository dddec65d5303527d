"""The newsmon exception tree.

::

    NewsmonError                 root: everything newsmon raises on purpose
    ├── ConfigError              invalid feeds.yaml / settings: fail at start-up
    ├── FeedError                one feed could not be fetched or parsed
    ├── GoldFileError            a labelled evaluation file is malformed (pipeline.devtools.evaluate)
    ├── DashboardError           Kibana import failed (pipeline.sinks.kibana), with
    │   ├── KibanaAuthError      credentials rejected
    │   └── KibanaUnavailable    Kibana unreachable or not ready
    └── SearchError              the search engine refused or is unreachable
        ├── SearchAuthError      wrong credentials (401/403): not retried
        └── SearchUnavailable    connection refused, 429, 5xx: retried

Bad *data* (a broken entry, a rejected document) is never raised: it is
counted and dead-lettered. All exceptions keep their message in ``args`` so
they pickle across Beam worker boundaries.
"""

from __future__ import annotations


class NewsmonError(Exception):
    """Root of every exception newsmon raises on purpose."""


class ConfigError(NewsmonError):
    """Configuration is invalid; the message names the file, the field and the fix."""


class FeedError(NewsmonError):
    """A feed could not be fetched or parsed."""


class SearchError(NewsmonError):
    """The search engine refused a request."""


class SearchAuthError(SearchError):
    """Credentials were rejected (401/403)."""


class SearchUnavailable(SearchError):
    """The engine is unreachable or overloaded; the caller retries."""
