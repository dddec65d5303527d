"""The labelled story pairs: well formed, and every article they name is found in the corpus or the project's data."""

from __future__ import annotations

import json

import pytest

from pipeline.devtools.evaluate import corpus_dir
from pipeline.devtools.story_pairs import PAIRS_FILE, Pair, evaluate, load_pairs, score


def test_pairs_are_well_formed_and_unique() -> None:
    rows = [json.loads(line) for line in PAIRS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 150
    seen = set()
    for row in rows:
        assert set(row) >= {"a", "b", "same"} and isinstance(row["same"], bool)
        for side in ("a", "b"):
            assert row[side]["file"].startswith(("corpus/news-feeds/", "tests/data/")), row
        pair = frozenset((f"{row['a']['file']}#{row['a']['id']}", f"{row['b']['file']}#{row['b']['id']}"))
        assert len(pair) == 2 and pair not in seen
        seen.add(pair)
    assert 0 < sum(r["same"] for r in rows) < len(rows)


@pytest.mark.slow
def test_every_labelled_article_resolves_and_is_grouped() -> None:
    scores, wrong = evaluate(corpus_dir())  # raises when a labelled article is not found
    assert scores.pairs == len(load_pairs())
    assert scores.true_pos + scores.false_neg == scores.positives
    assert len(wrong) == scores.false_pos + scores.false_neg


def test_score_counts_pairs() -> None:
    pairs = [Pair("x#1", "x#2", True), Pair("x#1", "x#3", False), Pair("x#2", "x#4", True)]
    s = score(pairs, {"x#1": "s", "x#2": "s", "x#3": "s", "x#4": "t"})
    assert (s.true_pos, s.false_pos, s.false_neg) == (1, 1, 1)
    assert s.precision == 0.5 and s.recall == 0.5
