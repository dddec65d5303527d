"""pipeline.detect.matcher and the lexicon data: boundaries, variants, overlaps, guards, validation."""

from __future__ import annotations

import pytest

from pipeline.core.topics import TOPICS
from pipeline.detect.lexicon import ALL_TERMS
from pipeline.detect.matcher import INDIA_SIDE, US_SIDE, Matcher, surface_variants, validate
from pipeline.detect.terms import GUARD_US_CAPS, Term, false_friend, india, topic, us

SMALL = Matcher(
    [
        india("India", entity="India"),
        india("Indian", entity="India"),
        india("भारत", entity="India", prefix=True),
        topic("energy", 1.0, "तेल"),
        false_friend("ocean", "Indian Ocean", entity="Indian Ocean"),
        us("US", cs=True, guard=GUARD_US_CAPS),
        us("Quad", cs=True),
        us("India-US", entity="dyad"),
        topic("immigration", 1.0, "वीज़ा"),
    ]
)


def surfaces(text: str, matcher: Matcher = SMALL) -> list[str]:
    hits, _ = matcher.find(text)
    return [surface for _, _, surface, _ in hits]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("India's envoy", ["India"]),
        ("Indiana and Indianapolis", []),
        ("Indians", []),  # "Indians" is its own lexicon entry, not a prefix of "Indian"
        ("pro-India stance", ["India"]),
        ("(India)", ["India"]),
        ("IndiaUS", []),
        ("India_US", []),
    ],
)
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


@pytest.mark.parametrize(
    ("term", "message"),
    [
        (Term(("x",), topics=(("sports", 1.0),)), "not one of"),
        (Term(("x",), topics=(("trade", 1.5),)), "topic weight"),
        (Term(("x",), us=2.0), "us weight"),
        (Term(("x",), guard="nope"), "unknown guard"),
        (Term(("",)), "non-blank"),
    ],
)
def test_malformed_terms_fail_fast_naming_the_term(term: Term, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate(term)


def test_empty_lexicon_matches_nothing() -> None:
    assert Matcher([]).find("India and the US") == ([], [])


def test_only_whole_words_reach_python() -> None:
    matcher = Matcher([topic("technology", 1.0, "app"), topic("energy", 1.0, "oil"), topic("defense", 1.0, "war")])
    assert surfaces("Approve the appeal, spoil the soil, award software", matcher) == []
    assert surfaces("The app, the oil (crude) and the war.", matcher) == ["app", "oil", "war"]


def test_apostrophes_and_quotes_are_boundaries() -> None:
    assert surfaces("India’s envoy and ‘India’ in quotes") == ["India", "India"]


def test_find_fields_scans_once_and_keeps_offsets_per_field() -> None:
    title, summary, body = "India and US", "Quad meets", "Indian Ocean in India"
    found = SMALL.find_fields(title, summary, body)
    assert [[(s, e, surface) for s, e, surface, _ in hits] for hits, _ in found] == [
        [(0, 5, "India"), (10, 12, "US")],
        [(0, 4, "Quad")],
        [(0, 12, "Indian Ocean"), (16, 21, "India")],
    ]
    assert found == [SMALL.find(text) for text in (title, summary, body)]


def test_no_match_spans_two_fields() -> None:
    found = SMALL.find_fields("Talks with India", "US officials")
    assert [[h[2] for h in hits] for hits, _ in found] == [["India"], ["US"]]  # not "India-US" across the join


def test_scan_reports_which_sides_are_named_unambiguously() -> None:
    matcher = Matcher([india("India"), us("US", cs=True), us("Congress", ambiguous=True)])
    assert matcher.scan("India", "US")[1] == US_SIDE | INDIA_SIDE
    assert matcher.scan("India", "Congress")[1] == INDIA_SIDE
    assert matcher.scan("", "")[1] == 0


def test_guarded_pronoun_is_judged_within_its_own_field() -> None:
    found = SMALL.find_fields("JOIN US NOW", "the talks went well")
    assert found[0] == ([], [("US", "all-caps text: may be the pronoun")])


def test_topic_only_terms_are_flagged() -> None:
    assert topic("trade", 1.0, "tariff").topic_only
    assert not india("India").topic_only
    assert not Term(("x",), topics=(("trade", 1.0),), entities=("X",)).topic_only
