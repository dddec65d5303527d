"""The lexicon schema: what one gazetteer entry (a :class:`Term`) can say about the text it matches.

A term is a set of surface forms plus the evidence it contributes when one of them is found:
weight towards the US side or the India side (and whether it names a *state actor* — the country,
its government, leaders, institutions, armed forces — or only people, places or firms of that
side), a bilateral cue, a third country, an off-topic domain (sport, markets, culture, human
interest, consumer news, a generic reaction), topic weights, canonical entity names, or a
false-friend note saying that it is *not* what it looks like. The lexicon modules
(:mod:`pipeline.detect.lexicon`) are plain data built with the small constructors here;
:mod:`pipeline.detect.matcher` compiles them and :mod:`pipeline.detect.scoring` scores them.

Weights are unitless, roughly "1.0 = one unmistakable mention in a headline".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Guards are named context checks a term can require; the matcher owns their implementations.
GUARD_US_CAPS = "us_caps"  # "US" in an all-caps passage may be the pronoun

# Off-topic domains: stories that name both countries with no relationship between them.
SPORTS = "sports"  # a US v India match, an Indian player in a US league
MARKETS = "markets"  # "Sensex and Wall Street rally"
CULTURE = "culture"  # films, food, festivals, yoga, travel
HUMAN = "human_interest"  # crime, accidents, obituaries, awards and personal stories
CONSUMER = "consumer"  # product launches, prices, sales, store openings
REACTION = "reaction"  # a generic call for calm: one reaction among many, not a role
OFFTOPIC_DOMAINS = (SPORTS, MARKETS, CULTURE, HUMAN, CONSUMER, REACTION)

# What a side term names. Only "state" terms are actors of the relationship on their own.
STATE, PEOPLE, PLACE, FIRM = "state", "people", "place", "firm"
SIDE_KINDS = (STATE, PEOPLE, PLACE, FIRM)


@dataclass(frozen=True, slots=True)
class Term:
    """One gazetteer entry. See the module docstring for what the fields mean."""

    surfaces: tuple[str, ...]
    entities: tuple[str, ...] = ()  # canonical person/org/place names, e.g. ("Narendra Modi",)
    us: float = 0.0  # weight towards "the US side is present here"
    india: float = 0.0  # weight towards "the India side is present here"
    kind: str = STATE  # what a side term names: state actor, people, place or firm (see SIDE_KINDS)
    bilateral: float = 0.0  # how specifically the term names the US–India relationship (1.0 = "India-US")
    country: str | None = None  # a third country this term names (distracts from a US–India reading)
    country_weight: float = 0.0  # how strongly it names that country (a capital less than the name)
    topics: tuple[tuple[str, float], ...] = ()  # (topic, weight) pairs
    offtopic: tuple[tuple[str, float], ...] = ()  # (domain, weight): "this is a sports/markets story"
    false_friend: str | None = None  # why the phrase looks like a US/India term but is not one
    leader: bool = False  # a head of government or minister: allows the "diplomacy" fallback topic
    ambiguous: bool = False  # counts for its side only when an unambiguous term of that side is present
    partners: tuple[str, ...] = ()  # third countries the cue implies, not counted as distractors
    listing: bool = False  # introduces a list of subjects ("discussed trade, energy and defence")
    case_sensitive: bool = False  # match the surface exactly as written (acronyms: "US", "MEA", "Quad")
    prefix: bool = False  # a stem: no word boundary needed on the right (inflected Hindi)
    guard: str | None = None  # name of an extra context check (see GUARD_*)
    # Derived: the term only carries topic weights (most topic words); the tally takes a short path.
    topic_only: bool = field(default=False, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        only = bool(self.topics) and not (
            self.us
            or self.india
            or self.bilateral
            or self.country
            or self.offtopic
            or self.false_friend
            or self.leader
            or self.listing
            or self.entities
            or self.ambiguous
            or self.partners
        )
        object.__setattr__(self, "topic_only", only)

    @property
    def actor(self) -> bool:
        """Whether the term names a state actor of its side (not only its people, places or firms)."""
        return self.kind == STATE and (self.us > 0.0 or self.india > 0.0)


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
    kind: str = STATE,
    topics: Mapping[str, float] | None = None,
    leader: bool = False,
    ambiguous: bool = False,
    cs: bool = False,
    prefix: bool = False,
    guard: str | None = None,
) -> Term:
    """A US-side term: the country, its government, institutions and officials (``kind`` says which)."""
    return Term(
        surfaces,
        entities=_names(entity),
        us=w,
        kind=kind,
        topics=_topics(topics),
        leader=leader,
        ambiguous=ambiguous,
        case_sensitive=cs,
        prefix=prefix,
        guard=guard,
    )


def india(
    *surfaces: str,
    w: float = 1.0,
    entity: str | None = None,
    kind: str = STATE,
    topics: Mapping[str, float] | None = None,
    leader: bool = False,
    ambiguous: bool = False,
    cs: bool = False,
    prefix: bool = False,
) -> Term:
    """An India-side term: the country, its government, institutions and officials (``kind`` says which)."""
    return Term(
        surfaces,
        entities=_names(entity),
        india=w,
        kind=kind,
        topics=_topics(topics),
        leader=leader,
        ambiguous=ambiguous,
        case_sensitive=cs,
        prefix=prefix,
    )


def cue(
    *surfaces: str,
    us: float,
    india: float,
    bilateral: float,
    entity: str | tuple[str, ...] | None = None,
    topics: Mapping[str, float] | None = None,
    partners: tuple[str, ...] = (),
    kind: str = STATE,
    cs: bool = False,
    prefix: bool = False,
) -> Term:
    """A bilateral cue: a phrase that names the relationship itself ("India-US", "iCET", "Quad")."""
    return Term(
        surfaces,
        entities=_names(entity),
        us=us,
        india=india,
        kind=kind,
        bilateral=bilateral,
        topics=_topics(topics),
        partners=partners,
        case_sensitive=cs,
        prefix=prefix,
    )


def topic(
    name: str,
    w: float,
    *surfaces: str,
    entity: str | None = None,
    cs: bool = False,
    prefix: bool = False,
    also: Mapping[str, float] | None = None,
) -> Term:
    """A topic term: ``w`` towards topic ``name`` (and ``also`` towards others)."""
    weights = {name: w, **(also or {})}
    return Term(surfaces, entities=_names(entity), topics=_topics(weights), case_sensitive=cs, prefix=prefix)


def listing(*surfaces: str, cs: bool = False, prefix: bool = False) -> Term:
    """A word that introduces subjects merely listed ("discussed", "reviewed"): topic words after it count less."""
    return Term(surfaces, listing=True, case_sensitive=cs, prefix=prefix)


def neutral(*surfaces: str, cs: bool = False, prefix: bool = False) -> Term:
    """A phrase that contains a lexicon word but means nothing here ("हितों की रक्षा", protecting interests).

    Matching is leftmost-longest, so the phrase hides the word inside it.
    """
    return Term(surfaces, case_sensitive=cs, prefix=prefix)


def other(
    country: str,
    *surfaces: str,
    w: float = 1.0,
    topics: Mapping[str, float] | None = None,
    cs: bool = False,
    prefix: bool = False,
    entity: str | None = None,
) -> Term:
    """A third country (or bloc), by name, demonym, capital or leader."""
    return Term(
        surfaces,
        entities=_names(entity or country),
        country=country,
        country_weight=w,
        topics=_topics(topics),
        case_sensitive=cs,
        prefix=prefix,
    )


def offtopic(
    domain: str,
    *surfaces: str,
    w: float = 1.0,
    entity: str | None = None,
    us: float = 0.0,
    india: float = 0.0,
    kind: str = PEOPLE,
    cs: bool = False,
    prefix: bool = False,
) -> Term:
    """A cue of an off-topic domain (see OFFTOPIC_DOMAINS); may also name a side weakly (a player)."""
    return Term(
        surfaces,
        entities=_names(entity),
        offtopic=((domain, w),),
        us=us,
        india=india,
        kind=kind,
        case_sensitive=cs,
        prefix=prefix,
    )


def sport(
    *surfaces: str,
    w: float = 1.0,
    entity: str | None = None,
    us: float = 0.0,
    india: float = 0.0,
    cs: bool = False,
    prefix: bool = False,
) -> Term:
    """A sports cue: competitions, teams and vocabulary that mark a sports story."""
    return offtopic(SPORTS, *surfaces, w=w, entity=entity, us=us, india=india, cs=cs, prefix=prefix)


def markets(*surfaces: str, w: float = 1.0, entity: str | None = None, cs: bool = False, prefix: bool = False) -> Term:
    """A financial-markets cue: indices and vocabulary of a markets report."""
    return offtopic(MARKETS, *surfaces, w=w, entity=entity, cs=cs, prefix=prefix)


def false_friend(
    reason: str,
    *surfaces: str,
    entity: str | None = None,
    sport: float = 0.0,
    us: float = 0.0,
    india: float = 0.0,
    kind: str = PEOPLE,
    country: str | None = None,
    topics: Mapping[str, float] | None = None,
    cs: bool = False,
    prefix: bool = False,
) -> Term:
    """A phrase containing a US/India word that does not mean the US/India actor.

    Matching is leftmost-longest, so the phrase wins over the word inside it; whatever
    weights are given here replace the word's (and never as a state actor).
    """
    return Term(
        surfaces,
        entities=_names(entity),
        offtopic=((SPORTS, sport),) if sport else (),
        us=us,
        india=india,
        kind=kind,
        country=country,
        country_weight=1.0 if country else 0.0,
        topics=_topics(topics),
        false_friend=reason,
        case_sensitive=cs,
        prefix=prefix,
    )


def each(factory: Callable[..., Term], *names: str | tuple[str, ...], **options: Any) -> tuple[Term, ...]:
    """One term per name, each its own entity; a tuple is (canonical name, alias, ...).

    ``each(india, "Mumbai", ("Bengaluru", "Bangalore"), w=0.5, kind=PLACE)`` makes two terms whose
    entities are "Mumbai" and "Bengaluru".
    """
    made = []
    for name in names:
        surfaces = (name,) if isinstance(name, str) else name
        made.append(factory(*surfaces, entity=surfaces[0], **options))
    return tuple(made)
