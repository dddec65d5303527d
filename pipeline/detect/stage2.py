"""The second stage: a small linear model over the rule features and word/phrase n-grams.

Stage 1 (:mod:`.scoring`) turns the lexicon tally into named features. Stage 2 reads those features
plus the article's own words and phrases and gives

- a **relevance probability**: ``p = 1 / (1 + exp(-(a × logit + c)))`` with
  ``logit = bias + Σ w_f × feature_f + Σ w_g`` over the n-grams ``g`` present, where ``a, c`` are a
  Platt calibration fitted on out-of-fold scores of real feed items (so ``p`` is a probability on a
  real stream, where about 5% of the items naming India are relevant) and the article is relevant
  when ``p >= threshold``;
- a **probability per topic**, the same form with the topic's stage-1 evidence (its lexicon mass,
  whether the stage-1 rule chose it) as features; a topic is labelled when its probability is at
  least :data:`TOPIC_PROBABILITY`.

N-grams are lower-cased word unigrams and bigrams of the title (``t:``, with ``<s>`` before the first
word so "<s> india" says India is the headline's subject), and of the summary plus the body's lede
(``s:``); see :func:`grams`. Only n-grams in the model's vocabulary count. The "parallel, not
bilateral" pattern ("US and Indian exporters", "American, Indian firms": the two sides side by side
as adjectives of one noun, not acting on each other) is a dense feature, :func:`parallel`.

The weights are data: ``stage2.json`` next to this module, written by ``python -m
pipeline.devtools.train`` (deterministic: same data, same file). Loaded once, on first use.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from itertools import pairwise
from typing import Any, Final

from pipeline.core.topics import TOPICS
from pipeline.detect.tally import Side, Tally
from pipeline.detect.terms import PEOPLE

MODEL_FILE: Final = "stage2.json"
TOPIC_PROBABILITY: Final = 0.5
SUMMARY_CHARS: Final = 300  # of summary + lede read for n-grams: the lead says what the story is
TOP_GRAMS: Final = 6  # n-grams listed in the evidence: the strongest half for, then half against

_TOKEN: Final = re.compile(r"[0-9a-z\u0900-\u0963\u0966-\u097f]+")
# Nukta spellings and plain ones are one word (वीज़ा = वीजा), as in the lexicons.
_NUKTA: Final = {0x093C: None, **{0x0958 + i: base for i, base in enumerate("कखगजडढफय")}}
# Function words carry no topic or relation as single words (they do in bigrams: "tariffs on", "to india").
STOPWORDS: Final = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "it's",
        "s",
        "this",
        "that",
        "these",
        "those",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "may",
        "might",
        "not",
        "no",
        "so",
        "than",
        "then",
        "there",
        "their",
        "they",
        "he",
        "she",
        "his",
        "her",
        "we",
        "our",
        "you",
        "your",
        "i",
        "who",
        "what",
        "which",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "more",
        "most",
        "over",
        "into",
        "after",
        "before",
        "about",
        "up",
        "out",
        "new",
        "says",
        "said",
    }
)
_OUTLET_SUFFIX: Final = re.compile(r"\s+[-|–]\s+[^-|–]{2,40}$")
_HAS_NUKTA: Final = re.compile("[\u093c\u0958-\u095f]")
_US_DOTS: Final = re.compile(r"\bu\.s\.(?:a\.)?")
# The two sides side by side as adjectives of one noun ("US and Indian exporters", "Indian and American
# students"): parallel actors, not one acting on the other. Country nouns ("the US and India") do not match.
# Nouns after the pair that make its two sides states acting or meeting ("US, Indian troops begin an
# exercise", "US and Indian officials", "with US and Indian support"): then the pattern is not parallel.
_STATE_NOUNS: Final = (
    r"government|governments|officials?|leaders?|ties|relations|talks|negotiators|delegations?|"
    r"ministers?|troops|forces|navies|navy|armies|army|militaries|military|soldiers|diplomats|"
    r"envoys|defen[cs]e|security|counterparts|teams? of officials|support|backing|subsid|funding|"
    r"approvals?|pressure|sanctions|tariffs|duties|regulators|authorities|agencies|polic|"
    r"cooperation|co-operation|partnership|collaboration"
)
_PARALLEL: Final = re.compile(
    r"\b(?:us|american|america's)\s*(?:,|and|&|/)\s*(?:indian|india's)\s+(?!" + _STATE_NOUNS + r")[a-z]"
    r"|\b(?:indian|india's)\s*(?:,|and|&|/)\s*(?:us|american|america's)\s+(?!" + _STATE_NOUNS + r")[a-z]"
)

# Dense relevance features stage 2 adds to stage 1's, with their meaning (sign fixed in training).
EXTRA_FEATURES: Final[dict[str, str]] = {
    "parallel": "1 when the two sides stand side by side as adjectives of one noun (parallel, not bilateral)",
    "lead_pair": "the weaker side's mass in the lead (title + the summary's first sentence), saturating at "
    "LEAD_MIN: both sides are principals of the story",
    "lead_actors": "share of the two sides named in the lead as state actors (government, leaders, institutions)",
    "third_with_pair": "third_share × lead_pair: a third country in a story whose lead has both sides as "
    "principals is more often what they deal over than the story's focus (offsets third_share)",
    "joint_subject": "1 when the headline opens with the two sides side by side as its subject ('India, US sign', "
    "'Modi and Trump speak'): both act, together, so a third country named is what they deal over",
    "people_only": "exp(-topic mass) when a side is named only through its people (the diaspora, an Indian-origin "
    "student, an American tourist): a story about individuals unless a policy (visas, deportations) is at issue",
    "firm_enforcement": "1 when a side is there only through its companies and the lead reports a regulator's "
    "enforcement (barred, fined, probe, ban): routine regulation, not a policy between the two",
}
LEAD_MIN: Final = 0.5
# A headline's subject made of both sides (countries, capitals, leaders), after an optional rubric
# ("Analysis|"), and not their possessive or a noun they qualify ("India, US ties": cues already say that).
_US_SUBJECT: Final = r"(?:the )?(?:us|usa|america|united states|washington|trump|biden|अमेरिका)"
_INDIA_SUBJECT: Final = r"(?:india|new delhi|delhi|modi|भारत)"
_JOINT_SUBJECT: Final = re.compile(
    r"^(?:[\w ]{1,20}[|:] ?)?(?:"
    + _US_SUBJECT
    + r"\s*(?:and|,|&|और)\s*"
    + _INDIA_SUBJECT
    + r"|"
    + _INDIA_SUBJECT
    + r"\s*(?:and|,|&|और)\s*"
    + _US_SUBJECT
    + r")(?!['’]s)\s+(?!ties\b|relations\b|trade\b|talks\b|deal\b)"
)
_TOGETHER: Final = re.compile(r"\b(?:joint(?:ly)?|together|bilateral|each other|one another|with (?:india|the us))\b")
_ENFORCEMENT: Final = re.compile(
    r"\b(?:bar(?:s|red)?|fine[sd]?|penalt(?:y|ies)|probe[sd]?|raid(?:s|ed)?|ban(?:s|ned)?|order(?:s|ed)? (?:the )?"
    r"removal|crack(?:s|ed)? down|show[- ]cause|violat(?:ed|ion|ions)|regulator|watchdog|sebi|rbi)\b"
)
# Dense features of each topic's model.
TOPIC_FEATURES: Final[dict[str, str]] = {
    "rule": "1 when stage 1 (lexicon mass over its threshold) chose the topic",
    "mass": "the topic's lexicon mass in title, summary and lede, 1 - exp(-mass)",
    "leader": "1 when a leader is named (a meeting or statement: diplomacy's usual evidence)",
}


@dataclass(frozen=True)
class Model:
    """Stage-2 weights (see the module docstring); ``grams`` maps an n-gram to its 1 + len(TOPICS) weights."""

    bias: float
    dense: dict[str, float]
    platt: tuple[float, float]
    threshold: float
    topic_bias: dict[str, float]
    topic_dense: dict[str, dict[str, float]]
    grams: dict[str, tuple[float, ...]]
    trained_on: dict[str, Any]
    # grams split by Phrases set, keyed as there: all weights, and the relevance weight where it is not 0
    tables: tuple[dict[Any, tuple[float, ...]], ...] = field(init=False, repr=False, compare=False)
    relevance_tables: tuple[dict[Any, tuple[float, str]], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tables: tuple[dict[Any, tuple[float, ...]], ...] = ({}, {}, {}, {})
        named: tuple[dict[Any, tuple[tuple[float, ...], str]], ...] = ({}, {}, {}, {})
        for name, row in self.grams.items():
            index, key = _key(name)
            tables[index][key] = row
            named[index][key] = (row, name)
        object.__setattr__(self, "tables", tables)
        object.__setattr__(
            self,
            "relevance_tables",
            tuple({key: (row[0], name) for key, (row, name) in table.items() if row[0]} for table in named),
        )

    def to_json(self) -> str:
        """The model file's text: sorted keys, one n-gram per line, so a retrain diffs line by line."""
        head = {
            "bias": self.bias,
            "dense": self.dense,
            "platt": list(self.platt),
            "threshold": self.threshold,
            "topic_bias": self.topic_bias,
            "topic_dense": self.topic_dense,
            "topics": list(TOPICS),
            "trained_on": self.trained_on,
        }
        lines = [json.dumps(head, sort_keys=True, ensure_ascii=False)[:-1] + ', "grams": {']
        items = sorted(self.grams.items())
        for index, (gram, values) in enumerate(items):
            comma = "," if index < len(items) - 1 else ""
            lines.append(f"  {json.dumps(gram, ensure_ascii=False)}: {json.dumps(list(values))}{comma}")
        lines.append("}}")
        return "\n".join(lines) + "\n"


