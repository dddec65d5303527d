"""Finding lexicon terms in text: Aho-Corasick automata, word boundaries, guards, overlaps.

:class:`Matcher` compiles :class:`~pipeline.detect.terms.Term` surfaces once into two automata
(pyahocorasick, C speed): one over lower-cased text for ordinary terms, one over the text as
written for case-sensitive acronyms ("US", "MEA", "Quad"), which keeps frequent substrings such
as "us" and "ai" out of the hot loop. It owns:

- surface variants: hyphens also match en/em dashes and the non-breaking hyphen, apostrophes
  match the typographic one, and Devanagari nukta letters match in composed, decomposed and
  nukta-less spellings, so texts need no normalisation pass;
- word boundaries: a match must not continue a word on either side (letters, digits and
  combining marks count as word characters, so Devanagari vowel signs do), except on the right
  of a ``prefix`` stem;
- guards: named context checks a term can require (``us_caps``: "US" in shouted text);
- overlaps: leftmost-longest, so "Indian Ocean" hides "Indian" and "US-India" hides "US".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final, cast

import ahocorasick

from pipeline.detect.terms import GUARD_US_CAPS, OFFTOPIC_DOMAINS, Term
from pipeline.topics import TOPICS

Terms = tuple[Term, ...]
Hit = tuple[int, int, str, Terms]  # start, stop (exclusive), surface as written, terms it matched
Rejection = tuple[str, str]  # surface as written, reason
# Automaton value: key length, check left boundary, check right boundary, terms needing a right
# boundary, stem terms that do not, whether any of them has a guard.
_Entry = tuple[int, bool, bool, Terms, Terms, bool]
_Iter = Callable[[str], Iterator[tuple[int, _Entry]]]

_DASHES: Final = ("\u2013", "\u2014", "\u2011")  # en dash, em dash, non-breaking hyphen
_NUKTA: Final = "\u093c"
# Devanagari letters with a precomposed nukta (क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़). NFC does not compose them, so
# real text carries both spellings, and many writers drop the nukta altogether.
_NUKTA_LETTERS: Final = {chr(c): unicodedata.normalize("NFD", chr(c)) for c in range(0x958, 0x960)}
_JOINERS: Final = frozenset("\u200c\u200d")  # ZWNJ/ZWJ sit inside Indic words


def _is_word_char(ch: str) -> bool:
    """Whether ``ch`` continues a word (so a match next to it is inside a longer word)."""
    if ch.isalnum() or ch == "_":
        return True
    return ch >= "\u0300" and (ch in _JOINERS or unicodedata.category(ch)[0] == "M")


def _nukta_forms(surface: str) -> set[str]:
    decomposed = "".join(_NUKTA_LETTERS.get(ch, ch) for ch in surface)
    if _NUKTA not in decomposed:
        return {surface}
    composed = decomposed
    for letter, parts in _NUKTA_LETTERS.items():
        composed = composed.replace(parts, letter)
    return {decomposed, composed, decomposed.replace(_NUKTA, "")}


def surface_variants(surface: str) -> set[str]:
    """All spellings of ``surface`` the matcher accepts (dash, apostrophe and nukta variants)."""
    forms = _nukta_forms(surface)
    if "-" in surface:
        forms |= {form.replace("-", dash) for form in forms for dash in _DASHES}
    if "'" in surface:
        forms |= {form.replace("'", "\u2019") for form in forms}
    return forms


# --- guards ---------------------------------------------------------------------------------

_CAPS_NEXT_WORD: Final = re.compile(r"[ \t]+([A-Z][A-Z0-9]*)")
# Words after an all-caps "US" that make it the country rather than the pronoun ("LET US TALK").
_CAPS_US_FOLLOWERS: Final = frozenset({
    "PRESIDENT", "GOVERNMENT", "ADMINISTRATION", "OFFICIALS", "OFFICIAL", "TARIFF", "TARIFFS", "TRADE",
    "SANCTIONS", "MILITARY", "ARMY", "NAVY", "FORCES", "TROOPS", "ENVOY", "AMBASSADOR", "EMBASSY", "CONGRESS",
    "SENATE", "VISA", "VISAS", "ELECTION", "ELECTIONS", "ECONOMY", "DOLLAR", "STOCKS", "MARKETS", "TREASURY",
    "FED", "TIES", "DEFENCE", "DEFENSE", "STATE", "SECRETARY", "CITIZENS", "CITIZEN", "COURT", "JUDGE", "DEAL",
    "SAYS", "WARNS", "URGES", "SLAPS", "IMPOSES",
})


def _us_not_pronoun(text: str, start: int, stop: int) -> bool:
    """Accept a case-sensitive "US" unless it stands in shouted text, where it may be the pronoun."""
    before = text[max(0, start - 40):start]
    after = text[stop:stop + 40]
    if not (before + after).isupper():
        return True  # there is lower-case text around it (or no cased text at all): "US" is the country
    if after[:1] in ("-", *_DASHES) or before.endswith(("THE ", "INDIA, ", "INDIA AND ")):
        return True
    if after.startswith((", INDIA", " AND INDIA")):
        return True
    follower = _CAPS_NEXT_WORD.match(after)
    return follower is not None and follower.group(1) in _CAPS_US_FOLLOWERS


# name → (check(text, start, stop) -> accept?, reason recorded when it rejects)
GUARDS: Final[dict[str, tuple[Callable[[str, int, int], bool], str]]] = {
    GUARD_US_CAPS: (_us_not_pronoun, "all-caps text: may be the pronoun"),
}


# --- compilation ----------------------------------------------------------------------------

def validate(term: Term) -> None:
    """Raise ValueError when a lexicon entry is malformed (a programming error in the data)."""
    where = f"lexicon term {term.surfaces!r}"
    if not term.surfaces or not all(s.strip() for s in term.surfaces):
        raise ValueError(f"{where}: needs at least one non-blank surface form")
    for name, weight in term.topics:
        if name not in TOPICS:
            raise ValueError(f"{where}: topic {name!r} is not one of {TOPICS}")
        if not 0.0 < weight <= 1.0:
            raise ValueError(f"{where}: topic weight {weight} must be in (0, 1]")
    for domain, weight in term.offtopic:
        if domain not in OFFTOPIC_DOMAINS:
            raise ValueError(f"{where}: off-topic domain {domain!r} is not one of {OFFTOPIC_DOMAINS}")
        if not 0.0 < weight <= 1.0:
            raise ValueError(f"{where}: off-topic weight {weight} must be in (0, 1]")
    for label, weight in (("us", term.us), ("india", term.india), ("bilateral", term.bilateral),
                          ("country_weight", term.country_weight)):
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"{where}: {label} weight {weight} must be in [0, 1]")
    if term.guard is not None and term.guard not in GUARDS:
        raise ValueError(f"{where}: unknown guard {term.guard!r}; known: {sorted(GUARDS)}")


class _Builder:
    """Collects key → terms for one automaton, then freezes it."""

    def __init__(self) -> None:
        self.keys: dict[str, list[Term]] = {}

    def add(self, key: str, term: Term) -> None:
        bucket = self.keys.setdefault(key, [])
        if term not in bucket:
            bucket.append(term)

    def build(self) -> _Iter | None:
        if not self.keys:
            return None
        automaton: Any = ahocorasick.Automaton()
        for key, terms in self.keys.items():
            strict = tuple(t for t in terms if not t.prefix)
            loose = tuple(t for t in terms if t.prefix)
            guarded = any(t.guard is not None for t in terms)
            entry: _Entry = (len(key), _is_word_char(key[0]), _is_word_char(key[-1]), strict, loose, guarded)
            automaton.add_word(key, entry)
        automaton.make_automaton()
        return cast(_Iter, automaton.iter)


class Matcher:
    """Finds the terms of a lexicon in text. Build once (it compiles automata); call :meth:`find` often."""

    def __init__(self, terms: Iterable[Term]) -> None:
        folded, exact = _Builder(), _Builder()
        for term in terms:
            validate(term)
            for surface in term.surfaces:
                for form in surface_variants(surface):
                    if term.case_sensitive:
                        exact.add(form, term)
                    else:
                        folded.add(form.lower(), term)
        self._folded = folded.build()
        self._exact = exact.build()

    def find(self, text: str) -> tuple[list[Hit], list[Rejection]]:
        """Non-overlapping matches in ``text`` (leftmost-longest, in text order) and rejected ones."""
        lower = text.lower()
        if len(lower) != len(text):
            # Only U+0130 (İ) lower-cases to two code points; keep offsets aligned with the original.
            text = text.replace("\u0130", "I")
            lower = text.lower()
        hits: list[Hit] = []
        rejected: list[Rejection] = []
        if self._folded is not None:
            _scan(self._folded, lower, text, hits, rejected)
        if self._exact is not None:
            _scan(self._exact, text, text, hits, rejected)
        if len(hits) < 2:
            return hits, rejected
        hits.sort(key=_leftmost_longest)
        kept: list[Hit] = []
        reach = -1
        for hit in hits:
            if hit[0] >= reach:
                kept.append(hit)
                reach = hit[1]
        return kept, rejected


def _leftmost_longest(hit: Hit) -> tuple[int, int]:
    return hit[0], -hit[1]


def _scan(iterate: _Iter, haystack: str, text: str, hits: list[Hit], rejected: list[Rejection]) -> None:
    """Append boundary-checked, guarded matches of one automaton over ``haystack`` to ``hits``."""
    size = len(haystack)
    for end, (length, left, right, strict, loose, guarded) in iterate(haystack):
        start = end - length + 1
        if left and start > 0:
            ch = haystack[start - 1]
            # The common case (ASCII letter or space) is decided without a function call.
            if ch.isalnum() or ch == "_" or (ch >= "\u0300" and _is_word_char(ch)):
                continue
        stop = end + 1
        if right and stop < size and _is_word_char(haystack[stop]):
            if not loose:
                continue
            terms = loose
            while stop < size and _is_word_char(haystack[stop]):  # report the whole inflected word
                stop += 1
        else:
            terms = strict + loose if loose else strict
        if guarded:
            terms = _apply_guards(terms, text, start, stop, rejected)
            if not terms:
                continue
        hits.append((start, stop, text[start:stop], terms))


def _apply_guards(terms: Terms, text: str, start: int, stop: int, rejected: list[Rejection]) -> Terms:
    kept: list[Term] = []
    for term in terms:
        if term.guard is not None:
            check, reason = GUARDS[term.guard]
            if not check(text, start, stop):
                rejected.append((text[start:stop], reason))
                continue
        kept.append(term)
    return tuple(kept)
