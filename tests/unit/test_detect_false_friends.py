"""False friends: words that look like the US or India side but are not, each recorded with its reason.

Every case the labelling spec (tests/data/LABELS.md) lists is here: Indiana, Indianapolis, Indian
Wells, American Indian, West Indies, Indian Ocean, India Pale Ale, and the US-side ones (Washington
state, the Congress party, Latin America, US Open, dollar amounts).
"""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.detect import classify

# (case, title, summary, false-friend surface that must be reported). None of these names India.
NOT_INDIA = [
    (
        "indiana",
        "Indiana lawmakers pass new congressional map",
        "Republicans in Indianapolis approved it 40-9.",
        "Indiana",
    ),
    (
        "indiana_team",
        "Indiana Pacers beat Knicks in Indianapolis",
        "Indiana's defence held firm in the fourth quarter.",
        "Indiana Pacers",
    ),
    (
        "indiana_jones",
        "Indiana Jones hat fetches $630,000 at auction",
        "The fedora was worn in the 1981 film.",
        "Indiana Jones",
    ),
    (
        "indianapolis",
        "Indianapolis 500: American driver wins by a nose",
        "Fans packed the Brickyard in the US Midwest.",
        "Indianapolis 500",
    ),
    (
        "indian_wells",
        "Swiatek cruises into Indian Wells quarter-finals",
        "The top seed dropped just three games.",
        "Indian Wells",
    ),
    (
        "american_indian",
        "American Indian tribes win water rights case",
        "Navajo leaders welcomed the US ruling.",
        "American Indian",
    ),
    (
        "native_american",
        "Native American voters key in Arizona",
        "Turnout on reservations could decide the race.",
        "Native American",
    ),
    (
        "indian_country",
        "Tribal leaders in Indian Country demand clinic funding",
        "They met officials of the Indian Health Service in Washington.",
        "Indian Country",
    ),
    (
        "indian_reservation",
        "Broadband grants go to schools on an Indian reservation",
        "The US Department of Agriculture will fund the work.",
        "Indian reservation",
    ),
    (
        "west_indies",
        "West Indies crush England by eight wickets in Barbados",
        "The hosts chased 180 with ease.",
        "West Indies",
    ),
    (
        "west_indies_usa",
        "USA to host West Indies in T20 series in Florida",
        "The matches will be played in Lauderhill.",
        "West Indies",
    ),
    (
        "indian_ocean",
        "Cyclone strengthens over the Indian Ocean",
        "Forecasters expect landfall on Thursday.",
        "Indian Ocean",
    ),
    (
        "east_indies",
        "Dutch traders and the East Indies: a new history",
        "A museum revisits the spice trade.",
        "East Indies",
    ),
    (
        "india_pale_ale",
        "American craft brewers bet on hazy IPAs",
        "Sales of India Pale Ale rose 12% last year.",
        "India Pale Ale",
    ),
    ("ipa", "Colorado brewery's double IPA wins gold", "Judges praised its citrus notes.", "IPA"),
    (
        "cleveland_indians",
        "Cleveland Indians legacy debated at Progressive Field",
        "Fans still wear the old caps.",
        "Cleveland Indians",
    ),
]

# (case, title, summary, false-friend surface). None of these names the US government.
NOT_US = [
    (
        "washington_state",
        "Washington state passes data privacy law",
        "Lawmakers in Olympia approved the bill.",
        "Washington state",
    ),
    (
        "latin_america",
        "Latin America braces for slower growth",
        "South America's largest economies cut forecasts.",
        "Latin America",
    ),
    (
        "washington_sundar",
        "Washington Sundar stars as India beat Australia",
        "The all-rounder took four wickets.",
        "Washington Sundar",
    ),
    ("us_open", "Sinner reaches US Open final", "The Italian beat Alcaraz in four sets.", "US Open"),
    (
        "central_american",
        "Central American migrants shelter in Mexican border towns",
        "Aid groups ran out of beds.",
        "Central American",
    ),
    (
        "trump_towers",
        "Trump Towers project launched in Pune",
        "The luxury apartments are licensed by the family business.",
        "Trump Towers",
    ),
    (
        "us_based",
        "US-based Indian startup raises $20 million",
        "The Bengaluru founders will hire engineers.",
        "US-based",
    ),
    (
        "silicon_valley_of_india",
        "Startups flock to the Silicon Valley of India",
        "Bengaluru rents rise as founders move in.",
        "Silicon Valley of India",
    ),
    (
        "congress_party",
        "Congress leader Rahul Gandhi attacks BJP over unemployment",
        "The Congress party said it would raise the issue in the Lok Sabha.",
        "Congress leader",
    ),
]