def model_from_dict(data: dict[str, Any]) -> Model:
    """A :class:`Model` from the parsed model file; ``ValueError`` when it was written for another topic set."""
    if tuple(data.get("topics", ())) != TOPICS:
        raise ValueError(f"stage-2 model is for topics {data.get('topics')}, not {list(TOPICS)}: retrain it")
    return Model(
        bias=float(data["bias"]),
        dense={k: float(v) for k, v in data["dense"].items()},
        platt=(float(data["platt"][0]), float(data["platt"][1])),
        threshold=float(data["threshold"]),
        topic_bias={k: float(v) for k, v in data["topic_bias"].items()},
        topic_dense={k: {f: float(w) for f, w in v.items()} for k, v in data["topic_dense"].items()},
        grams={k: tuple(float(x) for x in v) for k, v in data["grams"].items()},
        trained_on=dict(data.get("trained_on") or {}),
    )


@functools.cache
def shipped_model() -> Model:
    """The model in the package (``stage2.json``), read on first use."""
    text = resources.files("pipeline.detect").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return model_from_dict(json.loads(text))


def _tokens(text: str) -> list[str]:
    text = text.lower()
    if not text.isascii() and _HAS_NUKTA.search(text):
        text = text.translate(_NUKTA)
    if "u.s" in text:
        text = _US_DOTS.sub("us", text)
    return _TOKEN.findall(text)


