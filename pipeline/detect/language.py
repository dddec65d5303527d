"""Cheap language identification (ISO 639-1) from script and stopwords, for entries that do not say.

Non-Latin scripts mostly name their language (Kannada → ``kn``); where a script is shared a few
letters or function words decide (Urdu vs Arabic, Marathi vs Hindi, Japanese kana vs Chinese).
Latin-script text is told apart by counting stopwords of a handful of languages. The answer is
``None`` when the evidence is thin (a short headline without function words) or split.
Only the first :data:`SAMPLE_CHARS` characters are read, so the cost is bounded.
"""

from __future__ import annotations

import bisect
import re
from typing import Final

SAMPLE_CHARS: Final = 400
_MAJORITY_SAMPLE: Final = 64  # non-Latin letters inspected to find the dominant script
_NON_LATIN_SHARE: Final = 0.25  # below this share of the sample, non-Latin letters are quotations

# (first code point, last code point, script). Sorted by first code point.
_SCRIPTS: Final = (
    (0x0370, 0x03FF, "el"),
    (0x0400, 0x052F, "cyrillic"),
    (0x0530, 0x058F, "hy"),
    (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bn"),
    (0x0A00, 0x0A7F, "pa"),
    (0x0A80, 0x0AFF, "gu"),
    (0x0B00, 0x0B7F, "or"),
    (0x0B80, 0x0BFF, "ta"),
    (0x0C00, 0x0C7F, "te"),
    (0x0C80, 0x0CFF, "kn"),
    (0x0D00, 0x0D7F, "ml"),
    (0x0D80, 0x0DFF, "si"),
    (0x0E00, 0x0E7F, "th"),
    (0x0E80, 0x0EFF, "lo"),
    (0x0F00, 0x0FFF, "bo"),
    (0x1000, 0x109F, "my"),
    (0x10A0, 0x10FF, "ka"),
    (0x1100, 0x11FF, "ko"),
    (0x1200, 0x137F, "am"),
    (0x1780, 0x17FF, "km"),
    (0x3040, 0x30FF, "kana"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xAC00, 0xD7AF, "ko"),
    (0xF900, 0xFAFF, "han"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE70, 0xFEFF, "arabic"),
)
_STARTS: Final = tuple(start for start, _, _ in _SCRIPTS)
_NON_LATIN: Final = re.compile("[" + "".join(f"\\u{start:04x}-\\u{end:04x}" for start, end, _ in _SCRIPTS) + "]")
# Punctuation, digits and symbols of Latin-script text become spaces, leaving words to split on.
_NOT_LETTER_CHARS: Final = "0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~’‘“”–—…«»"
_NOT_LETTERS: Final = str.maketrans(dict.fromkeys(_NOT_LETTER_CHARS, " "))  # the mapping; _words() applies it
# As in pipeline.detect.matcher: str.translate with a dict is slow on non-ASCII text, so the few non-ASCII
# characters are replaced with str.replace and the ASCII ones with bytes.translate over UTF-8.
_WIDE_NOT_LETTERS: Final = tuple(ch for ch in _NOT_LETTER_CHARS if ord(ch) >= 0x80)
_ASCII_NOT_LETTERS: Final = "".join(ch for ch in _NOT_LETTER_CHARS if ord(ch) < 0x80)
_ASCII_TO_SPACE: Final = bytes.maketrans(_ASCII_NOT_LETTERS.encode("ascii"), b" " * len(_ASCII_NOT_LETTERS))

_URDU_LETTERS: Final = frozenset("ٹڈڑںےۓھ")
_PERSIAN_LETTERS: Final = frozenset("پچژگ")
_UKRAINIAN_LETTERS: Final = frozenset("іїєґІЇЄҐ")
_MARATHI_MARKERS: Final = (" आहे", " आणि ", "च्या ", " नाही")
_NEPALI_MARKERS: Final = (" छ ", " छन्", "गरेको", "भएको", " हुन्छ")

_STOPWORDS: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "for",
        "on",
        "with",
        "as",
        "at",
        "by",
        "from",
        "that",
        "this",
        "are",
        "was",
        "were",
        "will",
        "has",
        "have",
        "had",
        "be",
        "been",
        "its",
        "it",
        "after",
        "over",
        "says",
        "said",
        "not",
        "but",
        "or",
        "an",
        "their",
        "they",
        "he",
        "she",
        "his",
        "her",
        "who",
        "which",
        "what",
        "amid",
        "into",
        "about",
        "than",
        "could",
        "would",
        "should",
        "how",
        "why",
        "we",
        "you",
        "our",
    ),
    "es": (
        "el",
        "los",
        "las",
        "del",
        "que",
        "y",
        "una",
        "por",
        "con",
        "para",
        "es",
        "su",
        "al",
        "como",
        "más",
        "pero",
        "sus",
        "ya",
        "este",
        "esta",
        "entre",
        "cuando",
        "sin",
        "sobre",
        "también",
    ),
    "fr": (
        "le",
        "les",
        "des",
        "du",
        "et",
        "est",
        "une",
        "qui",
        "dans",
        "pour",
        "pas",
        "sur",
        "au",
        "aux",
        "avec",
        "ce",
        "il",
        "elle",
        "ne",
        "plus",
        "par",
        "sont",
        "été",
        "cette",
        "mais",
    ),
    "de": (
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "zu",
        "den",
        "dem",
        "von",
        "mit",
        "sich",
        "auf",
        "für",
        "im",
        "auch",
        "werden",
        "aus",
        "hat",
        "dass",
        "nach",
        "bei",
        "wird",
        "noch",
        "über",
    ),
    "pt": (
        "os",
        "da",
        "do",
        "das",
        "dos",
        "em",
        "um",
        "uma",
        "não",
        "mais",
        "na",
        "ao",
        "é",
        "à",
        "foi",
        "seu",
        "sua",
        "pelo",
        "pela",
        "também",
    ),
    "it": (
        "il",
        "gli",
        "di",
        "della",
        "che",
        "è",
        "per",
        "non",
        "sono",
        "nel",
        "nella",
        "anche",
        "più",
        "questo",
        "ha",
    ),
    "nl": ("het", "een", "van", "dat", "op", "zijn", "voor", "niet", "ook", "bij", "door", "wordt", "naar"),
    "id": (
        "yang",
        "dan",
        "di",
        "ini",
        "itu",
        "dengan",
        "untuk",
        "dari",
        "dalam",
        "tidak",
        "akan",
        "pada",
        "adalah",
        "juga",
        "oleh",
        "bahwa",
    ),
}

