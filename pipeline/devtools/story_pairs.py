"""Pairwise quality of story grouping against labelled pairs (``tests/data/story-pairs.jsonl``).

Each line names two articles — ``{"file": "corpus/news-feeds/<outlet>/<feed file>", "id": <article id>}``
(an entry of ``$NEWSMON_CORPUS``, read the way the pipeline reads it) or ``{"file": "tests/data/dev.jsonl",
"id": "dev-123"}`` (the project's labelled set) — and says whether they report the same story.

The grouping is run as the job runs it: every article of the files involved
(not only the labelled ones, so stories can chain through other articles) in
order of publication, over a fresh in-memory band store. A pair is predicted
"same" when both articles end up with one story id. Precision and recall are
over the labelled pairs.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.core.dates import iso_to_unix
from pipeline.stories.grouping import MemoryBandStore, StoryGrouper, StoryInput
from pipeline.stories.signature import DEFAULT_PARAMS, StoryParams, article_bands

REPO = Path(__file__).resolve().parents[2]
PAIRS_FILE = REPO / "tests" / "data" / "story-pairs.jsonl"


@dataclass(frozen=True)
class Text:
    article_id: str
    title: str
    lead: str
    at: float


@dataclass(frozen=True)
class Pair:
    a: str  # "<file>#<id>"
    b: str
    same: bool
    note: str = ""
    set: str = "similar-text"  # how the pair was sampled (tests/data/LABELS.md)


@dataclass(frozen=True)
class Scores:
    pairs: int
    positives: int
    true_pos: int
    false_pos: int
    false_neg: int

    @property
    def precision(self) -> float:
        predicted = self.true_pos + self.false_pos
        return self.true_pos / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_pos / self.positives if self.positives else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "same_story_pairs": self.positives,
            "true_positives": self.true_pos,
            "false_positives": self.false_pos,
            "false_negatives": self.false_neg,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
        }


def load_pairs(path: Path = PAIRS_FILE) -> list[Pair]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            pairs.append(
                Pair(
                    f"{row['a']['file']}#{row['a']['id']}",
                    f"{row['b']['file']}#{row['b']['id']}",
                    bool(row["same"]),
                    row.get("note", ""),
                    row.get("set", "similar-text"),
                )
            )
    return pairs


def _resolve(name: str, corpus: Path) -> Path:
    return corpus / name.removeprefix("corpus/") if name.startswith("corpus/") else REPO / name


def read_file(name: str, corpus: Path) -> list[Text]:
    """Every article of one feed file (as ``newsmon`` parses it) or of one labelled JSONL file."""
    from pipeline.core.model import Feed
    from pipeline.sources.parse import parse_feed

    path = _resolve(name, corpus)
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [Text(str(r["id"]), r["title"], r.get("summary") or r.get("body") or "", 0.0) for r in rows]
    body = path.read_bytes()
    if path.suffix == ".gz":
        body = gzip.decompress(body)
    parsed = parse_feed(body, Feed(url=path.as_uri(), name=path.parent.name), now=datetime(2030, 1, 1, tzinfo=UTC))
    return [
        Text(a.article_id, a.title, a.summary or a.body, iso_to_unix(a.published_at) or 0.0) for a in parsed.articles
    ]


def stories_of(texts: list[Text], params: StoryParams = DEFAULT_PARAMS) -> dict[str, str]:
    """Article id → story id, grouping ``texts`` in order of time (then id), one at a time."""
    grouper = StoryGrouper(MemoryBandStore(params), params)
    out: dict[str, str] = {}
    for t in sorted(texts, key=lambda t: (t.at, t.article_id)):
        if t.article_id in out:
            continue
        (d,) = grouper.assign([StoryInput(t.article_id, t.at, article_bands(t.title, t.lead, params))])
        out[t.article_id] = d.story_id
    return out


def score(pairs: list[Pair], story: dict[str, str]) -> Scores:
    tp = fp = fn = 0
    for p in pairs:
        predicted = story[p.a] == story[p.b]
        tp += predicted and p.same
        fp += predicted and not p.same
        fn += (not predicted) and p.same
    return Scores(len(pairs), sum(p.same for p in pairs), tp, fp, fn)


def score_by_set(pairs: list[Pair], wrong: list[Pair]) -> dict[str, Scores]:
    """Scores of each sampling set of ``pairs``, given the pairs the grouping got wrong."""
    bad = {(p.a, p.b) for p in wrong}
    out: dict[str, Scores] = {}
    for name in sorted({p.set for p in pairs}):
        chosen = [p for p in pairs if p.set == name]
        tp = sum(p.same and (p.a, p.b) not in bad for p in chosen)
        fn = sum(p.same and (p.a, p.b) in bad for p in chosen)
        fp = sum((not p.same) and (p.a, p.b) in bad for p in chosen)
        out[name] = Scores(len(chosen), tp + fn, tp, fp, fn)
    return out


def evaluate(
    corpus: Path, params: StoryParams = DEFAULT_PARAMS, pairs: list[Pair] | None = None, scope: str = "files"
) -> tuple[Scores, list[Pair]]:
    """Scores over the labelled pairs and the pairs the grouping got wrong.

    ``scope="files"``: every article of the files the pairs name; ``"all"``: the whole news-feeds corpus and
    the project's labelled sets (more chances for a false merge)."""
    pairs = load_pairs() if pairs is None else pairs
    names = {ref.split("#", 1)[0] for p in pairs for ref in (p.a, p.b)}
    if scope == "all":
        names |= {
            f"corpus/{f.relative_to(corpus)}"
            for f in sorted((corpus / "news-feeds").rglob("*"))
            if f.is_file() and f.suffix in (".xml", ".rss", ".atom", ".gz", "") and "LICENSE" not in f.name
        }
        names |= {"tests/data/dev.jsonl", "tests/data/holdout.jsonl"}
    texts: list[Text] = []
    keyed: dict[str, str] = {}
    for name in sorted(names):
        for t in read_file(name, corpus):
            keyed[f"{name}#{t.article_id}"] = t.article_id
            texts.append(t)
    missing = [ref for p in pairs for ref in (p.a, p.b) if ref not in keyed]
    if missing:
        raise ValueError(f"{len(missing)} labelled article(s) not found, e.g. {missing[0]}")
    story = stories_of(texts, params)
    by_ref = {ref: story[aid] for ref, aid in keyed.items()}
    scores = score(pairs, by_ref)
    wrong = [p for p in pairs if (by_ref[p.a] == by_ref[p.b]) != p.same]
    return scores, wrong
