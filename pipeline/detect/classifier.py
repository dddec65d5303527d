"""The verdict: turns matched lexicon terms into a :class:`~pipeline.model.Classification`.

How an article is scored (every constant below is one knob; the evidence shows each factor):

1. Each field is matched separately; a mention weighs ``term weight × field weight`` (title over
   summary over body). Repeats of the same entity (or word) in a field add :data:`REPEAT_WEIGHT`
   each, up to :data:`MAX_OCCURRENCES` mentions, so a long body cannot outvote its headline.
   Title and summary are the *head*; the body's third-country and topic mass is capped.
2. The US side and the India side each saturate: ``s = 1 - exp(-mass / SIDE_SCALE)``. The pair
   strength is their geometric mean, so both sides must be present; one side alone scores 0.
3. Three penalties multiply it:
   - *focus*: the weaker side must be at least :data:`SALIENCE_FLOOR` of (its mass + third-country
     mass), else the article is about another country (US–China trade with India in passing)
     or a list of many countries;
   - *off-topic*: sports or markets mass not matched by policy (topic) mass decays the score
     exponentially (a US v India cricket match, "Sensex and Wall Street rally");
   - *anchor*: up to :data:`UNANCHORED_PENALTY` when neither side is in the headline and there is
     no topic vocabulary, and up to :data:`BODY_ONLY_PENALTY` when a side is named only in the body.
4. ``relevant = score >= RELEVANCE_THRESHOLD``. The score only grows with US, India, bilateral
   and topic evidence and only shrinks with third countries and off-topic domains.
5. Topics are weighted vocabularies; a topic is assigned when its mass reaches
   :data:`TOPIC_THRESHOLD` and :data:`TOPIC_RELATIVE` of the strongest topic's, strongest first.
   A relevant article with no topic but a leader/minister mention gets "diplomacy".

``evidence["rule"]`` names what decided: ``bilateral_cue``, ``both_sides_in_title``,
``cooccurrence`` (relevant), or ``no_us_side``, ``no_india_side``, ``no_us_or_india``,
``third_country_focus``, ``many_countries``, ``sports_without_policy``, ``markets_without_policy``,
``no_headline_anchor``, ``side_only_in_body``, ``weak_cooccurrence``.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Final

from pipeline.detect.language import detect_language
from pipeline.detect.lexicon import ALL_TERMS, DETECTOR_VERSION
from pipeline.detect.matcher import Hit, Matcher, Rejection
from pipeline.model import Classification
from pipeline.topics import TOPICS

# (field, weight for sides/countries/off-topic domains, weight for topics). Topics lean less on the headline:
# a summary that says "tariffs" settles the topic even when the headline is about a meeting.
FIELDS: Final = (("title", 1.0, 1.0), ("summary", 0.6, 0.7), ("body", 0.15, 0.3))
REPEAT_WEIGHT: Final = 0.3
MAX_OCCURRENCES: Final = 3
SIDE_SCALE: Final = 0.6
SALIENCE_FLOOR: Final = 0.6
RELEVANCE_THRESHOLD: Final = 0.5
TOPIC_THRESHOLD: Final = 0.6
TOPIC_RELATIVE: Final = 0.2  # a further topic needs this share of the strongest one's mass
SPECIFIC_CUE: Final = 0.8  # a bilateral cue at least this specific ("India-US", "iCET") names the rule
TITLE_SIDE_MIN: Final = 0.5  # side mass in the headline for "both_sides_in_title"
MANY_COUNTRIES: Final = 3  # distinct third countries that make a focus failure a "list of countries"
COUNTRY_MIN_MASS: Final = 0.3  # third-country mass that counts it as named (one summary mention)
UNANCHORED_PENALTY: Final = 0.25  # neither side in the headline and no topic vocabulary
BODY_ONLY_PENALTY: Final = 0.3  # a side named only in the body: the head is about something else
HEAD_SIDE_MIN: Final = 0.5  # head mass of the weaker side that fully anchors it (about one summary mention)
# The body may add at most this much third-country mass: long articles name many countries in
# passing, and that should not veto a headline and summary that are about the US and India.
BODY_THIRD_COUNTRY_CAP: Final = 0.5
BODY_TOPIC_CAP: Final = 0.6  # per topic, so body vocabulary cannot pile up every topic
BODY_SCAN_CHARS: Final = 20_000  # the lede carries the signal; bounds the cost of 100 kB bodies

_TOPIC_ORDER: Final = {name: index for index, name in enumerate(TOPICS)}


@functools.cache
def _matcher() -> Matcher:
    # Built on first use, not at import: workers that never classify pay nothing.
    return Matcher(ALL_TERMS)


def classify(title: str, summary: str = "", body: str = "", language: str | None = None) -> Classification:
    """Is the article about US–India relations, and on which topics? Pure and deterministic."""
    matcher = _matcher()
    tally = _Tally()
    fields = (title, summary, body[:BODY_SCAN_CHARS])
    for (field, side_weight, topic_weight), text in zip(FIELDS, fields, strict=True):
        if text:
            hits, rejected = matcher.find(text)
            tally.add(field, side_weight, topic_weight, hits, rejected)
    if language is None:
        language = detect_language(f"{title} {summary}" if summary else title)
    return tally.verdict(language)


def _r3(value: float) -> float:
    """``value`` (>= 0) to 3 decimals for readable evidence; cheaper than round(), which is hot here."""
    return int(value * 1000.0 + 0.5) / 1000.0


def _item(surface: str, field: str, weight: float) -> dict[str, Any]:
    return {"term": surface, "field": field, "weight": _r3(weight)}


class _Side:
    """One side's (US or India) mass and evidence, with ambiguous mentions held until settled."""

    __slots__ = ("evidence", "head", "mass", "name", "pending", "pending_mass", "title")

    def __init__(self, name: str) -> None:
        self.name = name
        self.mass = self.head = self.title = self.pending_mass = 0.0
        self.evidence: list[dict[str, Any]] = []
        self.pending: list[tuple[dict[str, Any], tuple[str, ...]]] = []  # (evidence, entities)

    def add(self, item: dict[str, Any], mass: float, field: str, ambiguous: bool,
            entities: tuple[str, ...]) -> None:
        if ambiguous:
            self.pending_mass += mass
            self.pending.append((item, entities))
            return
        self.mass += mass
        if field != "body":
            self.head += mass
            if field == "title":
                self.title += mass
        self.evidence.append(item)

    def settle(self, tally: _Tally) -> None:
        """Count ambiguous mentions when this side is also named unambiguously; ignore them otherwise."""
        corroborated = self.mass > 0
        for item, names in self.pending:
            if corroborated:
                self.evidence.append({**item, "ambiguous": True})
                tally.matched.setdefault(item["term"].lower(), item["term"])
                for name in names:
                    tally.entities[name] = None
            else:
                tally.ev_ignored.append({"term": item["term"], "field": item["field"],
                                         "reason": f"ambiguous without an unambiguous {self.name}-side mention"})
        if corroborated:
            self.mass += self.pending_mass


