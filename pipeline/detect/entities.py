"""Entities: the people, organisations and places an article names, under canonical names.

Two sources, both deterministic:

- the gazetteers: every lexicon term may name canonical entities ("PM Modi", "Narendra Modi" →
  "Narendra Modi"; "Washington" → "Washington, D.C.", kept apart from "Washington (state)" and
  "White House"); their kinds are in :data:`pipeline.detect.lexicon.entity_kinds.ENTITY_KINDS`;
- patterns, for names no list knows, read in the summary and the body's lede of relevant
  articles (sentence case; headlines capitalise every word): a title before a name ("Commerce
  Secretary Sunil Barthwal", "spokesperson Randhir Jaiswal" → person), a name before a speech
  verb ("Karoline Leavitt said" → person), and an organisation suffix ("All India Rice Exporters
  Association" → organisation). A name inside a gazetteer match is left to the gazetteer.

Programmes, exercises, agreements and weapon systems in the gazetteers ("iCET", "MQ-9B") are not
entities (kind ``other``); they stay in ``matched_terms`` and the evidence.
"""

from __future__ import annotations

import re
from typing import Final

from pipeline.detect.lexicon import ENTITY_KINDS

PERSON, ORGANIZATION, PLACE = "person", "organization", "place"
KINDS: Final = (PERSON, ORGANIZATION, PLACE)

# Capitalised words that are not (parts of) a person's name.
_NOT_NAMES: Final = frozenset(
    {
        "The",
        "A",
        "An",
        "In",
        "On",
        "At",
        "For",
        "And",
        "But",
        "Or",
        "Of",
        "To",
        "By",
        "As",
        "With",
        "From",
        "After",
        "Before",
        "He",
        "She",
        "It",
        "They",
        "We",
        "His",
        "Her",
        "Its",
        "Their",
        "This",
        "That",
        "These",
        "Those",
        "House",
        "Department",
        "Ministry",
        "Minister",
        "Secretary",
        "President",
        "Prime",
        "Office",
        "Council",
        "Commission",
        "Court",
        "Congress",
        "Senate",
        "Party",
        "Government",
        "Bank",
        "Group",
        "Association",
        "Federation",
        "Agency",
        "Union",
        "Company",
        "Corporation",
        "University",
        "Institute",
        "Army",
        "Navy",
        "Air",
        "Force",
        "State",
        "States",
        "United",
        "National",
        "Indian",
        "American",
        "Chinese",
        "Russian",
        "Pakistani",
        "Officials",
        "Official",
        "Analysts",
        "Experts",
        "Sources",
        "Police",
        "Reuters",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "India",
        "America",
        "Washington",
        "Delhi",
        "New",
        "White",
        "Trade",
        "Commerce",
        "Foreign",
        "External",
        "Affairs",
        "Defence",
        "Defense",
        "Home",
        "Finance",
        "Energy",
        "Chief",
        "General",
        "Deputy",
        "Under",
        "Assistant",
        "Special",
        "Senior",
        "Vice",
        "Federal",
        "Central",
        "Supreme",
        "High",
        "Lok",
        "Sabha",
        "Rajya",
        "Parliament",
        "Spokesperson",
        "Spokesman",
        "Ambassador",
        "Envoy",
        "Others",
        "Both",
        "US",
        "U.S.",
        "UK",
        "EU",
        "UN",
        "MEA",
        "Quad",
    }
)
_FUNCTION_WORDS: Final = frozenset(
    {
        "A",
        "An",
        "In",
        "On",
        "At",
        "For",
        "And",
        "But",
        "Or",
        "Of",
        "To",
        "By",
        "As",
        "With",
        "From",
        "After",
        "Before",
        "This",
        "That",
        "Its",
        "Their",
    }
)
# A run of capitalised words, allowing the small words inside organisation names.
_CAPITALISED_RUN: Final = re.compile(r"(?<![\w'’])[A-Z][\w'’.&-]*(?:\s+(?:(?:of|and|for|the|&)\s+)?[A-Z][\w'’.&-]*)*")
_SPEECH_AFTER: Final = re.compile(r"\s+(?:said|says|told|added|wrote|argued|announced|tweeted)\b")
# Titles before a name, capitalised inside the run ("Commerce Secretary Sunil Barthwal") ...
_TITLES: Final = frozenset(
    {
        "President",
        "Vice-President",
        "Minister",
        "Secretary",
        "Ambassador",
        "Envoy",
        "Senator",
        "Sen.",
        "Rep.",
        "Representative",
        "Congressman",
        "Congresswoman",
        "Governor",
        "Gov.",
        "Dr",
        "Dr.",
        "Mr",
        "Mr.",
        "Ms",
        "Ms.",
        "Mrs",
        "Mrs.",
        "General",
        "Gen.",
        "Admiral",
        "Adm.",
        "Marshal",
        "Justice",
        "Judge",
        "Spokesperson",
        "Spokesman",
        "Spokeswoman",
        "CEO",
        "Chairman",
        "Chairperson",
        "Chair",
        "Founder",
        "Commissioner",
        "Mayor",
        "Director",
        "Chancellor",
        "Adviser",
        "Advisor",
        "Consul",
        "Attorney",
        "Commander",
        "Chief",
    }
)
# ... or in lower case just before it ("spokesperson Randhir Jaiswal").
_TITLES_BEFORE: Final = frozenset(
    {
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "minister",
        "secretary",
        "ambassador",
        "envoy",
        "adviser",
        "advisor",
        "chairman",
        "chairperson",
        "president",
        "governor",
        "director",
        "executive",
        "founder",
        "ceo",
        "commissioner",
        "mayor",
        "senator",
        "congressman",
        "congresswoman",
        "representative",
        "negotiator",
        "economist",
        "analyst",
        "general",
        "admiral",
        "chief",
    }
)
_ORG_SUFFIXES: Final = frozenset(
    {
        "Association",
        "Federation",
        "Council",
        "Institute",
        "University",
        "Agency",
        "Authority",
        "Commission",
        "Corporation",
        "Industries",
        "Technologies",
        "Electronics",
        "Motors",
        "Pharmaceutical",
        "Pharmaceuticals",
        "Bank",
        "Group",
        "Ltd",
        "Ltd.",
        "Limited",
        "Inc",
        "Inc.",
        "Corp",
        "Corp.",
        "Foundation",
        "Organisation",
        "Organisations",
        "Organization",
        "Organizations",
        "Ministry",
        "Department",
        "Bureau",
        "Board",
        "Party",
        "Airlines",
        "Shipyard",
        "Energy",
        "Steel",
        "Systems",
        "Labs",
        "Forum",
        "Chamber",
        "Society",
        "Trust",
    }
)


