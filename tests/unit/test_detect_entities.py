"""Entities: gazetteer kinds are complete and patterns find the names no list knows."""

from __future__ import annotations

import pytest

from pipeline.detect import classify
from pipeline.detect.entities import ORGANIZATION, PERSON, from_patterns, kind_of
from pipeline.detect.lexicon import ALL_TERMS, ENTITY_KINDS
from pipeline.detect.lexicon.entity_kinds import OTHER, PLACE_KIND, entity_kinds
from pipeline.detect.terms import FIRM, PLACE, india, other, us


def test_every_gazetteer_entity_has_a_kind() -> None:
    names = {name for term in ALL_TERMS for name in term.entities}
    assert names == set(ENTITY_KINDS)
    assert set(ENTITY_KINDS.values()) <= {PERSON, ORGANIZATION, PLACE_KIND, OTHER}


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Narendra Modi", PERSON),
        ("Sergio Gor", PERSON),
        ("Sundar Pichai", PERSON),
        ("Xi Jinping", PERSON),
        ("White House", ORGANIZATION),
        ("Ministry of External Affairs", ORGANIZATION),
        ("Micron", ORGANIZATION),
        ("Quad", ORGANIZATION),
        ("Washington, D.C.", PLACE_KIND),
        ("Washington (state)", PLACE_KIND),
        ("New Delhi", PLACE_KIND),
        ("Mumbai", PLACE_KIND),
        ("China", PLACE_KIND),
        ("Indian Ocean", PLACE_KIND),
        ("iCET", OTHER),
        ("MQ-9B", OTHER),
    ],
)
def test_kinds(name: str, kind: str) -> None:
    assert kind_of(name) == kind


def test_kinds_follow_the_term_unless_listed() -> None:
    kinds = entity_kinds(
        [
            us("Acme", entity="Acme", kind=FIRM),
            india("Pune", entity="Pune", kind=PLACE),
            other("Chile", "Chile"),
            us("Jane Roe", entity="Jane Roe"),
        ]
    )
    assert kinds == {"Acme": ORGANIZATION, "Pune": PLACE_KIND, "Chile": PLACE_KIND, "Jane Roe": PERSON}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Commerce Secretary Sunil Barthwal said the first part was ready.", [("Sunil Barthwal", PERSON, "title")]),
        ("MEA spokesperson Randhir Jaiswal said it was unjustified.", [("Randhir Jaiswal", PERSON, "title")]),
        ("Karoline Leavitt said the deal was close.", [("Karoline Leavitt", PERSON, "speech_verb")]),
        (
            "The All India Rice Exporters Association said containers were held.",
            [("All India Rice Exporters Association", ORGANIZATION, "organisation_suffix")],
        ),
        ("Tata Sons chairman N Chandrasekaran told investors in New York.", [("N Chandrasekaran", PERSON, "title")]),
        (
            "The Federation of Indian Export Organisations said orders were at risk.",
            [("Federation of Indian Export Organisations", ORGANIZATION, "organisation_suffix")],
        ),
        ("Police said the 24-year-old from Hyderabad was shot.", []),  # one capitalised word is nobody new
        ("The White House said talks went well.", []),  # no name before the verb
    ],
)
def test_patterns(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert from_patterns(text) == expected


def test_names_the_gazetteer_covers_are_left_to_it() -> None:
    assert from_patterns("Prime Minister Narendra Modi said so.", ("prime minister narendra modi",)) == []
    # A gazetteer word inside a longer name does not hide the name.
    assert from_patterns("The All India Rice Exporters Association said so.", ("all india",)) == [
        ("All India Rice Exporters Association", ORGANIZATION, "organisation_suffix")
    ]


def test_possessives_and_initials() -> None:
    assert from_patterns("Minister Jane Roe's plan, said officials.") == [("Jane Roe", PERSON, "title")]
    assert from_patterns("Secretary J. K. said so.") == []


def test_classify_reports_pattern_entities_with_their_kind() -> None:
    result = classify("US, India trade talks end", "Deputy USTR Hannah Brightwater said talks would resume.")
    assert "Hannah Brightwater" in result.entities
    assert "Hannah Brightwater" in result.evidence["entities"]["person"]
