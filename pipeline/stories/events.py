"""Event keys: the same event told in an outlet's own words.

Two outlets that write up one event in their own words share few word pairs
(the MinHash bands miss them) but name the same people, places, bodies and
figures: "'Apocalypse Now' actor Robert Duvall dies aged 95" and "Hollywood
legend Robert Duvall, star of 'The Godfather' ... has died at 95". The event
channel keys an article by those **key terms**:

* a key term is a capitalised word, a number or (with ``long_word``) a
  lower-case word of at least that many letters — long words are rare words
  — of the headline and the lead (the first ``lead_chars`` characters),
  accents folded; not a stopword, not a generic word of news copy (titles,
  weekdays, months, outlets, "former", "north", and the US and India, which
  every article newsmon indexes names: words that name no particular event)
  and not a year; numbers that are part of a date or a clock time are
  skipped too;
* it is cut to its first ``event_stem`` letters (truncation stemming:
  "Ukraine"/"Ukrainian", "Korea"/"Korean", "impeach"/"impeached" agree, and
  it needs no dictionary);
* the article's first ``event_terms`` distinct key terms (headline first,
  then the lead: what the article is about comes first);
* one **event key** per pair of them of which one is among the first
  ``anchors`` (``e`` + a 64-bit BLAKE2b of the pair): 30 keys at most with
  the defaults (10 terms, 4 anchors).

Two articles sharing ``s`` key terms, ``a`` of them anchors in both, share
about ``a (a - 1) / 2 + a (s - a)`` event keys: the join rule in
:mod:`.grouping` asks for ``min_event_votes`` of them (7: e.g. five shared
terms of which two anchors) held by one story within ``event_window_s`` (12
hours: an event is written up within hours; a later article on the same
people is mostly a follow-up). The keys are claimed in the same store as the
bands (kind ``event`` in the engine), so the event channel scales out the
same way, and they expire after their own window.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from typing import Final

from pipeline.stories.text import OUTLET_SUFFIX, STOPWORDS

EVENT_PREFIX: Final = "e"
_TOKEN: Final = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_YEAR: Final = re.compile(r"(?:1[89]|20)\d\d")
# "October 17, 2021", "17 Oct", "10:30", "5 pm": a number in a date or a time names no event.
_DATE_OR_TIME: Final = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"
    r"|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b\d{1,2}[:.]\d\d\b|\b\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.)",
    re.IGNORECASE,
)
# Capitalised words of news copy that name no particular event: titles, ranks, calendar words,
# directions, outlets and the words that head a column ("Explainer", "Analysis", "Live"); and the two
# sides of every article newsmon indexes (US, India and their capitals), which tell its events apart no more
# than a weekday does.
_GENERIC_TEXT: Final = """
mr mrs ms dr sir president presidential minister ministers prime pm chief secretary former ex leader leaders
government official officials spokesperson spokesman king queen prince princess senator governor mayor
general gen state states national federal ministry department office party opposition court high supreme
monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow week weekend year
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
north south east west northern southern eastern western central new old first second last next top
world global international breaking live update updates exclusive explainer analysis opinion editorial
watch video photos photo podcast newsletter briefing edition morning evening night daily weekly
reuters ap afp pti ani ians bbc cnn npr nyt
mln bn billion million per cent percent
india indian indians us usa america american americans washington delhi
"""
GENERIC: Final = frozenset(_GENERIC_TEXT.split())


def _spans_of(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def _fold(text: str) -> str:
    """Accents off ("Jerí" = "Jeri"): outlets spell foreign names both ways."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def key_terms(
    title: str, lead: str, limit: int = 8, stem: int = 6, lead_chars: int = 300, long_word: int = 0
) -> list[str]:
    """The first ``limit`` distinct key terms of headline + lead, each cut to ``stem`` characters; with
    ``long_word``, lower-case words of at least that many letters count too (long words are rare words)."""
    text = _fold(f"{OUTLET_SUFFIX.sub('', title)} . {lead[:lead_chars]}")
    dates = _spans_of(_DATE_OR_TIME, text)
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        word = re.sub(r"['’]s$", "", m.group())
        if not word or not (word[0].isupper() or word[0].isdigit() or 0 < long_word <= len(word)):
            continue
        low = word.lower()
        if low in STOPWORDS or low in GENERIC:
            continue
        if low.isdigit():
            if _YEAR.fullmatch(low) or int(low) == 0 or any(a <= m.start() < b for a, b in dates):
                continue
        elif len(low) < 2:
            continue
        term = low[:stem]
        if term not in out:
            out.append(term)
            if len(out) == limit:
                break
    return out


def event_key(a: str, b: str) -> str:
    """The key of one pair of key terms (order-free): ``e`` + 16 hex digits."""
    low, high = sorted((a, b))
    return EVENT_PREFIX + hashlib.blake2b(f"{low}\x1f{high}".encode(), digest_size=8).hexdigest()


def event_keys(terms: list[str], anchors: int = 4) -> tuple[str, ...]:
    """One key per pair of ``terms`` of which one is among the first ``anchors`` (the headline's, mostly):
    a shared headline term counts in more pairs than a shared term of the lead."""
    return tuple(event_key(terms[i], terms[j]) for i, j in itertools.combinations(range(len(terms)), 2) if i < anchors)


def is_event_key(key: str) -> bool:
    return key.startswith(EVENT_PREFIX)