def kind_of(name: str) -> str | None:
    """The kind of a gazetteer entity: person, organization, place, other (not an entity), or None if unknown."""
    return ENTITY_KINDS.get(name)


def from_patterns(text: str, known: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    """(name, kind, pattern) for names the patterns find in ``text`` that no gazetteer match covers.

    ``known``: lower-cased surfaces the gazetteers matched ("prime minister narendra modi" covers
    "Narendra Modi").

    Patterns: ``title`` ("Secretary Sunil Barthwal", "spokesperson Randhir Jaiswal"), ``speech_verb``
    ("Karoline Leavitt said") and ``organisation_suffix`` ("All India Rice Exporters Association").
    """
    found: list[tuple[str, str, str]] = []
    for match in _CAPITALISED_RUN.finditer(text):
        words = match.group().split()
        if len(words) < 2:
            continue  # a lone capitalised word (a sentence start) names nobody new
        name, kind, pattern = _candidate(text, match.start(), match.end(), words)
        if not name or any(name == other for other, _, _ in found):
            continue
        lowered = name.lower()
        if not any(lowered in surface for surface in known):  # the gazetteers know it under that name
            found.append((name, kind, pattern))
    return found


def _candidate(text: str, start: int, stop: int, words: list[str]) -> tuple[str | None, str, str]:
    if words[-1] in _ORG_SUFFIXES and len(words) > 1:
        if words[0] in ("The", "the"):
            words = words[1:]
        name = " ".join(words) if len(words) > 1 and words[0] not in _FUNCTION_WORDS else None
        return name, ORGANIZATION, "organisation_suffix"
    titled = [i for i, word in enumerate(words) if word in _TITLES]
    if titled:
        return _person(words[titled[-1] + 1 :]), PERSON, "title"
    before = text[max(0, start - 16) : start].split()
    if before and before[-1].lower() in _TITLES_BEFORE:
        return _person(words), PERSON, "title"
    return (_person(words) if _SPEECH_AFTER.match(text, stop) else None), PERSON, "speech_verb"


def _name_like(word: str) -> bool:
    if word in _NOT_NAMES or "&" in word:
        return False
    return len(word.rstrip(".")) == 1 or not word.isupper()  # an initial, or not an acronym (USTR)


def _person(words: list[str]) -> str | None:
    """A plausible person's name: the capitalised words after the last one that cannot be part of a name."""
    words = [word[:-2] if word.endswith(("'s", "’s")) else word for word in words]
    start = len(words)
    while start and _name_like(words[start - 1]):
        start -= 1
    words = words[start:]
    if not 2 <= len(words) <= 4:
        return None
    if all(len(word.rstrip(".")) == 1 for word in words):
        return None  # initials only
    return " ".join(words)
