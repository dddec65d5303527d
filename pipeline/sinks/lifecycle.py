"""Retention of old articles: an ILM policy on Elasticsearch, an ISM policy on OpenSearch.

Both delete an article index ``retention_days`` after it was created (indices
are yearly, so with the default 730 days a year's index goes two years after its
first article arrived). The policies are plain data; ``SearchWriter`` installs them.
"""

from __future__ import annotations

from typing import Any

POLICY_NAME = "newsmon-articles"
POLICY_VERSION = 1


def ilm_policy(retention_days: int) -> dict[str, Any]:
    """Elasticsearch ILM: hot until deletion, no rollover (indices are chosen by year)."""
    return {"policy": {
        "_meta": {"managed_by": "newsmon", "newsmon_policy_version": POLICY_VERSION,
                  "retention_days": retention_days},
        "phases": {
            "hot": {"min_age": "0ms", "actions": {}},
            "delete": {"min_age": f"{retention_days}d", "actions": {"delete": {}}},
        },
    }}


def ism_policy(prefix: str, retention_days: int) -> dict[str, Any]:
    """OpenSearch ISM: the same policy, attached to new indices by its ``ism_template``."""
    return {"policy": {
        "description": f"newsmon v{POLICY_VERSION}: delete article indices after {retention_days} days",
        "default_state": "hot",
        "states": [
            {"name": "hot", "actions": [],
             "transitions": [{"state_name": "delete", "conditions": {"min_index_age": f"{retention_days}d"}}]},
            {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
        ],
        "ism_template": [{"index_patterns": [f"{prefix}-*"], "priority": 100}],
    }}
