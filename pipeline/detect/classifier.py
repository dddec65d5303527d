"""The verdict on one article: match the lexicons, tally, score, pick topics and entities, explain.

:func:`classify` runs the pipeline of the package's modules: :mod:`.matcher` finds lexicon terms in
the title, summary and the first :data:`BODY_SCAN_CHARS` of the body; :mod:`.tally` folds them
into per-side, per-topic, per-domain masses; :mod:`.scoring` decides relevance (gates, then a
logistic score over named features), the rule that decided and the topics; :mod:`.entities`
adds names found by patterns to the gazetteers' canonical entities. ``evidence`` carries every
step: terms per side with their field and weight, cues, third countries, off-topic domains, each
feature's value and contribution, topic masses and terms, false friends and ignored matches.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from pipeline.detect import entities as entity_patterns
from pipeline.detect import scoring, weights
from pipeline.detect.language import detect_language
from pipeline.detect.lexicon import ALL_TERMS, DETECTOR_VERSION, ENTITY_KINDS
from pipeline.detect.matcher import INDIA_SIDE, US_SIDE, Matcher
from pipeline.detect.tally import LEDE_CHARS, Tally, r3
from pipeline.model import Classification

BODY_SCAN_CHARS: Final = 20_000  # the lede carries the signal; bounds the cost of 100 kB bodies
RELEVANCE_THRESHOLD: Final = 0.5


@functools.cache
def _matcher() -> Matcher:
    # Built on first use, not at import: workers that never classify pay nothing.
    return Matcher(ALL_TERMS)


def tally_of(title: str, summary: str = "", body: str = "") -> Tally:
    """Match the lexicons in each field and fold the matches into a settled :class:`Tally`."""
    tally = Tally()
    body = body[:BODY_SCAN_CHARS]
    found, sides = _matcher().scan(title, summary, body)
    # An article that does not name both sides is decided by a gate: its topics, third countries and
    # off-topic domains are not needed, and most articles in a feed are such.
    full = sides == US_SIDE | INDIA_SIDE
    for field, text, (hits, rejected) in zip(("title", "summary", "body"), (title, summary, body), found, strict=True):
        if hits or rejected:
            tally.add_field(field, text, hits, rejected, full)
    tally.settle()
    return tally


def classify(title: str, summary: str = "", body: str = "", language: str | None = None) -> Classification:
    """Is the article about US–India relations, on which topics, naming whom? Pure and deterministic."""
    body = body[:BODY_SCAN_CHARS]
    tally = tally_of(title, summary, body)
    if language is None:
        language = detect_language(f"{title} {summary}" if summary else title)

    gate = scoring.gate_rule(tally)
    if gate is None:
        values = scoring.features(tally)
        score, contributions = scoring.relevance(values)
        relevant = score >= RELEVANCE_THRESHOLD
        rule = scoring.rule(tally, relevant, contributions)
    else:
        values, contributions, score, relevant, rule = {}, {}, 0.0, False, gate
    if relevant:
        topics, topic_scores, fallback = scoring.topics(tally)
    else:
        topics, fallback = (), None
        topic_scores = {name: r3(mass) for name, mass in tally.topic_mass.items()} if tally.topic_mass else {}

    # Names no list knows are looked for only in relevant articles: they are what gets indexed.
    found = _pattern_entities(tally, summary, body) if relevant else []
    names, by_kind = _entities(tally, found)
    evidence = _evidence(tally, rule, contributions, score, topic_scores, language, found, by_kind)
    if fallback:
        evidence["topic_fallback"] = fallback
    return Classification(
        relevant=relevant,
        relevance_score=round(score, 4),
        topics=topics,
        entities=tuple(names),
        matched_terms=tuple(tally.matched.values()),
        evidence=evidence,
    )


def _entities(tally: Tally, found: list[tuple[str, str, str]]) -> tuple[list[str], dict[str, list[str]]]:
    """Entity names (gazetteer first, then patterns) and the same grouped by kind."""
    by_kind: dict[str, list[str]] = {"person": [], "organization": [], "place": []}
    names = []
    for name in tally.entities:
        kind = ENTITY_KINDS.get(name)
        if kind in by_kind:  # "other" (programmes, exercises, weapon systems) are not entities
            names.append(name)
            by_kind[kind].append(name)
    for name, kind, _ in found:
        if name not in tally.entities:
            names.append(name)
            by_kind[kind].append(name)
    return names, by_kind


def _pattern_entities(tally: Tally, summary: str, body: str) -> list[tuple[str, str, str]]:
    known = tuple(tally.matched)  # lower-cased gazetteer surfaces: names the lexicons already give
    found: list[tuple[str, str, str]] = []
    if summary:
        found += entity_patterns.from_patterns(summary, known)
    if body:
        found += entity_patterns.from_patterns(body[:LEDE_CHARS], known)
    return found


def _evidence(tally: Tally, rule: str, contributions: dict[str, float], score: float, topic_scores: dict[str, float],
              language: str | None, found: list[tuple[str, str, str]], by_kind: dict[str, list[str]]) -> dict[str, Any]:
    third, offtopic = tally.third_countries, tally.offtopic_mass
    evidence: dict[str, Any] = {
        "rule": rule,
        "score": {
            "relevance": round(score, 4),
            "threshold": RELEVANCE_THRESHOLD,
            "us_mass": r3(tally.us.mass), "india_mass": r3(tally.india.mass),
            # weight × feature value of each non-zero feature (see pipeline.detect.scoring.FEATURES and
            # weights.WEIGHTS); the logit is bias + their sum.
            "contributions": {name: int(value * 1000.0 + (0.5 if value > 0 else -0.5)) / 1000.0
                              for name, value in contributions.items()} if contributions else {},
            "bias": weights.BIAS,
        },
        "us_terms": tally.us.evidence,
        "india_terms": tally.india.evidence,
        "bilateral_cues": tally.cues,
        "topic_scores": topic_scores,
        "topic_terms": tally.topic_terms,
        "third_countries": {country: r3(mass) for country, mass in third.items()} if third else {},
        "third_country_terms": tally.third_terms,
        "offtopic_domains": {domain: r3(mass) for domain, mass in offtopic.items()} if offtopic else {},
        "offtopic_terms": tally.offtopic_terms,
        "false_friends": tally.false_friends,
        "ignored": tally.ignored,
        "entities": by_kind,
        "language": language,
        "detector_version": DETECTOR_VERSION,
    }
    if found:
        evidence["pattern_entities"] = [{"name": name, "kind": kind, "pattern": pattern}
                                        for name, kind, pattern in found]
    if tally.partners:
        evidence["partners_not_counted"] = sorted(tally.partners)
    return evidence
