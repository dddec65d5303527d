"""pipeline.detect.matcher and the lexicon data: boundaries, variants, overlaps, guards, validation."""

from __future__ import annotations

import pytest

from pipeline.detect.lexicon import ALL_TERMS
from pipeline.detect.matcher import Matcher, surface_variants, validate
from pipeline.detect.terms import GUARD_US_CAPS, Term, false_friend, india, topic, us
from pipeline.topics import TOPICS

SMALL = Matcher([
    india("India", entity="India"),
    india("Indian", entity="India"),
    india("भारत", entity="India", prefix=True),
    topic("energy", 1.0, "तेल"),
    false_friend("ocean", "Indian Ocean", entity="Indian Ocean"),
    us("US", cs=True, guard=GUARD_US_CAPS),
    us("Quad", cs=True),
    us("India-US", entity="dyad"),
    topic("immigration", 1.0, "वीज़ा"),
])


def surfaces(text: str, matcher: Matcher = SMALL) -> list[str]:
    hits, _ = matcher.find(text)
    return [surface for _, _, surface, _ in hits]


@pytest.mark.parametrize(("text", "expected"), [
    ("India's envoy", ["India"]),
    ("Indiana and Indianapolis", []),
    ("Indians", []),  # "Indians" is its own lexicon entry, not a prefix of "Indian"
    ("pro-India stance", ["India"]),
    ("(India)", ["India"]),
    ("IndiaUS", []),
    ("India_US", []),
])
def test_word_boundaries(text: str, expected: list[str]) -> None:
    assert surfaces(text) == expected


def test_leftmost_longest_resolves_overlaps() -> None:
    assert surfaces("Indian Ocean and Indian navy") == ["Indian Ocean", "Indian"]
    assert surfaces("India-US ties") == ["India-US"]


@pytest.mark.parametrize("dash", ["-", "\u2013", "\u2014", "\u2011"])
def test_hyphen_matches_dashes(dash: str) -> None:
    assert surfaces(f"India{dash}US ties") == [f"India{dash}US"]


def test_case_sensitive_terms() -> None:
    assert surfaces("tell us about the quad bike") == []
    assert surfaces("US joins the Quad") == ["US", "Quad"]


def test_guard_rejects_shouted_pronoun_and_says_why() -> None:
    hits, rejected = SMALL.find("PLEASE CALL US NOW")
    assert hits == []
    assert rejected == [("US", "all-caps text: may be the pronoun")]
    hits, rejected = SMALL.find("THE US WARNS INDIA")
    assert [h[2] for h in hits] == ["US", "INDIA"] and rejected == []


def test_devanagari_stems_and_boundaries() -> None:
    assert surfaces("भारतीय छात्र") == ["भारतीय"]  # stem reports the whole inflected word
    assert surfaces("तेलंगाना में तेल") == ["तेल"]  # vowel signs and letters continue a word
    assert surfaces("भारत।") == ["भारत"]


def test_nukta_spellings() -> None:
    composed = "\u0935\u0940\u095b\u093e"  # वीज़ा with precomposed ज़
    decomposed = "\u0935\u0940\u091c\u093c\u093e"  # ज + nukta
    plain = "\u0935\u0940\u091c\u093e"  # no nukta
    assert {composed, decomposed, plain} <= surface_variants(composed)
    for text in (composed, decomposed, plain):
        assert surfaces(text) == [text]


def test_offsets_survive_characters_that_lowercase_to_two() -> None:
    hits, _ = SMALL.find("İstanbul talks: India")
    assert [(start, surface) for start, _, surface, _ in hits] == [(16, "India")]


def test_full_lexicon_compiles_and_every_topic_is_known() -> None:
    Matcher(ALL_TERMS)
    for term in ALL_TERMS:
        assert {name for name, _ in term.topics} <= set(TOPICS)
        assert all(s == s.strip() and s for s in term.surfaces), term.surfaces


@pytest.mark.parametrize(("term", "message"), [
    (Term(("x",), topics=(("sports", 1.0),)), "not one of"),
    (Term(("x",), topics=(("trade", 1.5),)), "topic weight"),
    (Term(("x",), us=2.0), "us weight"),
    (Term(("x",), guard="nope"), "unknown guard"),
    (Term(("",)), "non-blank"),
])
def test_malformed_terms_fail_fast_naming_the_term(term: Term, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate(term)


def test_empty_lexicon_matches_nothing() -> None:
    assert Matcher([]).find("India and the US") == ([], [])
