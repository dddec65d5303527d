"""Folding matched lexicon terms into per-article masses and evidence (the detector's raw features).

Each field is matched separately and its mentions weigh ``term weight × field weight``
(:data:`FIELD_WEIGHTS`): the headline most, then the summary, the body's lede (its first
:data:`LEDE_CHARS` characters) and the rest of the body. Title and summary say what the article is
about (a side's ``head`` mass); the lede adds to the sides, topics, third countries and off-topic
domains; the rest of the body can add at most :data:`BODY_CAP` to each, so a long body cannot
outvote its headline. Bilateral cues count from title and summary only. Repeats of the
same entity (or word) in a field count :data:`REPEAT_WEIGHT` each, up to :data:`MAX_OCCURRENCES`.

Topic words enumerated after a listing word in the same sentence of a summary or body ("they
discussed trade, energy and defence") are subjects mentioned, not what the article reports:
when such an enumeration spans two or more topics, each of its words counts :data:`LIST_DAMP`.
A side named right after a preposition ("tariffs on India", "talks with Washington"), a verb of
dealing ("to sell India jets", "presses Delhi") or before a Hindi postposition ("भारत पर") is acted
upon: a bilateral cue of strength :data:`INTERACTION_CUE`.
Ambiguous terms ("Congress", "rupee") count for their side only if that side is also named
unambiguously.

Evidence items are ``{"term": surface as written, "field": title|summary|lede|body, "weight":
the lexicon weight}``; the field weight and repeats scale that weight in the masses.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from pipeline.detect.matcher import SEPARATOR_LENGTH, Hit, Rejection, Scan, rejected_by_field
from pipeline.detect.terms import FIRM, STATE, Term

# field → (side/country/off-topic weight, topic weight)
FIELD_WEIGHTS: Final[dict[str, tuple[float, float]]] = {
    "title": (1.0, 1.0),
    "summary": (0.6, 0.75),
    "lede": (0.45, 0.5),
    "body": (0.12, 0.2),
}
LEDE_CHARS: Final = 400
REPEAT_WEIGHT: Final = 0.3
MAX_OCCURRENCES: Final = 3
LIST_DAMP: Final = 0.35
INTERACTION_CUE: Final = 0.3  # bilateral-cue strength of a side named as the object of a preposition
BODY_CAP: Final = 0.4  # what the rest of the body may add per side, country, domain and topic
_FIELDS: Final = ("title", "summary", "body")
_SIDE_WEIGHTS: Final = tuple(FIELD_WEIGHTS[name][0] for name in ("title", "summary", "lede", "body"))
_LEAD_END: Final = re.compile(r"[.!?।](?:\s|$)")  # the end of the summary's first sentence
# Text between two enumerated topic words ("trade, energy and defence").
_SEPARATORS: Final = frozenset(
    {
        ",",
        "and",
        ", and",
        "or",
        ", or",
        "&",
        "/",
        ";",
        "as well as",
        "and the",
        ", the",
        ", and the",
        "and a",
        "and its",
    }
)


def r3(value: float) -> float:
    """``value`` (>= 0) to 3 decimals for readable evidence; cheaper than round()."""
    return int(value * 1000.0 + 0.5) / 1000.0


class Side:
    """One side's (US or India) masses and evidence, with ambiguous mentions held until settled."""

    __slots__ = (
        "actor",
        "body",
        "evidence",
        "firm",
        "head",
        "lead",
        "lead_actor",
        "lede",
        "mass",
        "name",
        "pending",
        "title",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        # head: title + summary; lede: the body's first LEDE_CHARS; body: the rest (capped)
        self.head = self.lede = self.body = self.title = self.actor = self.mass = 0.0
        self.firm = 0.0  # mass of the side's firms (a company story when it is all the side has)
        # mass in the lead (title + the summary's first sentence): the story's principals; of it, state actors
        self.lead = self.lead_actor = 0.0
        self.evidence: list[dict[str, Any]] = []
        self.pending: list[tuple[dict[str, Any], float, str, bool, tuple[str, ...]]] = []

    def settle(self, tally: Tally) -> None:
        """Count ambiguous mentions when this side is also named unambiguously; ignore them otherwise."""
        corroborated = self.head + self.lede + self.body > 0
        for item, mass, where, actor, names in self.pending:
            if corroborated:
                item["ambiguous"] = True
                self.evidence.append(item)
                if where == "body":
                    self.body += mass
                elif where == "lede":
                    self.lede += mass
                else:
                    self.head += mass
                    self.title += mass if where == "title" else 0.0
                    self.actor += mass if actor else 0.0
                tally.matched.setdefault(item["term"].lower(), item["term"])
                for name in names:
                    tally.entities.setdefault(name, None)
            else:
                tally.ignored.append(
                    {
                        "term": item["term"],
                        "field": item["field"],
                        "reason": f"ambiguous without an unambiguous {self.name}-side mention",
                    }
                )
        self.mass = self.head + self.lede + min(self.body, BODY_CAP)


class Tally:
    """Evidence accumulated over the fields of one article; :meth:`add_field` per field, then :meth:`settle`.

    After :meth:`settle`, ``topic_mass``, ``offtopic_mass`` and ``third_countries`` hold the head plus
    the capped body per topic, domain and third country (without the partners a cue implies).
    """

    __slots__ = (
        "body_mass",
        "cue",
        "cues",
        "entities",
        "false_friends",
        "ignored",
        "india",
        "leader",
        "leaders_in_title",
        "matched",
        "offtopic_mass",
        "offtopic_terms",
        "partners",
        "third_countries",
        "third_terms",
        "third_title",
        "topic_mass",
        "topic_terms",
        "us",
    )

    def __init__(self) -> None:
        self.us = Side("us")
        self.india = Side("india")
        self.cue = 0.0  # strongest bilateral cue in title or summary
        self.leader = False
        self.leaders_in_title = 0  # side mask (1 US, 2 India) of the leaders the headline names
        self.partners: set[str] = set()
        # Head masses; the rest of the body goes to body_mass[(kind, key)] and is capped in settle().
        self.topic_mass: dict[str, float] = {}
        self.offtopic_mass: dict[str, float] = {}
        self.third_countries: dict[str, float] = {}
        self.third_title: dict[str, float] = {}  # third countries named in the headline
        self.body_mass: dict[tuple[str, str], float] = {}
        self.entities: dict[str, None] = {}  # insertion-ordered set
        self.matched: dict[str, str] = {}  # lower-cased surface → first surface as written
        self.cues: list[dict[str, Any]] = []
        self.topic_terms: dict[str, list[dict[str, Any]]] = {}
        self.third_terms: list[dict[str, Any]] = []
        self.offtopic_terms: list[dict[str, Any]] = []
        self.false_friends: list[dict[str, Any]] = []
        self.ignored: list[dict[str, Any]] = []

    # Complexity: one flat loop over every match of every article, the classifier's hot path; helper calls
    # per match cost more than the branches (python -m benchmarks.bench_classify).
    def add_field(  # noqa: C901
        self, field: str, text: str, hits: list[Hit], rejected: list[Rejection], full: bool = True
    ) -> None:
        """Fold one field's matches (from :meth:`Matcher.find`) into the tally. ``field``: title, summary or body.

        With ``full=False`` only what a verdict without a score needs is kept (sides, entities, matched
        terms, false friends): for articles that do not name both sides (see :meth:`Matcher.scan`).
        """
        # One flat loop without helper calls: it runs for every match of every article.
        for surface, reason in rejected:
            self.ignored.append({"term": surface, "field": field, "reason": reason})
        seen: dict[str, int] = {}
        deferred: list[tuple[int, int, str, Term, float, str]] = []  # topic matches after a listing word
        listings: list[int] = []  # where listing words end (never in a title: its list is its subject)
        is_body = field == "body"
        where = field
        if field == "title":
            lead_end = len(text)
        elif field == "summary":
            sentence = _LEAD_END.search(text)
            lead_end = sentence.end() if sentence else len(text)
        else:
            lead_end = -1
        side_w, topic_w = FIELD_WEIGHTS[field]
        head = not is_body
        us, india = self.us, self.india
        topic_mass, topic_terms, body_mass = self.topic_mass, self.topic_terms, self.body_mass
        matched, entities = self.matched, self.entities
        for start, stop, surface, terms in hits:
            if is_body:
                where = "body" if start >= LEDE_CHARS else "lede"
                side_w, topic_w = FIELD_WEIGHTS[where]
                head = where == "lede"
            for term in terms:
                if term.listing:
                    if field != "title":
                        listings.append(stop)
                    continue
                names = term.entities
                key = names[0] if names else surface
                count = seen.get(key, 0)
                if count >= MAX_OCCURRENCES:
                    continue
                seen[key] = count + 1
                topic_only = term.topic_only  # the common case, short: a topic word
                if topic_only:
                    matched.setdefault(surface.lower(), surface)
                    if not full:
                        continue
                else:
                    mass = side_w if not count else REPEAT_WEIGHT * side_w
                if not topic_only and (term.us or term.india):
                    actor = term.kind == STATE
                    for side in (us, india) if term.us and term.india else (us,) if term.us else (india,):
                        weight = term.us if side is us else term.india
                        item = {"term": surface, "field": where, "weight": weight}
                        if not actor:
                            item["kind"] = term.kind
                        weight *= mass
                        if term.ambiguous:
                            side.pending.append((item, weight, where, actor, names))
                            continue
                        side.evidence.append(item)
                        if start < lead_end:
                            side.lead += weight
                            if actor:
                                side.lead_actor += weight
                        if term.kind == FIRM:
                            side.firm += weight
                        if not is_body:
                            side.head += weight
                            if field == "title":
                                side.title += weight
                            if actor:
                                side.actor += weight
                        elif head:
                            side.lede += weight
                        else:
                            side.body += weight
                    if full and where != "lede" and not term.false_friend and _interaction(text, start, stop):
                        # "tariffs on India", "talks with Washington", "भारत पर": the side is acted upon.
                        self.cues.append(
                            {"term": surface, "field": where, "weight": INTERACTION_CUE, "interaction": True}
                        )
                        self.cue = max(self.cue, INTERACTION_CUE)
                if not topic_only:
                    if term.false_friend:
                        self.false_friends.append({"term": surface, "field": where, "reason": term.false_friend})
                    elif not term.ambiguous:
                        matched.setdefault(surface.lower(), surface)
                    if names and not term.ambiguous:  # an ambiguous term's entities wait for settle()
                        for name in names:
                            entities.setdefault(name, None)
                    if term.leader:
                        self.leader = True
                        if field == "title" and not term.ambiguous:
                            self.leaders_in_title |= (1 if term.us else 0) | (2 if term.india else 0)
                    if not full:
                        continue
                if term.topics:
                    weight = topic_w if not count else REPEAT_WEIGHT * topic_w
                    if listings:
                        deferred.append((start, stop, surface, term, weight, where))
                    else:
                        for name, w in term.topics:
                            if head:
                                topic_mass[name] = topic_mass.get(name, 0.0) + w * weight
                            else:
                                body_mass["topic", name] = body_mass.get(("topic", name), 0.0) + w * weight
                            item = {"term": surface, "field": where, "weight": w}
                            if name in topic_terms:
                                topic_terms[name].append(item)
                            else:
                                topic_terms[name] = [item]
                if topic_only:
                    continue
                if term.bilateral:
                    self.cues.append({"term": surface, "field": where, "weight": term.bilateral})
                    if not is_body and term.bilateral > self.cue:  # a cue in the lede is evidence only
                        self.cue = term.bilateral
                    if term.partners:
                        self.partners.update(term.partners)
                if term.country:
                    self.third_terms.append(
                        {"term": surface, "field": where, "country": term.country, "weight": term.country_weight}
                    )
                    if head:
                        self.third_countries[term.country] = (
                            self.third_countries.get(term.country, 0.0) + term.country_weight * mass
                        )
                        if field == "title":
                            self.third_title[term.country] = (
                                self.third_title.get(term.country, 0.0) + term.country_weight * mass
                            )
                    else:
                        body_mass["country", term.country] = (
                            body_mass.get(("country", term.country), 0.0) + term.country_weight * mass
                        )
                for domain, weight in term.offtopic:
                    self.offtopic_terms.append({"term": surface, "field": where, "domain": domain, "weight": weight})
                    if head:
                        self.offtopic_mass[domain] = self.offtopic_mass.get(domain, 0.0) + weight * mass
                    else:
                        body_mass["offtopic", domain] = body_mass.get(("offtopic", domain), 0.0) + weight * mass
        if deferred:
            self._add_topics(deferred, _enumerated(text, deferred, listings))

    def add_gated(self, found: Scan) -> None:  # noqa: C901 (hot path, as add_field)
        """:meth:`add_field` with ``full=False`` for the title, summary and body at once: the same tally, less work.

        Most articles of a feed do not name both sides and are decided by a gate, so this is what nearly every
        article costs. It keeps only what such a verdict reports (side masses and terms, matched terms,
        entities, false friends, ignored matches) and skips what only a score reads (lead, title, actor and
        firm masses, the summary's first sentence). It reads the matcher's spans over the joined fields
        (:meth:`Matcher.spans <pipeline.detect.matcher.Matcher.spans>`) without splitting them into
        per-field hits first. ``classify(..., fast=False)`` takes :meth:`add_field` instead; the unit tests
        check both give the same verdict on every labelled item.
        """
        texts, joined = found.texts, found.joined
        if found.rejected:
            for name, rejected in zip(_FIELDS, rejected_by_field(found), strict=True):
                self.ignored.extend({"term": surface, "field": name, "reason": reason} for surface, reason in rejected)
        spans = found.spans
        if not spans:
            return
        us, india = self.us, self.india
        matched, entities, false_friends = self.matched, self.entities, self.false_friends
        title_w, summary_w, lede_w, body_w = _SIDE_WEIGHTS
        # Spans are in text order and none crosses a separator: a field starts when a span starts past the
        # current field's end. field 0 title, 1 summary, 2 body.
        field, offset, end = 0, 0, len(texts[0])
        where, side_w, slot = "title", title_w, 0  # slot 0: head (title, summary), 1: lede, 2: rest of the body
        seen: dict[str, int] = {}
        for start, stop, terms, _sides in spans:
            if start >= end:
                while start >= end:
                    field += 1
                    offset = end + SEPARATOR_LENGTH
                    end = offset + len(texts[field])
                seen = {}
                if field == 1:
                    where, side_w = "summary", summary_w
            if field == 2:
                if start - offset >= LEDE_CHARS:
                    where, side_w, slot = "body", body_w, 2
                else:
                    where, side_w, slot = "lede", lede_w, 1
            surface = joined[start:stop]
            for term in terms:
                if term.listing:
                    continue
                names = term.entities
                key = names[0] if names else surface
                count = seen.get(key, 0)
                if count >= MAX_OCCURRENCES:
                    continue
                seen[key] = count + 1
                if term.topic_only:
                    matched.setdefault(surface.lower(), surface)
                    continue
                if term.us or term.india:
                    mass = side_w if not count else REPEAT_WEIGHT * side_w
                    actor = term.kind == STATE
                    for side in (us, india) if term.us and term.india else (us,) if term.us else (india,):
                        weight = term.us if side is us else term.india
                        item = {"term": surface, "field": where, "weight": weight}
                        if not actor:
                            item["kind"] = term.kind
                        weight *= mass
                        if term.ambiguous:
                            side.pending.append((item, weight, where, actor, names))
                            continue
                        side.evidence.append(item)
                        if slot == 0:
                            side.head += weight
                        elif slot == 1:
                            side.lede += weight
                        else:
                            side.body += weight
                if term.false_friend:
                    false_friends.append({"term": surface, "field": where, "reason": term.false_friend})
                elif not term.ambiguous:
                    matched.setdefault(surface.lower(), surface)
                if names and not term.ambiguous:
                    for name in names:
                        entities.setdefault(name, None)
                if term.leader:
                    self.leader = True

    def _add_topics(self, topical: list[tuple[int, int, str, Term, float, str]], damped: set[int]) -> None:
        for index, (_start, _stop, surface, term, scale, where) in enumerate(topical):
            weight = scale * LIST_DAMP if index in damped else scale
            for name, w in term.topics:
                if where == "body":
                    self.body_mass["topic", name] = self.body_mass.get(("topic", name), 0.0) + w * weight
                else:
                    self.topic_mass[name] = self.topic_mass.get(name, 0.0) + w * weight
                item = {"term": surface, "field": where, "weight": w}
                if index in damped:
                    item["listed"] = True
                self.topic_terms.setdefault(name, []).append(item)

    def settle(self) -> None:
        """Resolve ambiguous mentions, add the capped body masses; call once, after the last field."""
        self.us.settle(self)
        self.india.settle(self)
        sinks = {"topic": self.topic_mass, "offtopic": self.offtopic_mass, "country": self.third_countries}
        for (kind, key), mass in self.body_mass.items():
            sink = sinks[kind]
            sink[key] = sink.get(key, 0.0) + min(mass, BODY_CAP)
        for partner in self.partners:
            self.third_countries.pop(partner, None)
            self.third_title.pop(partner, None)


def saturate(mass: float, scale: float = 1.0) -> float:
    """``1 - exp(-mass / scale)``: 0 for no mass, approaching 1."""
    return 1.0 - math.exp(-mass / scale) if mass > 0.0 else 0.0


def _enumerated(text: str, topical: list[tuple[int, int, str, Term, float, str]], listings: list[int]) -> set[int]:
    """Indexes of topic hits enumerated after a listing word (same sentence) that span two or more topics."""
    damped: set[int] = set()
    group: list[int] = []

    def close() -> None:
        if len(group) > 1 and len({name for i in group for name, _ in topical[i][3].topics}) > 1:
            damped.update(group)
        group.clear()

    for index, (start, _stop, _surface, _term, _weight, _where) in enumerate(topical):
        opened = max((end for end in listings if end <= start), default=-1)
        if opened < 0 or _SENTENCE_END.search(text, opened, start):
            close()
            continue
        if group:
            gap = text[topical[group[-1]][1] : start].strip().lower()
            if gap not in _SEPARATORS:
                close()
        group.append(index)
    close()
    return damped


_SENTENCE_END: Final = re.compile(r"[.!?।;]\s")

# A side term right after one of these prepositions or verbs (English) or before one of these postpositions
# (Hindi) is the object of an interaction: "tariffs on India", "talks with the US", "भारत पर शुल्क".
_PREPOSITIONS: Final = frozenset({"with", "to", "from", "on", "against", "for", "towards", "into", "over", "by"})
# Verbs of one party dealing directly with another: a side named right after one is its object ("to sell
# India jets", "Trump presses Delhi", "Washington warns New Delhi").
_DEALING_VERBS: Final = frozenset(
    {
        "sell",
        "sells",
        "selling",
        "sold",
        "arm",
        "arms",
        "arming",
        "armed",
        "press",
        "presses",
        "pressed",
        "pressing",
        "pressure",
        "pressures",
        "pressured",
        "pressuring",
        "urge",
        "urges",
        "urged",
        "urging",
        "warn",
        "warns",
        "warned",
        "warning",
        "court",
        "courts",
        "courted",
        "courting",
        "woo",
        "woos",
        "wooed",
        "wooing",
        "sanction",
        "sanctions",
        "sanctioned",
        "sanctioning",
        "punish",
        "punishes",
        "punished",
        "punishing",
        "threaten",
        "threatens",
        "threatened",
        "threatening",
        "snub",
        "snubs",
        "snubbed",
        "snubbing",
        "appease",
        "appeases",
        "appeased",
        "appeasing",
        "squeeze",
        "squeezes",
        "squeezed",
        "squeezing",
        "lobby",
        "lobbies",
        "lobbied",
        "lobbying",
        "rebuke",
        "rebukes",
        "rebuked",
        "rebuking",
        "slap",
        "slaps",
        "slapped",
        "slapping",
        "penalise",
        "penalises",
        "penalised",
        "penalize",
        "penalizes",
        "penalized",
        "reassure",
        "reassures",
        "reassured",
    }
)
_POSTPOSITIONS: Final = frozenset({"पर", "से", "को"})
_COMPOUND_POSTPOSITIONS: Final = frozenset({"साथ", "खिलाफ़", "खिलाफ", "लिए", "ओर"})


def _interaction(text: str, start: int, stop: int) -> bool:
    if start > 2:
        before = text[max(0, start - 14) : start].lower().split()
        if before and before[-1] == "the" and len(before) > 1:
            before.pop()
        if before and (before[-1] in _PREPOSITIONS or before[-1] in _DEALING_VERBS):
            return True
    if stop < len(text) - 2 and text[stop] == " " and text[stop + 1] >= "\u0900":
        after = text[stop : stop + 16].split()
        if after[0] in _POSTPOSITIONS:
            return True
        return len(after) > 1 and after[0] in ("के", "की") and after[1] in _COMPOUND_POSTPOSITIONS
    return False
