"""From a :class:`~pipeline.detect.tally.Tally` to a verdict: relevance score, rule and topics.

Relevance is decided in two stages, both in the evidence:

1. **Gates** (rules): with no US-side or no India-side mention at all the article is not relevant
   (``no_us_side``, ``no_india_side``, ``no_us_or_india``).
2. **Score**: otherwise the :data:`FEATURES` — each a number in [0, 1] with a stated meaning — are
   combined by a logistic model, ``score = 1 / (1 + exp(-(bias + Σ weight × feature)))``, and the
   article is relevant when ``score >= 0.5``. The weights are in :mod:`pipeline.detect.weights`:
   hand-set priors refined on the development set by :mod:`pipeline.devtools.calibrate`, with the
   sign of every weight fixed by what its feature means (evidence of both sides, of the
   relationship and of policy raise the score; third countries, off-topic domains, a side named
   only in the body or only through its companies lower it). ``evidence["score"]["contributions"]``
   lists weight × value of every non-zero feature, and ``rule`` names what decided:
   ``bilateral_cue``, ``both_sides_in_title``, ``cooccurrence`` (relevant), or the strongest
   negative contribution — ``third_country_focus``, ``third_country_headline``, ``many_countries``,
   ``sports_without_policy``, ``markets_without_policy``, ``culture_story``,
   ``human_interest_story``, ``consumer_news``, ``generic_reaction``, ``side_only_in_body``,
   ``company_story``, and with stage 2 (:mod:`pipeline.detect.stage2`) ``parallel_not_bilateral`` or
   ``phrase_evidence`` (the words and phrases outweighed every feature) — or ``weak_cooccurrence``.
   Stage 2 reuses these features with its own weights and makes the final call; this module's
   score is stage 1's alone (``classify(..., use_stage2=False)``).

Topics (relevant articles only): a topic is assigned when its mass reaches its threshold in
:data:`pipeline.detect.weights.TOPIC_THRESHOLDS` and ``weights.TOPIC_RELATIVE`` of the strongest
topic's mass, strongest first. A relevant article with no topic over its threshold takes its strongest
topic evidence when it reaches :data:`TOPIC_FLOOR` (``topic_fallback: weak_topic_evidence``: the short
dek "A dispute over tariffs and oil escalates" is on trade and energy); failing that, one with a leader
named gets ``diplomacy`` (``topic_fallback: leader_cue``). A headline that names a leader of each side
("Modi, Trump share a hug", "Rahul Gandhi says Modi 'surrendered' to Trump") is about the conduct of the
relationship at the top, so ``diplomacy`` is added when the masses did not choose it
(``topic_fallback: leaders_in_title``; written after reading the real items' topic misses, and held on all
15 such relevant items of the development set and both real ones).
"""

from __future__ import annotations

import math
from typing import Final

from pipeline.core.topics import TOPICS
from pipeline.detect import weights
from pipeline.detect.tally import Tally, r3
from pipeline.detect.terms import CONSUMER, CULTURE, HUMAN, MARKETS, REACTION, SPORTS

SIDE_SCALE: Final = 0.6  # side mass at which a side's strength is 1 - 1/e
HEAD_SIDE_MIN: Final = 0.5  # head mass of the weaker side that fully anchors it (about one summary mention)
TITLE_SIDE_MIN: Final = 0.5  # side mass in the headline for "both sides in the title"
ACTOR_MIN: Final = 0.5  # state-actor mass that makes a side an actor (a country name in a summary)
COUNTRY_MIN_MASS: Final = 0.3  # third-country mass that counts a country as named
MANY_COUNTRIES: Final = 4  # this many named third countries is a list
POLICY_SCALE: Final = 1.0
SPECIFIC_CUE: Final = 0.8
# A relevant article with no topic over its threshold takes its strongest topic evidence when that is at
# least TOPIC_FLOOR (about one topic word in a summary; thresholds are 0.6-0.85), with any topic within
# TOPIC_FLOOR_SHARE of it (``topic_fallback: weak_topic_evidence``).
TOPIC_FLOOR: Final = 0.5
TOPIC_FLOOR_SHARE: Final = 0.9  # a bilateral cue at least this specific names the rule