# An article's n-grams as four sets, each looked up in its own table (no string building per n-gram):
# title unigrams, title bigrams (pairs), lead unigrams, lead bigrams. See :func:`phrases`.
Phrases = tuple[set[Any], set[Any], set[Any], set[Any]]  # str, (str, str), str, (str, str)
_PREFIXES: Final = ("t:", "t:", "s:", "s:")


def phrases(title: str, summary: str, lede: str = "") -> Phrases:
    """The article's n-grams: title words (after ``<s>``) and the lead's (summary, plus the lede when the
    summary is shorter than :data:`SUMMARY_CHARS`), as unigrams (not :data:`STOPWORDS`) and bigrams.

    A headline's trailing outlet name ("... - Reuters") is dropped: it says who published, not what
    happened, and would teach the model the outlets of the training items."""
    if " - " in title or " | " in title:
        title = _OUTLET_SUFFIX.sub("", title)
    words = _tokens(title)
    lead = summary if len(summary) >= SUMMARY_CHARS or not lede else f"{summary} {lede}"
    lead_words = _tokens(lead[:SUMMARY_CHARS])
    return (
        set(words) - STOPWORDS,
        set(pairwise(["<s>", *words])),
        set(lead_words) - STOPWORDS,
        set(pairwise(lead_words)),
    )


def grams(title: str, summary: str, lede: str = "") -> set[str]:
    """:func:`phrases` as names: ``t:`` / ``s:`` then the word or the two words (``t:<s> india``)."""
    return {name for index, found in enumerate(phrases(title, summary, lede)) for name in _names(index, found)}


def _names(index: int, found: set[Any]) -> list[str]:
    prefix = _PREFIXES[index]
    return [prefix + (key if isinstance(key, str) else " ".join(key)) for key in found]


def _key(name: str) -> tuple[int, str | tuple[str, str]]:
    """An n-gram name → which of the four :data:`Phrases` sets it belongs to, and its key there."""
    field, _, text = name.partition(":")
    first, space, second = text.partition(" ")
    return (0 if field == "t" else 2) + (1 if space else 0), ((first, second) if space else first)


