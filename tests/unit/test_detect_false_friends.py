"""False friends: words that look like the US or India side but are not, and are recorded as such."""

from __future__ import annotations

import pytest

from pipeline.detect import classify

# (title, summary, false-friend surface that must be reported). None of these names the India side.
NOT_INDIA = [
    ("Indiana Pacers beat Knicks in Indianapolis", "Indiana's defence held firm in the fourth quarter.", "Indiana"),
    ("Swiatek cruises into Indian Wells quarter-finals", "The top seed dropped just three games.", "Indian Wells"),
    ("Native American tribes win water rights case", "American Indian nations in Arizona welcomed the ruling.",
     "Native American"),
    ("Cyclone strengthens over the Indian Ocean", "Forecasters expect landfall on Thursday.", "Indian Ocean"),
    ("West Indies crush England by eight wickets in Barbados", "The hosts chased 180 with ease.", "West Indies"),
    ("Dutch traders and the East Indies: a new history", "A museum revisits the spice trade.", "East Indies"),
    ("Craft brewers bet on hazy IPAs", "Sales of India Pale Ale rose 12% last year.", "India Pale Ale"),
    ("Tribal leaders in Indian Country demand clinic funding", "They met officials of the Indian Health Service.",
     "Indian Country"),
    ("Cleveland Indians legacy debated at Progressive Field", "Fans still wear the old caps.", "Cleveland Indians"),
    ("Broadband grants go to schools on an Indian reservation", "The county will start work in spring.",
     "Indian reservation"),
    ("Indiana Jones hat fetches $630,000 at auction", "The fedora was worn in the 1981 film.", "Indiana Jones"),
]

# (title, summary, false-friend surface). None of these names the US government.
NOT_US = [
    ("Washington state passes data privacy law", "Lawmakers in Olympia approved the bill.", "Washington state"),
    ("Latin America braces for slower growth", "South America's largest economies cut forecasts.", "Latin America"),
    ("Washington Sundar stars as India beat Australia", "The all-rounder took four wickets.", "Washington Sundar"),
    ("Sinner reaches US Open final", "The Italian beat Alcaraz in four sets.", "US Open"),
    ("Central American migrants shelter in Mexican border towns", "Aid groups ran out of beds.", "Central American"),
    ("Trump Towers project launched in Pune", "The luxury apartments are licensed by the family business.",
     "Trump Towers"),
    ("US-based Indian startup raises $20 million", "The Bengaluru founders will hire engineers.", "US-based"),
]


@pytest.mark.parametrize(("title", "summary", "surface"), NOT_INDIA, ids=[c[2] for c in NOT_INDIA])
def test_false_friends_do_not_count_as_india(title: str, summary: str, surface: str) -> None:
    result = classify(title, summary)
    assert not result.relevant
    assert result.evidence["india_terms"] == []
    assert surface in [f["term"] for f in result.evidence["false_friends"]]
    assert "India" not in result.entities


@pytest.mark.parametrize(("title", "summary", "surface"), NOT_US, ids=[c[2] for c in NOT_US])
def test_false_friends_do_not_count_as_us(title: str, summary: str, surface: str) -> None:
    result = classify(title, summary)
    assert not result.relevant
    assert result.evidence["us_terms"] == []
    assert surface in [f["term"] for f in result.evidence["false_friends"]]


def test_cultural_mentions_of_india_are_weak() -> None:
    result = classify("Indian restaurant in America wins award")
    assert not result.relevant
    assert result.evidence["india_terms"] == [{"term": "Indian restaurant", "field": "title", "weight": 0.2}]
    assert "Indian restaurant" in [f["term"] for f in result.evidence["false_friends"]]


def test_false_friend_next_to_a_real_mention_does_not_hide_it() -> None:
    result = classify("US and Indian navies patrol the Indian Ocean together",
                      "The joint patrol is part of expanding defence cooperation.")
    assert result.relevant
    assert "defense" in result.topics
    assert "Indian Ocean" in result.entities
    assert [t["term"] for t in result.evidence["india_terms"]] == ["Indian"]


def test_indian_ocean_alone_is_a_place_not_the_india_side() -> None:
    result = classify("US carrier group enters the Indian Ocean", "The Pentagon did not give a reason.")
    assert not result.relevant
    assert result.evidence["rule"] == "no_india_side"
    assert "Indian Ocean" in result.entities


def test_false_friend_reason_is_explained() -> None:
    result = classify("Indianapolis hosts the Indiana state fair")
    reasons = {f["term"]: f["reason"] for f in result.evidence["false_friends"]}
    assert reasons == {"Indianapolis": "US city, not India", "Indiana": "US state, not India"}


def test_congress_party_is_india_side_not_us() -> None:
    result = classify("Congress president Kharge writes to Modi on farm distress")
    assert result.evidence["us_terms"] == []
    assert "Indian National Congress" in result.entities
    assert not result.relevant


def test_currency_is_not_the_us_actor() -> None:
    result = classify("Skyworth India unveils 4K TV", "Part of a US$ 9 billion conglomerate from Shenzhen.")
    assert not result.relevant
    assert result.evidence["us_terms"] == []