# Feature name → what it measures. Order is the order of weights.WEIGHTS.
FEATURES: Final[dict[str, str]] = {
    "pair": "geometric mean of the two sides' strengths, 1 - exp(-mass / SIDE_SCALE)",
    "both_in_head": "the weaker side's mass in title and summary (in the lede when they name neither side), "
    "saturating at HEAD_SIDE_MIN",
    "actors": "share of the two sides named as state actors (government, leaders, institutions) in the head",
    "both_in_title": "1 when both sides are named in the headline",
    "bilateral_cue": "strongest cue naming the relationship (1.0 'India-US', 0.3 'tariffs on India')",
    "policy": "topic vocabulary, (1 - exp(-topic mass / POLICY_SCALE)) × pair",
    "sports": "sports vocabulary, 1 - exp(-mass)",
    "markets": "financial-markets vocabulary",
    "culture": "culture, food, festivals, travel vocabulary",
    "human_interest": "crime, accident, obituary, award, personal-story vocabulary",
    "consumer": "product, price, sales and earnings vocabulary",
    "reaction": "generic calls for calm",
    "third_share": "third-country mass / (third-country mass + the weaker side's mass)",
    "many_countries": "named third countries / MANY_COUNTRIES, at most 1",
    "third_in_title": "1 when the headline names a third country and not both sides",
    "body_only": "1 - both_in_head: a side named only in the body (or the lede, when the head names the other)",
    "firm_only": "1 when a side is named only through its companies (Apple, Infosys)",
}

_DOMAIN_FEATURE: Final = {
    SPORTS: "sports",
    MARKETS: "markets",
    CULTURE: "culture",
    HUMAN: "human_interest",
    CONSUMER: "consumer",
    REACTION: "reaction",
}
# Negative feature → the rule it names when it decides.
_NEGATIVE_RULES: Final = {
    "sports": "sports_without_policy",
    "markets": "markets_without_policy",
    "culture": "culture_story",
    "human_interest": "human_interest_story",
    "consumer": "consumer_news",
    "reaction": "generic_reaction",
    "third_share": "third_country_focus",
    "many_countries": "many_countries",
    "body_only": "side_only_in_body",
    "third_in_title": "third_country_headline",
    "firm_only": "company_story",
    "parallel": "parallel_not_bilateral",  # a stage-2 feature (pipeline.detect.stage2.EXTRA_FEATURES)
}
_TOPIC_ORDER: Final = {name: index for index, name in enumerate(TOPICS)}
BOTH_SIDES: Final = 3  # a side mask naming the US (1) and India (2)


def features(tally: Tally) -> dict[str, float]:
    """The non-zero features of a settled tally in which both sides are present (see :data:`FEATURES`).

    A feature missing from the result is 0.
    """
    exp = math.exp
    us, india = tally.us, tally.india
    us_mass, india_mass = us.mass, india.mass
    weaker = min(us_mass, india_mass)
    pair = math.sqrt((1.0 - exp(-us_mass / SIDE_SCALE)) * (1.0 - exp(-india_mass / SIDE_SCALE)))
    # Title and summary anchor the sides; when they name neither (a feature headline), the lede does.
    if us.head or india.head:
        head = min(1.0, min(us.head, india.head) / HEAD_SIDE_MIN)
    else:
        head = min(1.0, min(us.lede, india.lede) / HEAD_SIDE_MIN)
    third = tally.third_countries
    third_mass = sum(third.values())
    third_share = third_mass / (third_mass + weaker) if third_mass else 0.0
    in_title = 1.0 if us.title >= TITLE_SIDE_MIN and india.title >= TITLE_SIDE_MIN else 0.0
    policy = sum(tally.topic_mass.values())
    values = {
        "pair": pair,
        "both_in_head": head,
        "actors": (min(1.0, us.actor / ACTOR_MIN) + min(1.0, india.actor / ACTOR_MIN)) / 2.0,
        "both_in_title": in_title,
        "bilateral_cue": tally.cue,
        # Topic vocabulary is evidence of a relationship only as far as both sides are there to have one.
        "policy": (1.0 - exp(-policy / POLICY_SCALE)) * pair if policy else 0.0,
    }
    for domain, mass in tally.offtopic_mass.items():
        values[_DOMAIN_FEATURE[domain]] = 1.0 - exp(-mass)
    if third_mass:
        values["third_share"] = third_share
        values["many_countries"] = min(1.0, sum(1 for m in third.values() if m >= COUNTRY_MIN_MASS) / MANY_COUNTRIES)
        # A headline about a third country and one side: the other side, named below, is a bystander.
        if not in_title and max(tally.third_title.values(), default=0.0) >= TITLE_SIDE_MIN:
            values["third_in_title"] = 1.0
    if head < 1.0:
        values["body_only"] = 1.0 - head
    # A side present only through its companies ("Apple launches iPhone in India"): a company story.
    if us.firm >= us_mass - 1e-9 or india.firm >= india_mass - 1e-9:
        values["firm_only"] = 1.0
    return values


