"""The verdict on one article: match the lexicons, tally, score, pick topics and entities, explain.

:func:`classify` runs the pipeline of the package's modules: :mod:`.matcher` finds lexicon terms in
the title, summary and the first :data:`BODY_SCAN_CHARS` of the body; :mod:`.tally` folds them
into per-side, per-topic, per-domain masses; :mod:`.scoring` decides relevance (gates, then a
logistic score over named features), the rule that decided and the topics; :mod:`.entities`
adds names found by patterns to the gazetteers' canonical entities. An article that does not name
both sides (nearly every article of a stream) takes a short path with the same result: the tally
reads the matcher's spans directly (:meth:`.tally.Tally.add_gated`) and, a gate deciding it, its
verdict is built without the scoring steps (:func:`_gated`). A relevant article with no topic whose
headline has both sides as its subject (stage 2's ``joint_subject``) is on ``diplomacy``
(``topic_fallback: joint_subject``). ``evidence`` carries every
step: terms per side with their field and weight, cues, third countries, off-topic domains, each
feature's value and contribution, topic masses and terms, false friends and ignored matches.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from pipeline.core.model import Classification
from pipeline.detect import entities as entity_patterns
from pipeline.detect import scoring, stage2
from pipeline.detect.language import detect_language
from pipeline.detect.lexicon import ALL_TERMS, DETECTOR_VERSION, ENTITY_KINDS
from pipeline.detect.matcher import INDIA_SIDE, US_SIDE, Matcher, split
from pipeline.detect.tally import LEDE_CHARS, Tally, r3

BODY_SCAN_CHARS: Final = 20_000  # the lede carries the signal; bounds the cost of 100 kB bodies
STAGE1_THRESHOLD: Final = 0.5  # stage 1 alone (``stage2=False``): its logistic score's cut
_NO_PHRASES: Final[stage2.Phrases] = (set(), set(), set(), set())  # read only; stage 2 makes its own


@functools.cache
def _matcher() -> Matcher:
    # Built on first use, not at import: workers that never classify pay nothing.
    return Matcher(ALL_TERMS)


def tally_of(title: str, summary: str = "", body: str = "", *, fast: bool = True) -> Tally:
    """Match the lexicons in each field and fold the matches into a settled :class:`Tally`.

    ``fast=False`` folds an article that names only one side (or neither) field by field, as the
    articles that name both are; the result is the same (the unit tests compare them), only slower.
    """
    tally = Tally()
    body = body[:BODY_SCAN_CHARS]
    scanned = _matcher().spans(title, summary, body)
    # An article that does not name both sides is decided by a gate: its topics, third countries and
    # off-topic domains are not needed, and most articles in a feed are such. It is tallied from the
    # matcher's spans directly; the others (and every article with fast=False) field by field.
    full = scanned.mask == US_SIDE | INDIA_SIDE
    if fast and not full:
        tally.add_gated(scanned)
    else:
        for field, text, (hits, rejected) in zip(
            ("title", "summary", "body"), (title, summary, body), split(scanned), strict=True
        ):
            if hits or rejected:
                tally.add_field(field, text, hits, rejected, full)
    tally.settle()
    return tally


def classify(
    title: str,
    summary: str = "",
    body: str = "",
    language: str | None = None,
    *,
    model: stage2.Model | None = None,
    use_stage2: bool = True,
    stage2_topics: bool = False,
    fast: bool = True,
) -> Classification:
    """Is the article about US–India relations, on which topics, naming whom? Pure and deterministic.

    ``model`` replaces the shipped stage-2 model (cross-validation uses it); ``use_stage2=False``
    gives stage 1's verdict alone (the baseline the evaluation compares against). Topics come from
    stage 1's lexicon rules; ``stage2_topics=True`` uses stage 2's topic models instead (measured
    worse out of sample, see the README, so not the default). ``fast=False`` takes the general path for
    every article (see :func:`tally_of`): the same verdict, the reference the fast path is tested against.
    """
    body = body[:BODY_SCAN_CHARS]
    tally = tally_of(title, summary, body, fast=fast)
    if language is None:
        language = detect_language(f"{title} {summary}" if summary else title)

    gate = scoring.gate_rule(tally)
    if gate is not None:
        # Nearly every article of a stream: decided without a score, so most of the verdict is constant.
        threshold = (model or stage2.shipped_model()).threshold if use_stage2 else STAGE1_THRESHOLD
        return _gated(tally, gate, threshold, language)
    verdict: stage2.Verdict | None = None
    phrases = _NO_PHRASES
    topic_p: dict[str, float] = {}
    fallback: str | None = None
    contributions: dict[str, float]
    if not use_stage2:
        values = scoring.features(tally)
        score, contributions = scoring.relevance(values)
        relevant = score >= STAGE1_THRESHOLD
        rule = scoring.rule(tally, relevant, contributions)
        bias, threshold = weights_bias(), STAGE1_THRESHOLD
    else:
        model = model or stage2.shipped_model()
        values = scoring.features(tally)
        values.update(stage2.extra_features(tally, title, summary, "firm_only" in values))
        phrases = stage2.phrases(title, summary, body[:LEDE_CHARS])
        verdict = stage2.relevance(model, values, phrases)
        score, contributions, threshold, bias = verdict.probability, verdict.dense, model.threshold, model.bias
        relevant = score >= threshold
        rule = _rule(tally, relevant, contributions, verdict.grams_sum)
    if relevant and stage2_topics and verdict is not None and model is not None:
        chosen, _, _ = scoring.topics(tally)
        topic_p = stage2.topic_probabilities(
            model, stage2.topic_features(tally.topic_mass, chosen, tally.leader), phrases
        )
        picked = sorted((p, name) for name, p in topic_p.items() if p >= stage2.TOPIC_PROBABILITY)
        topics = tuple(name for _, name in sorted(picked, key=lambda item: -item[0]))
        topic_scores = {name: r3(mass) for name, mass in tally.topic_mass.items()} if tally.topic_mass else {}
    elif relevant:
        topics, topic_scores, fallback = scoring.topics(tally)
        if not topics and "joint_subject" in values:
            # Both sides the headline's subject, acting together, with no topic word: the conduct of the ties.
            topics, fallback = ("diplomacy",), "joint_subject"
    else:
        topics = ()
        topic_scores = {name: r3(mass) for name, mass in tally.topic_mass.items()} if tally.topic_mass else {}

    # Names no list knows are looked for only in relevant articles: they are what gets indexed.
    found = _pattern_entities(tally, summary, body) if relevant else []
    names, by_kind = _entities(tally, found)
    evidence = _evidence(tally, rule, contributions, score, threshold, bias, topic_scores, language, found, by_kind)
    if fallback:
        evidence["topic_fallback"] = fallback
    if verdict is not None:
        # Stage 2: the logit before calibration and the words and phrases that weighed most in it.
        evidence["stage2"] = {
            "logit": int(verdict.logit * 1000.0 + (0.5 if verdict.logit > 0 else -0.5)) / 1000.0,
            "phrases_total": round(verdict.grams_sum, 3),
            "phrases": {gram: weight for gram, weight in verdict.top_grams},
        }
        if topic_p:
            evidence["topic_probabilities"] = {name: round(p, 3) for name, p in topic_p.items() if p >= 0.05}
    return Classification(
        relevant=relevant,
        relevance_score=round(score, 4),
        topics=topics,
        entities=tuple(names),
        matched_terms=tuple(tally.matched.values()),
        evidence=evidence,
    )


def _gated(tally: Tally, rule: str, threshold: float, language: str | None) -> Classification:
    """The verdict of an article a gate decides: what :func:`classify`'s general steps give for it, built directly.

    Not relevant, score 0, no contributions, no topics, no pattern entities; the evidence is :func:`_evidence`'s
    (the unit tests compare the whole verdict with ``fast=False``'s).
    """
    topic_mass = tally.topic_mass
    topic_scores = {name: r3(mass) for name, mass in topic_mass.items()} if topic_mass else {}
    names, by_kind = _entities(tally, [])
    evidence = _evidence(tally, rule, {}, 0.0, threshold, 0.0, topic_scores, language, [], by_kind)
    return Classification(
        relevant=False,
        relevance_score=0.0,
        topics=(),
        entities=tuple(names),
        matched_terms=tuple(tally.matched.values()),
        evidence=evidence,
    )


def weights_bias() -> float:
    """Stage 1's bias (for its evidence when stage 2 is off)."""
    from pipeline.detect import weights

    return weights.BIAS


def _rule(tally: Tally, relevant: bool, contributions: dict[str, float], phrases: float) -> str:
    """Stage 1's rule names, or ``phrase_evidence`` when the words and phrases outweighed every feature."""
    if not relevant and phrases < -0.5 and phrases < min(contributions.values(), default=0.0):
        return "phrase_evidence"
    return scoring.rule(tally, relevant, contributions)


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


def _evidence(
    tally: Tally,
    rule: str,
    contributions: dict[str, float],
    score: float,
    threshold: float,
    bias: float,
    topic_scores: dict[str, float],
    language: str | None,
    found: list[tuple[str, str, str]],
    by_kind: dict[str, list[str]],
) -> dict[str, Any]:
    third, offtopic = tally.third_countries, tally.offtopic_mass
    evidence: dict[str, Any] = {
        "rule": rule,
        "score": {
            "relevance": round(score, 4),
            "threshold": threshold,
            "us_mass": r3(tally.us.mass),
            "india_mass": r3(tally.india.mass),
            # weight × feature value of each non-zero feature (pipeline.detect.scoring.FEATURES and
            # stage2.EXTRA_FEATURES, weights in stage2.json); the logit is bias + their sum + the phrases'.
            "contributions": {
                name: int(value * 1000.0 + (0.5 if value > 0 else -0.5)) / 1000.0
                for name, value in contributions.items()
            }
            if contributions
            else {},
            "bias": bias,
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
        evidence["pattern_entities"] = [
            {"name": name, "kind": kind, "pattern": pattern} for name, kind, pattern in found
        ]
    if tally.partners:
        evidence["partners_not_counted"] = sorted(tally.partners)
    return evidence
