"""The closed topic set: the one definition every part of newsmon uses.

The definitions here are the labelling spec; the README repeats them.
"""

from __future__ import annotations

from typing import Final

TOPIC_DEFINITIONS: Final[dict[str, str]] = {
    "trade": "tariffs, trade deals and negotiations, exports/imports, market access, WTO disputes, investment flows",
    "defense": (
        "military cooperation, arms sales, joint exercises, defence agreements, Quad security, maritime security"
    ),
    "immigration": "visas (H-1B, student, work), deportations, green cards, the Indian diaspora's migration status",
    "energy": (
        "oil, gas and LNG trade, sanctions on energy purchases, nuclear power cooperation, renewables, climate finance"
    ),
    "diplomacy": "leaders' and ministers' meetings, summits, statements, ambassadors, bilateral or Quad diplomacy",
    "technology": "semiconductors, critical and emerging technologies (iCET/TRUST), IT services, AI, space, telecom",
}

TOPICS: Final[tuple[str, ...]] = tuple(TOPIC_DEFINITIONS)
# Label value of newsmon_relevant_articles_total for relevant articles with no topic (not a topic itself).
UNTAGGED: Final = "none"
