"""Finding lexicon terms in text: one Aho-Corasick automaton over word-padded text, guards, overlaps.

:class:`Matcher` compiles :class:`~pipeline.detect.terms.Term` surfaces once into one automaton
(pyahocorasick, C speed) over lower-cased text. Case-sensitive terms (acronyms such as "US",
"MEA", "Quad", and names that are also words, "Apple") share it and are kept only when the text
has them exactly as listed, so "us" and "quad bike" do not match. It owns:

- word boundaries, without a Python check per match: punctuation and whitespace are mapped to
  spaces (:data:`BOUNDARY_CHARS`, a 1:1 ``str.translate``, so offsets are kept), the text is padded
  with a space on each side and every key is " surface " — the automaton can then only report
  whole words, never "app" inside "approve" or "oil" inside "spoil". Letters, digits, ``_``,
  combining marks and joiners are word characters, so Devanagari vowel signs continue a word. A
  ``prefix`` stem's key has no trailing space, and the match reports the whole inflected word;
- surface variants: hyphens, dashes and apostrophes of every kind are boundaries on both sides
  ("India–US" matches "India-US", "India’s" contains "India"), and Devanagari nukta letters match
  in composed, decomposed and nukta-less spellings, so texts need no normalisation pass;
- guards: named context checks a term can require (``us_caps``: "US" in shouted text);
- overlaps: leftmost-longest, so "Indian Ocean" hides "Indian" and "US-India" hides "US"; terms
  with the same span (a word and a stem) are reported together.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final, NamedTuple, cast

import ahocorasick

from pipeline.core.topics import TOPICS
from pipeline.detect.terms import GUARD_US_CAPS, OFFTOPIC_DOMAINS, SIDE_KINDS, Term

Terms = tuple[Term, ...]
Span = tuple[int, int, Terms, int]  # start, stop in the joined texts, terms, their side mask
Hit = tuple[int, int, str, Terms]  # start, stop (exclusive), surface as written, terms it matched
Rejection = tuple[str, str]  # surface as written, reason
# Automaton value: key length, whether the key is a stem (no right boundary), terms, the case-sensitive
# terms by spelling (each spelling as written → all terms it matches with their side mask; None when the
# key has no case-sensitive term), whether any term has a guard, the terms' side mask.
_Entry = tuple[int, bool, Terms, dict[str, tuple[Terms, int]] | None, bool, int]
US_SIDE, INDIA_SIDE = 1, 2  # bits of a side mask: which sides terms name unambiguously
_Iter = Callable[[str], Iterator[tuple[int, _Entry]]]

# Characters that separate words: mapped to a space before matching.
BOUNDARY_CHARS: Final = (
    " \t\n\r\f\v\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u3000"
    "!\"'(),-./:;<=>?[\\]^`{|}~\u00ab\u00bb\u00b7\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
    "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u2026\u2032\u0964\u0965"
)
_TO_SPACE: Final = str.maketrans(dict.fromkeys(BOUNDARY_CHARS, " "))  # the mapping; _spaced() applies it fast
# str.translate with a dict goes through a Python lookup per character once the text is not ASCII (half of
# real feed text: curly quotes, dashes), the largest single cost of a scan. The same 1:1 mapping is done in
# C: str.replace for the few non-ASCII boundary characters present, then bytes.translate over UTF-8, where
# an ASCII byte is always an ASCII character (no multi-byte sequence contains one).
_WIDE_BOUNDARIES: Final = tuple(ch for ch in BOUNDARY_CHARS if ord(ch) >= 0x80)
_ASCII_BOUNDARIES: Final = "".join(ch for ch in BOUNDARY_CHARS if ord(ch) < 0x80 and ch != " ")
_ASCII_TO_SPACE: Final = bytes.maketrans(_ASCII_BOUNDARIES.encode("ascii"), b" " * len(_ASCII_BOUNDARIES))
_SEPARATOR: Final = " \x00 "  # between the texts of one find_fields() call: no key contains it
_DASHES: Final = ("\u2013", "\u2014", "\u2011")  # en dash, em dash, non-breaking hyphen
_NUKTA: Final = "\u093c"
_HYPHENS: Final = ("-", *_DASHES)  # a hyphen or dash right after "US" (a compound: "US-India")
# Devanagari letters with a precomposed nukta (क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़). NFC does not compose them, so
# real text carries both spellings, and many writers drop the nukta altogether.
_NUKTA_LETTERS: Final = {chr(c): unicodedata.normalize("NFD", chr(c)) for c in range(0x958, 0x960)}


def _nukta_forms(surface: str) -> set[str]:
    decomposed = "".join(_NUKTA_LETTERS.get(ch, ch) for ch in surface)
    if _NUKTA not in decomposed:
        return {surface}
    composed = decomposed
    for letter, parts in _NUKTA_LETTERS.items():
        composed = composed.replace(parts, letter)
    return {decomposed, composed, decomposed.replace(_NUKTA, "")}


def surface_variants(surface: str) -> set[str]:
    """All spellings of ``surface`` the matcher accepts besides boundary characters (nukta variants)."""
    return _nukta_forms(surface)


def _spaced(text: str) -> str:
    """``text.translate(_TO_SPACE)``: every boundary character as a space, offsets kept (see above)."""
    if not text.isascii():
        for ch in _WIDE_BOUNDARIES:
            if ch in text:
                text = text.replace(ch, " ")
    # surrogatepass: a lone surrogate (broken feed text) round-trips instead of raising.
    return text.encode("utf-8", "surrogatepass").translate(_ASCII_TO_SPACE).decode("utf-8", "surrogatepass")


def _pad(text: str) -> str:
    """The text as the automata see it: boundary characters as spaces, a space on each side."""
    return f" {_spaced(text)} "


# --- guards ---------------------------------------------------------------------------------

_CAPS_NEXT_WORD: Final = re.compile(r"[ \t]+([A-Z][A-Z0-9]*)")
# Words after an all-caps "US" that make it the country rather than the pronoun ("LET US TALK").
_CAPS_US_FOLLOWERS: Final = frozenset(
    {
        "PRESIDENT",
        "GOVERNMENT",
        "ADMINISTRATION",
        "OFFICIALS",
        "OFFICIAL",
        "TARIFF",
        "TARIFFS",
        "TRADE",
        "SANCTIONS",
        "MILITARY",
        "ARMY",
        "NAVY",
        "FORCES",
        "TROOPS",
        "ENVOY",
        "AMBASSADOR",
        "EMBASSY",
        "CONGRESS",
        "SENATE",
        "VISA",
        "VISAS",
        "ELECTION",
        "ELECTIONS",
        "ECONOMY",
        "DOLLAR",
        "STOCKS",
        "MARKETS",
        "TREASURY",
        "FED",
        "TIES",
        "DEFENCE",
        "DEFENSE",
        "STATE",
        "SECRETARY",
        "CITIZENS",
        "CITIZEN",
        "COURT",
        "JUDGE",
        "DEAL",
        "SAYS",
        "WARNS",
        "URGES",
        "SLAPS",
        "IMPOSES",
    }
)


def _us_not_pronoun(text: str, start: int, stop: int) -> bool:
    """Accept a case-sensitive "US" unless it stands in shouted text, where it may be the pronoun."""
    before = text[max(0, start - 40) : start].rsplit("\x00", 1)[-1]  # within its own field
    after = text[stop : stop + 40].split("\x00", 1)[0]
    if not (before + after).isupper():
        return True  # there is lower-case text around it (or no cased text at all): "US" is the country
    if after[:1] in _HYPHENS or before.endswith(("THE ", "INDIA, ", "INDIA AND ")):
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
    for label, weight in (
        ("us", term.us),
        ("india", term.india),
        ("bilateral", term.bilateral),
        ("country_weight", term.country_weight),
    ):
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"{where}: {label} weight {weight} must be in [0, 1]")
    if term.kind not in SIDE_KINDS:
        raise ValueError(f"{where}: kind {term.kind!r} is not one of {SIDE_KINDS}")
    if term.guard is not None and term.guard not in GUARDS:
        raise ValueError(f"{where}: unknown guard {term.guard!r}; known: {sorted(GUARDS)}")


class _Builder:
    """Collects key → terms for one automaton, then freezes it."""

    def __init__(self) -> None:
        self.keys: dict[str, list[Term]] = {}
        self.exact: dict[str, dict[Term, set[str]]] = {}  # key → case-sensitive term → spellings

    def add(self, form: str, term: Term) -> None:
        padded = _pad(form.lower())
        key = padded[:-1] if term.prefix else padded
        if term.case_sensitive:
            self.exact.setdefault(key, {}).setdefault(term, set()).add(form)
            return
        bucket = self.keys.setdefault(key, [])
        if term not in bucket:
            bucket.append(term)

    def build(self) -> _Iter | None:
        keys = set(self.keys) | set(self.exact)
        if not keys:
            return None
        automaton: Any = ahocorasick.Automaton()
        for key in keys:
            terms = tuple(self.keys.get(key, ()))
            exact = tuple(self.exact.get(key, {}).items())
            guarded = any(t.guard is not None for t in terms) or any(t.guard is not None for t, _ in exact)
            # Resolved once here, not per match: a spelling's terms are the key's case-insensitive terms,
            # then its case-sensitive ones in lexicon order.
            spellings = {form for _, forms in exact for form in forms}
            by_spelling: dict[str, tuple[Terms, int]] = {}
            for form in spellings:
                matched = terms + tuple(term for term, forms in exact if form in forms)
                by_spelling[form] = (matched, _side_mask(matched))
            entry: _Entry = (len(key), not key.endswith(" "), terms, by_spelling or None, guarded, _side_mask(terms))
            automaton.add_word(key, entry)
        automaton.make_automaton()
        return cast(_Iter, automaton.iter)


class Matcher:
    """Finds the terms of a lexicon in text. Build once (it compiles automata); call :meth:`find` often."""

    def __init__(self, terms: Iterable[Term]) -> None:
        builder = _Builder()
        for term in terms:
            validate(term)
            for surface in term.surfaces:
                for form in surface_variants(surface):
                    builder.add(form, term)
        self._iter = builder.build()

    def find(self, text: str) -> tuple[list[Hit], list[Rejection]]:
        """Non-overlapping matches in ``text`` (leftmost-longest, in text order) and rejected ones."""
        return self.find_fields(text)[0]

    def find_fields(self, *texts: str) -> list[tuple[list[Hit], list[Rejection]]]:
        """:meth:`find` for several texts (an article's title, summary, body) in one automaton pass.

        The texts are joined with a separator no key contains, so no match spans two of them;
        offsets in the results are relative to each text.
        """
        return self.scan(*texts)[0]

    def scan(self, *texts: str) -> tuple[list[tuple[list[Hit], list[Rejection]]], int]:
        """:meth:`find_fields`, and the side mask of all matches (``US_SIDE | INDIA_SIDE``: both named)."""
        found = self.spans(*texts)
        return split(found), found.mask

    def spans(self, *texts: str) -> Scan:
        """The matches of one automaton pass over ``texts`` (joined), before they are split into fields.

        :func:`split` gives :meth:`scan`'s per-field hits; an article that turns out not to name both
        sides is tallied from this directly (:meth:`~pipeline.detect.tally.Tally.add_gated`).
        """
        joined = _SEPARATOR.join(texts)
        lower = joined.lower()
        if len(lower) != len(joined):
            # Only U+0130 (İ) lower-cases to two code points; keep offsets aligned with the original.
            texts = tuple(text.replace("\u0130", "I") for text in texts)
            joined = _SEPARATOR.join(texts)
            lower = joined.lower()
        spans: list[Span] = []
        rejected: list[tuple[int, str, str]] = []
        mask = 0
        if self._iter is not None:
            mask = _scan(self._iter, _pad(lower), joined, spans, rejected)
            if len(spans) > 1 and _overlapping(spans):
                spans = _resolve_overlaps(spans)
                mask = 0
                for span in spans:
                    mask |= span[3]
        return Scan(texts, joined, spans, rejected, mask)


class Scan(NamedTuple):
    """One automaton pass over several texts (:meth:`Matcher.spans`); offsets are into ``joined``."""

    texts: tuple[str, ...]
    joined: str  # the texts joined with _SEPARATOR
    spans: list[Span]  # kept matches in text order, none across a separator
    rejected: list[tuple[int, str, str]]  # start, surface as written, reason
    mask: int  # side mask of all kept matches


SEPARATOR_LENGTH: Final = len(_SEPARATOR)


def split(found: Scan) -> list[tuple[list[Hit], list[Rejection]]]:
    """The hits and rejections of each text of ``found``, offsets relative to each text."""
    texts, joined, spans, rejected = found.texts, found.joined, found.spans, found.rejected
    results: list[tuple[list[Hit], list[Rejection]]] = [([], []) for _ in texts]
    if spans:
        # Spans are in text order and none crosses a separator: walk them once, moving to the next
        # text when one starts past the current text's end.
        field, offset, end = 0, 0, len(texts[0])
        own = results[0][0]
        for start, stop, terms, _ in spans:
            while start >= end:
                field += 1
                offset = end + SEPARATOR_LENGTH
                end = offset + len(texts[field])
                own = results[field][0]
            own.append((start - offset, stop - offset, joined[start:stop], terms))
    if rejected:
        for (_, own_rejected), field_rejected in zip(results, rejected_by_field(found), strict=True):
            own_rejected.extend(field_rejected)
    return results


def rejected_by_field(found: Scan) -> list[list[Rejection]]:
    """The rejected matches of ``found`` (surface as written, reason), one list per text, in text order."""
    by_field: list[list[Rejection]] = []
    offset = 0
    for text in found.texts:
        end = offset + len(text)
        by_field.append([(surface, reason) for at, surface, reason in found.rejected if offset <= at < end])
        offset = end + SEPARATOR_LENGTH
    return by_field


def _overlapping(spans: list[Span]) -> bool:
    """Whether any span starts before the previous one stops (the automaton reports them by end position).

    When none does, the spans are already in text order and disjoint, so :func:`_resolve_overlaps` would
    keep them all as they are; most articles are so, and this check costs one pass instead of two sorts.
    """
    reach = -1
    for start, stop, _, _ in spans:
        if start < reach:
            return True
        reach = stop
    return False


def _resolve_overlaps(spans: list[Span]) -> list[Span]:
    """Leftmost-longest; matches with the same span are one match carrying all their terms."""
    spans.sort(key=_STOP, reverse=True)
    spans.sort(key=_START)  # stable: by start, then longest first
    kept: list[Span] = []
    reach = -1
    for span in spans:
        if span[0] >= reach:
            kept.append(span)
            reach = span[1]
        elif span[0] == kept[-1][0] and span[1] == kept[-1][1]:
            last = kept[-1]  # same span (a word and a stem): one match, all terms
            kept[-1] = (last[0], last[1], last[2] + tuple(t for t in span[2] if t not in last[2]), last[3] | span[3])
    return kept


def _side_mask(terms: Terms) -> int:
    mask = 0
    for term in terms:
        if not term.ambiguous:
            mask |= (US_SIDE if term.us else 0) | (INDIA_SIDE if term.india else 0)
    return mask


_START: Final = operator.itemgetter(0)
_STOP: Final = operator.itemgetter(1)


def _scan(
    iterate: _Iter,
    haystack: str,
    text: str,
    spans: list[Span],
    rejected: list[tuple[int, str, str]],
) -> int:
    """Append the case-checked, guarded matches (start, stop, terms, sides) over the padded ``haystack`` to
    ``spans``; return the side mask of all of them.

    Offsets: ``haystack[i + 1]`` is ``text[i]``; a key starts with the space before its word.
    """
    mask = 0
    append = spans.append
    for end, (length, stem, listed, exact, guarded, listed_sides) in iterate(haystack):
        start = end - length + 1  # the boundary before the word: text index of the word's first character
        stop = haystack.find(" ", end + 1) - 1 if stem else end - 1
        terms, sides = listed, listed_sides
        if exact is not None:
            spelled = exact.get(text[start : end - 1 if stem else stop])
            if spelled is not None:
                terms, sides = spelled
            elif not terms:
                continue
        if guarded:
            terms = _apply_guards(terms, text, start, stop, rejected)
            if not terms:
                continue
            sides = _side_mask(terms)
        append((start, stop, terms, sides))
        mask |= sides
    return mask


def _apply_guards(terms: Terms, text: str, start: int, stop: int, rejected: list[tuple[int, str, str]]) -> Terms:
    kept: list[Term] = []
    for term in terms:
        if term.guard is not None:
            check, reason = GUARDS[term.guard]
            if not check(text, start, stop):
                rejected.append((start, text[start:stop], reason))
                continue
        kept.append(term)
    return tuple(kept)