def _actors(terms: list[dict[str, Any]], surface: str) -> list[dict[str, Any]]:
    """Evidence items for ``surface`` that count as a state actor (no "kind" means a state actor)."""
    return [t for t in terms if t["term"] == surface and "kind" not in t]


@pytest.mark.parametrize(("case", "title", "summary", "surface"), NOT_INDIA, ids=[c[0] for c in NOT_INDIA])
def test_false_friends_do_not_count_as_india(case: str, title: str, summary: str, surface: str) -> None:
    result = classify(title, summary)
    assert not result.relevant, result.evidence["score"]
    assert surface in [f["term"] for f in result.evidence["false_friends"]]
    assert all(t["term"] != "India" for t in result.evidence["india_terms"])
    assert "India" not in result.entities
    assert result.evidence["rule"] in {"no_india_side", "no_us_or_india", "no_us_side"}


@pytest.mark.parametrize(("case", "title", "summary", "surface"), NOT_US, ids=[c[0] for c in NOT_US])
def test_false_friends_do_not_count_as_us(case: str, title: str, summary: str, surface: str) -> None:
    result = classify(title, summary)
    assert not result.relevant, result.evidence["score"]
    assert surface in [f["term"] for f in result.evidence["false_friends"]]
    assert _actors(result.evidence["us_terms"], surface) == []  # at most a place or a firm, never the government
    assert "United States" not in result.entities


def test_each_false_friend_says_why() -> None:
    result = classify("Indianapolis hosts the Indiana state fair")
    reasons = {f["term"]: f["reason"] for f in result.evidence["false_friends"]}
    assert reasons == {"Indianapolis": "US city, not India", "Indiana": "US state, not India"}


def test_cultural_mentions_of_india_are_weak() -> None:
    result = classify("Indian restaurant in America wins award")
    assert not result.relevant
    assert result.evidence["india_terms"] == [
        {"term": "Indian restaurant", "field": "title", "weight": 0.2, "kind": "people"}
    ]
    assert "Indian restaurant" in [f["term"] for f in result.evidence["false_friends"]]


def test_false_friend_next_to_a_real_mention_does_not_hide_it() -> None:
    result = classify(
        "US and Indian navies patrol the Indian Ocean together",
        "The joint patrol is part of expanding defence cooperation.",
    )
    assert result.relevant
    assert "defense" in result.topics
    assert "Indian Ocean" in result.entities
    assert [t["term"] for t in result.evidence["india_terms"]] == ["US and Indian"]


def test_indian_ocean_alone_is_a_place_not_the_india_side() -> None:
    result = classify("US carrier group enters the Indian Ocean", "The Pentagon did not give a reason.")
    assert not result.relevant
    assert result.evidence["rule"] == "no_india_side"
    assert "Indian Ocean" in result.entities


def test_indian_premier_league_is_sport_not_the_state() -> None:
    result = classify(
        "IPL auction: American fast bowler snapped up for ₹2 crore", "Mumbai Indians won the bidding war."
    )
    assert not result.relevant
    assert {"IPL", "Mumbai Indians"} <= {f["term"] for f in result.evidence["false_friends"]}


def test_congress_party_is_india_side_not_us() -> None:
    result = classify("Congress president Kharge writes to Modi on farm distress")
    assert result.evidence["us_terms"] == []
    assert "Indian National Congress" in result.entities
    assert not result.relevant


def test_currency_is_not_the_us_actor() -> None:
    result = classify("Skyworth India unveils 4K TV", "Part of a US$ 9 billion conglomerate from Shenzhen.")
    assert not result.relevant
    assert result.evidence["us_terms"] == []


def test_a_us_subsidiary_in_india_is_the_firm_not_the_relationship() -> None:
    result = classify("Amazon India names new country head", "She joins from the company's Singapore unit.")
    assert not result.relevant
    assert "Amazon India" in [f["term"] for f in result.evidence["false_friends"]]