class _Tally:
    """Evidence accumulated over the fields of one article."""

    __slots__ = (
        "body_countries", "body_topics", "countries", "cue_strength", "entities", "ev_countries", "ev_cues",
        "ev_false_friends", "ev_ignored", "ev_offtopic", "ev_topics", "india", "leader", "matched", "offtopic",
        "partners", "topics", "us",
    )

    def __init__(self) -> None:
        self.us = _Side("us")
        self.india = _Side("india")
        self.cue_strength = 0.0
        self.leader = False
        self.countries: dict[str, float] = {}  # third-country mass from title and summary
        self.body_countries: dict[str, float] = {}
        self.partners: set[str] = set()
        self.topics: dict[str, float] = {}  # topic mass from title and summary
        self.body_topics: dict[str, float] = {}
        self.offtopic: dict[str, float] = {}
        self.entities: dict[str, None] = {}  # insertion-ordered set
        self.matched: dict[str, str] = {}  # lower-cased surface → first surface as written
        self.ev_cues: list[dict[str, Any]] = []
        self.ev_topics: dict[str, list[dict[str, Any]]] = {}
        self.ev_countries: list[dict[str, Any]] = []
        self.ev_offtopic: list[dict[str, Any]] = []
        self.ev_false_friends: list[dict[str, Any]] = []
        self.ev_ignored: list[dict[str, Any]] = []

    def add(self, field: str, side_weight: float, topic_weight: float, hits: list[Hit],
            rejected: list[Rejection]) -> None:
        """Fold one field's matches into the tally."""
        for surface, reason in rejected:
            self.ev_ignored.append({"term": surface, "field": field, "reason": reason})
        in_body = field == "body"
        seen: dict[str, int] = {}
        for _start, _stop, surface, terms in hits:
            for term in terms:
                key = term.entities[0] if term.entities else surface.lower()
                count = seen.get(key, 0)
                if count >= MAX_OCCURRENCES:
                    continue
                seen[key] = count + 1
                damp = REPEAT_WEIGHT if count else 1.0
                mass = damp * side_weight
                if term.us:
                    self.us.add(_item(surface, field, term.us * mass), term.us * mass, field, term.ambiguous,
                                term.entities)
                if term.india:
                    self.india.add(_item(surface, field, term.india * mass), term.india * mass, field,
                                   term.ambiguous, term.entities)
                if term.bilateral:
                    self.ev_cues.append(_item(surface, field, term.bilateral * mass))
                    if not in_body and term.bilateral > self.cue_strength:
                        self.cue_strength = term.bilateral
                if term.partners:
                    self.partners.update(term.partners)
                if term.country:
                    countries = self.body_countries if in_body else self.countries
                    countries[term.country] = countries.get(term.country, 0.0) + term.country_weight * mass
                    self.ev_countries.append(_item(surface, field, term.country_weight * mass))
                for domain, weight in term.offtopic:
                    self.offtopic[domain] = self.offtopic.get(domain, 0.0) + weight * mass
                    self.ev_offtopic.append({**_item(surface, field, weight * mass), "domain": domain})
                if term.topics:
                    topic_mass = damp * topic_weight
                    topics = self.body_topics if in_body else self.topics
                    for name, weight in term.topics:
                        topics[name] = topics.get(name, 0.0) + weight * topic_mass
                        self.ev_topics.setdefault(name, []).append(_item(surface, field, weight * topic_mass))
                if term.leader:
                    self.leader = True
                if term.false_friend:
                    self.ev_false_friends.append({"term": surface, "field": field, "reason": term.false_friend})
                if term.ambiguous:
                    continue  # entity and surface wait for settle()
                if not term.false_friend:
                    self.matched.setdefault(surface.lower(), surface)
                for name in term.entities:
                    self.entities[name] = None

    def verdict(self, language: str | None) -> Classification:
        self.us.settle(self)
        self.india.settle(self)
        us, india = self.us.mass, self.india.mass
        us_strength = 1.0 - math.exp(-us / SIDE_SCALE)
        india_strength = 1.0 - math.exp(-india / SIDE_SCALE)
        pair = math.sqrt(us_strength * india_strength)

        head = {c: m for c, m in self.countries.items() if c not in self.partners}
        body = {c: m for c, m in self.body_countries.items() if c not in self.partners}
        third_mass = sum(head.values()) + min(sum(body.values()), BODY_THIRD_COUNTRY_CAP)
        third = {c: head.get(c, 0.0) + body.get(c, 0.0) for c in (*head, *body)}
        if third_mass and pair:
            salience = min(us / (us + third_mass), india / (india + third_mass))
            focus = min(1.0, salience / SALIENCE_FLOOR)
        else:
            focus = 1.0
        for name, mass in self.body_topics.items():
            self.topics[name] = self.topics.get(name, 0.0) + min(mass, BODY_TOPIC_CAP)
        policy = sum(self.topics.values())
        offtopic_mass = sum(self.offtopic.values())
        offtopic = math.exp(-max(0.0, offtopic_mass - policy)) if offtopic_mass else 1.0
        anchored = min(1.0, self.us.title + self.india.title)
        topical = min(1.0, policy / TOPIC_THRESHOLD)
        in_head = min(1.0, min(self.us.head, self.india.head) / HEAD_SIDE_MIN)
        headline_anchor = 1.0 - UNANCHORED_PENALTY * (1.0 - max(anchored, topical))
        head_anchor = 1.0 - BODY_ONLY_PENALTY * (1.0 - in_head)
        score = pair * focus * offtopic * headline_anchor * head_anchor
        relevant = score >= RELEVANCE_THRESHOLD

        named = sum(1 for m in third.values() if m >= COUNTRY_MIN_MASS)
        factors = {"focus": focus, "offtopic": offtopic, "headline_anchor": headline_anchor,
                   "head_anchor": head_anchor}
        rule = self._rule(relevant, pair, factors, named)
        topics, fallback = self._topics(relevant)

        evidence: dict[str, Any] = {
            "rule": rule,
            "score": {
                "us_mass": _r3(us), "india_mass": _r3(india),
                "us_strength": _r3(us_strength), "india_strength": _r3(india_strength),
                "pair": _r3(pair), "focus_factor": _r3(focus), "offtopic_factor": _r3(offtopic),
                "headline_anchor_factor": _r3(headline_anchor), "head_anchor_factor": _r3(head_anchor),
                "third_country_mass": _r3(third_mass), "offtopic_mass": _r3(offtopic_mass),
                "policy_mass": _r3(policy), "relevance": round(score, 4),
                "threshold": RELEVANCE_THRESHOLD,
            },
            "us_terms": self.us.evidence,
            "india_terms": self.india.evidence,
            "bilateral_cues": self.ev_cues,
            "topic_scores": {name: _r3(self.topics[name]) for name in TOPICS if name in self.topics},
            "topic_terms": {name: self.ev_topics[name] for name in TOPICS if name in self.ev_topics},
            "topic_threshold": TOPIC_THRESHOLD,
            "third_countries": {c: _r3(m) for c, m in third.items()},
            "third_country_terms": self.ev_countries,
            "offtopic_domains": {d: _r3(m) for d, m in self.offtopic.items()},
            "offtopic_terms": self.ev_offtopic,
            "false_friends": self.ev_false_friends,
            "ignored": self.ev_ignored,
            "language": language,
            "detector_version": DETECTOR_VERSION,
        }
        if self.partners:
            evidence["partners_not_counted"] = sorted(self.partners)
        if fallback:
            evidence["topic_fallback"] = fallback
        return Classification(
            relevant=relevant,
            relevance_score=round(score, 4),
            topics=topics,
            entities=tuple(self.entities),
            matched_terms=tuple(self.matched.values()),
            evidence=evidence,
        )

    def _rule(self, relevant: bool, pair: float, factors: dict[str, float], named: int) -> str:
        if relevant:
            if self.cue_strength >= SPECIFIC_CUE:
                return "bilateral_cue"
            if self.us.title >= TITLE_SIDE_MIN and self.india.title >= TITLE_SIDE_MIN:
                return "both_sides_in_title"
            return "cooccurrence"
        if not self.us.mass and not self.india.mass:
            return "no_us_or_india"
        if not self.us.mass:
            return "no_us_side"
        if not self.india.mass:
            return "no_india_side"
        if pair >= RELEVANCE_THRESHOLD:  # a penalty decided: name the strongest one
            decisive = min(factors, key=factors.__getitem__)
            if decisive == "offtopic":
                return f"{max(self.offtopic, key=self.offtopic.__getitem__)}_without_policy"
            if decisive == "headline_anchor":
                return "no_headline_anchor"
            if decisive == "head_anchor":
                return "side_only_in_body"
            return "many_countries" if named >= MANY_COUNTRIES else "third_country_focus"
        return "weak_cooccurrence"

    def _topics(self, relevant: bool) -> tuple[tuple[str, ...], str | None]:
        if not relevant:
            return (), None
        floor = max(TOPIC_THRESHOLD, TOPIC_RELATIVE * max(self.topics.values(), default=0.0))
        strong = [(name, mass) for name, mass in self.topics.items() if mass >= floor]
        strong.sort(key=lambda item: (-item[1], _TOPIC_ORDER[item[0]]))
        if strong:
            return tuple(name for name, _ in strong), None
        if self.leader:
            return ("diplomacy",), "leader_cue"
        return (), None