_STOPWORD_SETS: Final = tuple((lang, frozenset(words)) for lang, words in _STOPWORDS.items())


def detect_language(text: str) -> str | None:
    """Best-guess ISO 639-1 code of ``text``, or ``None`` when unsure (see the module docstring)."""
    sample = text[:SAMPLE_CHARS]
    if not sample.isascii():
        letters = _NON_LATIN.findall(sample)
        if len(letters) >= _NON_LATIN_SHARE * len(sample):
            return _by_script(sample, letters)
    return _by_stopwords(sample)


def _by_script(sample: str, letters: list[str]) -> str | None:
    counts: dict[str, int] = {}
    for ch in letters[:_MAJORITY_SAMPLE]:
        index = bisect.bisect_right(_STARTS, ord(ch)) - 1
        script = _SCRIPTS[index][2]
        counts[script] = counts.get(script, 0) + 1
    script = max(counts, key=counts.__getitem__)
    if script in {"han", "kana"}:
        return "ja" if "kana" in counts else "zh"
    if script == "devanagari":
        if any(marker in sample for marker in _MARATHI_MARKERS):
            return "mr"
        if any(marker in sample for marker in _NEPALI_MARKERS):
            return "ne"
        return "hi"
    if script == "arabic":
        chars = set(sample)
        if chars & _URDU_LETTERS:
            return "ur"
        return "fa" if chars & _PERSIAN_LETTERS else "ar"
    if script == "cyrillic":
        return "uk" if set(sample) & _UKRAINIAN_LETTERS else "ru"
    return script


def _by_stopwords(sample: str) -> str | None:
    # Distinct stopwords per language: set intersections keep this loop out of Python.
    words = _words(sample)
    best, best_count, tied = None, 0, False
    for lang, stopwords in _STOPWORD_SETS:
        count = len(words & stopwords)
        if count > best_count:
            best, best_count, tied = lang, count, False
        elif count and count == best_count:
            tied = True
    return None if tied else best  # a tie is not a guess


def _words(sample: str) -> set[str]:
    """The distinct lower-cased words of ``sample``: ``set(sample.lower().translate(_NOT_LETTERS).split())``."""
    text = sample.lower()
    if not text.isascii():
        for ch in _WIDE_NOT_LETTERS:
            if ch in text:
                text = text.replace(ch, " ")
    return set(
        text.encode("utf-8", "surrogatepass").translate(_ASCII_TO_SPACE).decode("utf-8", "surrogatepass").split()
    )
