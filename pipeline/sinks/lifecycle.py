"""Retention of old articles: an ILM policy on Elasticsearch, an ISM policy on OpenSearch.

Both delete an article index ``retention_days`` after it was created (indices
are yearly, so with the default 730 days a year's index goes two years after its
first article arrived). The policies are plain data; ``SearchWriter`` installs them,
and rewrites them when the installed one differs (a changed ``NEWSMON_RETENTION_DAYS``):
the ``*_is_current`` checks here say whether it does.
"""

from __future__ import annotations

from typing import Any

POLICY_NAME = "newsmon-articles"
POLICY_VERSION = 1


def ilm_policy(retention_days: int) -> dict[str, Any]:
    """Elasticsearch ILM: hot until deletion, no rollover (indices are chosen by year)."""
    return {
        "policy": {
            "_meta": {
                "managed_by": "newsmon",
                "newsmon_policy_version": POLICY_VERSION,
                "retention_days": retention_days,
            },
            "phases": {
                "hot": {"min_age": "0ms", "actions": {}},
                "delete": {"min_age": f"{retention_days}d", "actions": {"delete": {}}},
            },
        }
    }


def ism_policy(prefix: str, retention_days: int) -> dict[str, Any]:
    """OpenSearch ISM: the same policy, attached to new indices by its ``ism_template``."""
    return {
        "policy": {
            "description": f"newsmon v{POLICY_VERSION}: delete article indices after {retention_days} days",
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": [],
                    "transitions": [{"state_name": "delete", "conditions": {"min_index_age": f"{retention_days}d"}}],
                },
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
            "ism_template": [{"index_patterns": [f"{prefix}-*"], "priority": 100}],
        }
    }


def ilm_is_current(got: dict[str, Any], retention_days: int) -> bool:
    """Whether ``GET _ilm/policy/<name>``'s answer already holds this retention (so no PUT is needed:
    every PUT bumps the policy's version)."""
    entry = got.get(POLICY_NAME)
    if not isinstance(entry, dict):
        return False
    policy = entry.get("policy") or {}
    meta = policy.get("_meta") or {}
    delete = (policy.get("phases") or {}).get("delete") or {}
    return (
        meta.get("newsmon_policy_version") == POLICY_VERSION
        and delete.get("min_age") == f"{retention_days}d"
        and "delete" in (delete.get("actions") or {})
    )


def _ism_shape(policy: dict[str, Any]) -> tuple[Any, ...]:
    """What newsmon decides in an ISM policy, without the fields OpenSearch adds (retry, timestamps, ids)."""
    states = tuple(
        (
            s.get("name"),
            tuple(
                (t.get("state_name"), (t.get("conditions") or {}).get("min_index_age"))
                for t in s.get("transitions") or []
            ),
            tuple(sorted(k for a in s.get("actions") or [] for k in a if k != "retry")),
        )
        for s in policy.get("states") or []
    )
    patterns = tuple(tuple(t.get("index_patterns") or []) for t in policy.get("ism_template") or [])
    return policy.get("description"), policy.get("default_state"), states, patterns


def ism_is_current(policy: dict[str, Any], prefix: str, retention_days: int) -> bool:
    """Whether an installed ISM policy (the ``policy`` of ``GET _plugins/_ism/policies/<id>``) already is
    the one :func:`ism_policy` would write."""
    return _ism_shape(policy) == _ism_shape(ism_policy(prefix, retention_days)["policy"])
