"""The lexicon schema: what one gazetteer entry (a :class:`Term`) can say about the text it matches.

A term is a set of surface forms plus the evidence it contributes when one of them is found:
weight towards the US side or the India side, a bilateral cue, a third country, an off-topic
domain (sport, markets), topic weights, canonical entity names, or a false-friend note saying
that it is *not* what it looks like. The lexicon modules (:mod:`pipeline.detect.lexicon`) are
plain data built with the small constructors here; :mod:`pipeline.detect.matcher` compiles
them and :mod:`pipeline.detect.classifier` scores them.

Weights are unitless, roughly "1.0 = one unmistakable mention in a headline".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Guards are named context checks a term can require; the matcher owns their implementations.
GUARD_US_CAPS = "us_caps"  # "US" in an all-caps passage may be the pronoun

# Off-topic domains: stories that name both countries with no relationship between them
# (a US v India match, "Sensex and Wall Street rally").
SPORTS = "sports"
MARKETS = "markets"
OFFTOPIC_DOMAINS = (SPORTS, MARKETS)


@dataclass(frozen=True, slots=True)
class Term:
    """One gazetteer entry. See the module docstring for what the fields mean."""

    surfaces: tuple[str, ...]
    entities: tuple[str, ...] = ()  # canonical person/org/place names, e.g. ("Narendra Modi",)
    us: float = 0.0  # weight towards "the US side is an actor here"
    india: float = 0.0  # weight towards "the India side is an actor here"
    bilateral: float = 0.0  # how specifically the term names the US–India relationship (1.0 = "India-US")
    country: str | None = None  # a third country this term names (distracts from a US–India reading)
    country_weight: float = 0.0  # how strongly it names that country (a capital less than the name)
    topics: tuple[tuple[str, float], ...] = ()  # (topic, weight) pairs
    offtopic: tuple[tuple[str, float], ...] = ()  # (domain, weight): "this is a sports/markets story"
    false_friend: str | None = None  # why the phrase looks like a US/India term but is not one
    leader: bool = False  # a head of government or minister: allows the "diplomacy" fallback topic
    ambiguous: bool = False  # counts for its side only when an unambiguous term of that side is present
    partners: tuple[str, ...] = ()  # third countries the cue implies, not counted as distractors
    case_sensitive: bool = False  # match the surface exactly as written (acronyms: "US", "MEA", "Quad")
    prefix: bool = False  # a stem: no word boundary needed on the right (inflected Hindi)
    guard: str | None = None  # name of an extra context check (see GUARD_*)


def _names(entity: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if entity is None:
        return ()
    return (entity,) if isinstance(entity, str) else entity


def _topics(topics: Mapping[str, float] | None) -> tuple[tuple[str, float], ...]:
    return tuple(topics.items()) if topics else ()


def us(
    *surfaces: str,
    w: float = 1.0,
    entity: str | None = None,
    topics: Mapping[str, float] | None = None,
    leader: bool = False,
    ambiguous: bool = False,
    cs: bool = False,
    prefix: bool = False,
    guard: str | None = None,
) -> Term:
    """A US-side actor: the country, its government, institutions and officials."""
    return Term(surfaces, entities=_names(entity), us=w, topics=_topics(topics), leader=leader, ambiguous=ambiguous,
                case_sensitive=cs, prefix=prefix, guard=guard)


def india(
    *surfaces: str,
    w: float = 1.0,
    entity: str | None = None,
    topics: Mapping[str, float] | None = None,
    leader: bool = False,
    ambiguous: bool = False,
    cs: bool = False,
    prefix: bool = False,
) -> Term:
    """An India-side actor: the country, its government, institutions and officials."""
    return Term(surfaces, entities=_names(entity), india=w, topics=_topics(topics), leader=leader, ambiguous=ambiguous,
                case_sensitive=cs, prefix=prefix)


def cue(
    *surfaces: str,
    us: float,
    india: float,
    bilateral: float,
    entity: str | tuple[str, ...] | None = None,
    topics: Mapping[str, float] | None = None,
    partners: tuple[str, ...] = (),
    cs: bool = False,
    prefix: bool = False,
) -> Term:
    """A bilateral cue: a phrase that names the relationship itself ("India-US", "iCET", "Quad")."""
    return Term(surfaces, entities=_names(entity), us=us, india=india, bilateral=bilateral, topics=_topics(topics),
                partners=partners, case_sensitive=cs, prefix=prefix)


def topic(name: str, w: float, *surfaces: str, entity: str | None = None, cs: bool = False,
          prefix: bool = False, also: Mapping[str, float] | None = None) -> Term:
    """A topic term: ``w`` towards topic ``name`` (and ``also`` towards others)."""
    weights = {name: w, **(also or {})}
    return Term(surfaces, entities=_names(entity), topics=_topics(weights), case_sensitive=cs, prefix=prefix)


def other(country: str, *surfaces: str, w: float = 1.0, topics: Mapping[str, float] | None = None,
          cs: bool = False, prefix: bool = False, entity: str | None = None) -> Term:
    """A third country (or bloc), by name, demonym, capital or leader."""
    return Term(surfaces, entities=_names(entity or country), country=country, country_weight=w, topics=_topics(topics),
                case_sensitive=cs, prefix=prefix)


def sport(*surfaces: str, w: float = 1.0, entity: str | None = None, us: float = 0.0, india: float = 0.0,
          cs: bool = False, prefix: bool = False) -> Term:
    """A sports cue: competitions, teams and vocabulary that mark a sports story."""
    return Term(surfaces, entities=_names(entity), offtopic=((SPORTS, w),), us=us, india=india, case_sensitive=cs,
                prefix=prefix)


def markets(*surfaces: str, w: float = 1.0, entity: str | None = None, cs: bool = False,
            prefix: bool = False) -> Term:
    """A financial-markets cue: indices and vocabulary of a markets report."""
    return Term(surfaces, entities=_names(entity), offtopic=((MARKETS, w),), case_sensitive=cs, prefix=prefix)


def false_friend(
    reason: str,
    *surfaces: str,
    entity: str | None = None,
    sport: float = 0.0,
    us: float = 0.0,
    india: float = 0.0,
    country: str | None = None,
    topics: Mapping[str, float] | None = None,
    cs: bool = False,
    prefix: bool = False,
) -> Term:
    """A phrase containing a US/India word that does not mean the US/India actor.

    Matching is leftmost-longest, so the phrase wins over the word inside it; whatever
    weights are given here replace the word's.
    """
    return Term(surfaces, entities=_names(entity), offtopic=((SPORTS, sport),) if sport else (), us=us,
                india=india, country=country,
                country_weight=1.0 if country else 0.0, topics=_topics(topics), false_friend=reason,
                case_sensitive=cs, prefix=prefix)