def extra_features(tally: Tally, title: str, summary: str, firm_only: bool) -> dict[str, float]:
    """The non-zero :data:`EXTRA_FEATURES` of an article in which both sides are named."""
    us, india = tally.us, tally.india
    out = {}
    if parallel(title, summary):
        out["parallel"] = 1.0
    lead = min(1.0, min(us.lead, india.lead) / LEAD_MIN)
    if lead:
        out["lead_pair"] = lead
        third = sum(tally.third_countries.values())
        if third:
            out["third_with_pair"] = lead * third / (third + min(us.mass, india.mass))
    actors = (min(1.0, us.lead_actor / LEAD_MIN) + min(1.0, india.lead_actor / LEAD_MIN)) / 2.0
    if actors:
        out["lead_actors"] = actors
    headline = title.lower()
    if "u.s" in headline:
        headline = _US_DOTS.sub("us", headline)
    if _JOINT_SUBJECT.match(headline):
        out["joint_subject"] = 1.0
    if _people_only(us) or _people_only(india):
        out["people_only"] = math.exp(-sum(tally.topic_mass.values()))
    if firm_only and _ENFORCEMENT.search(f"{title}\n{summary[:SUMMARY_CHARS]}".lower()):
        out["firm_enforcement"] = 1.0
    return out


def _people_only(side: Side) -> bool:
    """Whether every mention of the side names its people (kind ``people``), none its state, places or firms."""
    return bool(side.evidence) and all(item.get("kind") == PEOPLE for item in side.evidence)


def parallel(title: str, summary: str) -> float:
    """1.0 when the title or summary sets the two sides side by side as parallel actors (see the module
    docstring), unless it says they act together ("joint", "together", "bilateral")."""
    text = f"{title}\n{summary[:SUMMARY_CHARS]}".lower()
    if "u.s" in text:
        text = _US_DOTS.sub("us", text)
    return 1.0 if _PARALLEL.search(text) and not _TOGETHER.search(text) else 0.0


def _sigmoid(x: float) -> float:
    if x < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class Verdict:
    """Stage 2's answer: probability, its logit, what contributed, and the topic probabilities."""

    probability: float
    logit: float
    dense: dict[str, float]  # weight × value of each non-zero dense feature
    top_grams: list[tuple[str, float]]  # the n-grams that weighed most, with their weights
    grams_sum: float


def relevance(model: Model, features: dict[str, float], found: Phrases) -> Verdict:
    """Relevance probability from the dense features (stage 1's plus :data:`EXTRA_FEATURES`) and n-grams."""
    dense = model.dense
    contributions = {name: dense[name] * value for name, value in features.items() if value and name in dense}
    hits = [
        table[key]
        for table, present in zip(model.relevance_tables, found, strict=True)
        for key in present & table.keys()
    ]
    # Sorted before summing: a set's order depends on the hash seed, and so would the float sum's last bit.
    # The sort also gives the strongest phrases for and against (by (weight, name), no key function).
    hits.sort()
    grams_sum = sum([hit[0] for hit in hits])
    logit = model.bias + sum(contributions.values()) + grams_sum
    a, c = model.platt
    half = TOP_GRAMS // 2
    top = [hit for hit in hits[: -half - 1 : -1] if hit[0] > 0] + [hit for hit in hits[:half] if hit[0] < 0]
    return Verdict(
        probability=_sigmoid(a * logit + c),
        logit=logit,
        dense=contributions,
        top_grams=[(name, weight) for weight, name in top],
        grams_sum=grams_sum,
    )


def topic_features(mass: dict[str, float], chosen: tuple[str, ...], leader: bool) -> dict[str, dict[str, float]]:
    """Per topic, the values of :data:`TOPIC_FEATURES`."""
    out = {}
    for name in TOPICS:
        m = mass.get(name, 0.0)
        out[name] = {
            "rule": 1.0 if name in chosen else 0.0,
            "mass": 1.0 - math.exp(-m) if m else 0.0,
            "leader": 1.0 if leader else 0.0,
        }
    return out


def topic_probabilities(model: Model, values: dict[str, dict[str, float]], found: Phrases) -> dict[str, float]:
    """Probability of each topic for a relevant article."""
    present = [table[key] for table, keys in zip(model.tables, found, strict=True) for key in keys & table.keys()]
    present.sort()  # a set's order depends on the hash seed; the float sums must not
    out = {}
    for index, name in enumerate(TOPICS, start=1):
        weights = model.topic_dense[name]
        logit = model.topic_bias[name] + sum(weights.get(f, 0.0) * v for f, v in values[name].items())
        logit += sum(row[index] for row in present)
        out[name] = _sigmoid(logit)
    return out
