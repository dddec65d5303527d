"""What kind of entity each canonical name in the gazetteers is: person, organization or place.

Most kinds follow from the term that names the entity (see :func:`entity_kinds`): a third country
or a ``PLACE`` term is a place, a ``FIRM`` term an organization, a ``leader`` a person. The sets
here settle the rest. Names of programmes, exercises, agreements and weapon systems ("iCET",
"Exercise Malabar", "MQ-9B") are ``OTHER``: they stay in the evidence and ``matched_terms`` but
are not reported as entities, which are people, organisations and places.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from pipeline.detect.terms import FIRM, PLACE, Term

PERSON, ORGANIZATION, PLACE_KIND, OTHER = "person", "organization", "place", "other"

ORGANIZATIONS: Final = frozenset(
    {
        "White House",
        "State Department",
        "Pentagon",
        "US Congress",
        "US Senate",
        "US Treasury",
        "USTR",
        "US Department of Commerce",
        "Department of Homeland Security",
        "USCIS",
        "ICE",
        "CBP",
        "US Department of Justice",
        "FBI",
        "CIA",
        "US Supreme Court",
        "US Department of Energy",
        "NASA",
        "National Science Foundation",
        "US International Development Finance Corporation",
        "USAID",
        "Federal Reserve",
        "INDOPACOM",
        "US Embassy",
        "US government",
        "Defense Security Cooperation Agency",
        "Government of India",
        "Prime Minister's Office",
        "Ministry of External Affairs",
        "Ministry of Commerce and Industry",
        "Reserve Bank of India",
        "ISRO",
        "DRDO",
        "Hindustan Aeronautics",
        "National Investigation Agency",
        "Central Bureau of Investigation",
        "Indian Air Force",
        "Bharatiya Janata Party",
        "AAP",
        "DMK",
        "TMC",
        "RJD",
        "Parliament of India",
        "NITI Aayog",
        "Election Commission of India",
        "Indian National Congress",
        "Trinamool Congress",
        "Nationalist Congress Party",
        "National People's Congress",
        "African National Congress",
        "INDIA bloc",
        "Quad",
        "BCCI",
        "International Cricket Council",
        "Indian Premier League",
        "Indian Health Service",
        "Cleveland Indians",
        "East India Company",
        "The Washington Post",
        "The Washington Times",
        "USA Today",
        "Voice of America",
        "Bank of America",
        "European Union",
        "BRICS",
        "SCO",
        "NATO",
        "Nasscom",
    }
)
PLACES: Final = frozenset(
    {
        "Washington, D.C.",
        "New Delhi",
        "Delhi",
        "India",
        "United States",
        "Indian Ocean",
        "Indian Wells",
        "Indiana",
        "Indianapolis",
        "Washington (state)",
        "West Indies",
        "East Indies",
        "Chabahar port",
        "South China Sea",
        "Indian Point Energy Center",
        "Trump Towers",
    }
)
PERSONS: Final = frozenset(
    {
        "Tim Cook",
        "Sundar Pichai",
        "Satya Nadella",
        "Jensen Huang",
        "Sam Altman",
        "Elon Musk",
        "Mukesh Ambani",
        "N. Chandrasekaran",
        "Xi Jinping",
        "Vladimir Putin",
        "Nirav Modi",
        "Lalit Modi",
        "Washington Sundar",
        "Tahawwur Rana",
        "Shubhanshu Shukla",
    }
)
OTHERS: Final = frozenset(
    {
        "123 Agreement",
        "2+2 dialogue",
        "Axiom-4",
        "Exercise Malabar",
        "GE F414",
        "H-1B visa",
        "INDUS-X",
        "MQ-9B",
        "Mission 500",
        "NISAR",
        "Operation Sindoor",
        "P-8I",
        "Pannun case",
        "Pax Silica",
        "TRUST initiative",
        "US-India COMPACT",
        "Yudh Abhyas",
        "iCET",
        "Indian Americans",
        "Indian diaspora",
        "Indiana Jones",
    }
)


def kind_of_term_entity(name: str, term: Term) -> str:
    """The kind of entity ``name`` named by ``term`` (the sets first, then what the term says)."""
    for kinds, kind in ((OTHERS, OTHER), (PERSONS, PERSON), (ORGANIZATIONS, ORGANIZATION), (PLACES, PLACE_KIND)):
        if name in kinds:
            return kind
    if term.country or term.kind == PLACE:
        return PLACE_KIND
    if term.kind == FIRM:
        return ORGANIZATION
    return PERSON  # the remaining named entities are officials and politicians


def entity_kinds(terms: Iterable[Term]) -> dict[str, str]:
    """Canonical name → kind for every entity the terms name."""
    kinds: dict[str, str] = {}
    for term in terms:
        for name in term.entities:
            kinds.setdefault(name, kind_of_term_entity(name, term))
    return kinds