def relevance(values: dict[str, float]) -> tuple[float, dict[str, float]]:
    """Score in (0, 1) and the contribution of each non-zero feature to the logit."""
    w = weights.WEIGHTS
    contributions = {name: w[name] * value for name, value in values.items() if value}
    logit = weights.BIAS + sum(contributions.values())
    return 1.0 / (1.0 + math.exp(-logit)), contributions


def rule(tally: Tally, relevant: bool, contributions: dict[str, float]) -> str:
    """The name of what decided the verdict (see the module docstring)."""
    if relevant:
        if tally.cue >= SPECIFIC_CUE:
            return "bilateral_cue"
        if tally.us.title >= TITLE_SIDE_MIN and tally.india.title >= TITLE_SIDE_MIN:
            return "both_sides_in_title"
        return "cooccurrence"
    negatives = {name: value for name, value in contributions.items() if name in _NEGATIVE_RULES and value < -0.5}
    if negatives:
        return _NEGATIVE_RULES[min(negatives, key=negatives.__getitem__)]
    return "weak_cooccurrence"


def gate_rule(tally: Tally) -> str | None:
    """The rule that decides without a score (a side missing), or None when both sides are present."""
    us, india = tally.us.mass > 0.0, tally.india.mass > 0.0
    if us and india:
        return None
    if not us and not india:
        return "no_us_or_india"
    return "no_us_side" if not us else "no_india_side"


def topics(tally: Tally) -> tuple[tuple[str, ...], dict[str, float], str | None]:
    """Topics of a relevant article, strongest first; the topic masses; the rule used beyond the thresholds
    (``weak_topic_evidence``, ``leader_cue``, ``leaders_in_title``), if any."""
    masses = tally.topic_mass
    chosen, fallback = _chosen(tally)
    if tally.leaders_in_title == BOTH_SIDES and "diplomacy" not in chosen:
        # Leaders of both sides in the headline: the conduct of the relationship at the top (module docstring).
        ranked = sorted((*chosen, "diplomacy"), key=lambda name: (-masses.get(name, 0.0), _TOPIC_ORDER[name]))
        chosen, fallback = tuple(ranked), "leaders_in_title"
    return chosen, {name: r3(masses[name]) for name in TOPICS if name in masses}, fallback


def _chosen(tally: Tally) -> tuple[tuple[str, ...], str | None]:
    """The topics the masses choose, strongest first, and the fallback used, if any."""
    masses = tally.topic_mass
    strongest = max(masses.values(), default=0.0)
    chosen = [
        (name, mass)
        for name, mass in masses.items()
        if mass >= weights.TOPIC_THRESHOLDS[name] and mass >= weights.TOPIC_RELATIVE * strongest
    ]
    chosen.sort(key=lambda item: (-item[1], _TOPIC_ORDER[item[0]]))
    if chosen:
        return tuple(name for name, _ in chosen), None
    # No topic reached its threshold, but a relevant article is nearly always on one: the strongest
    # evidence below the thresholds (a dek's single "tariffs") is the best call, not nothing.
    if strongest >= TOPIC_FLOOR:
        weak = sorted(
            (name for name, mass in masses.items() if mass >= TOPIC_FLOOR_SHARE * strongest),
            key=lambda name: (-masses[name], _TOPIC_ORDER[name]),
        )
        return tuple(weak), "weak_topic_evidence"
    if tally.leader:
        return ("diplomacy",), "leader_cue"
    return (), None
