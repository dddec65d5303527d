"""The detection quality gate, on data the detector was not fitted on, and the real labelled items.

- **Written**: ``tests/data/holdout.jsonl``, which nothing is trained or tuned on (stage 1's weights
  and stage 2's model are fitted on ``dev.jsonl`` and the real items).
- **Real**: the labelled feed items of ``$NEWSMON_REAL_LABELS`` (text from ``$NEWSMON_CORPUS``),
  5-fold cross-validated with folds fixed by a hash of the article id: each item's verdict comes
  from a model — calibration included — trained without its fold.

The floors below are what the detector holds today out of sample, so a change that makes it worse
fails; they are lower than the issue's targets where those are not met (see the README, "The detector
and how it is measured"). Quality gates, not timing thresholds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.model import Classification
from pipeline.detect import classify
from pipeline.devtools.evaluate import (
    PROJECT_REAL_LABELS,
    REAL,
    UNCERTAIN,
    EvalReport,
    GoldItem,
    cross_validated,
    evaluate,
    fold_of,
    format_report,
    load_gold,
    load_real_labels,
    real_items,
    reliability,
    topics_on_relevant,
    without_uncertain,
)

HOLDOUT = Path(__file__).resolve().parents[1] / "data" / "holdout.jsonl"


@pytest.fixture(scope="module")
def holdout_report() -> EvalReport:
    return evaluate(load_gold(HOLDOUT))


@pytest.fixture(scope="module")
def real_cv() -> tuple[list[GoldItem], list[Classification]]:
    return cross_validated()


def test_real_labels_resolve_to_corpus_entries() -> None:
    items = load_real_labels()
    assert len(items) == 401  # every label line found its entry in the corpus
    assert sum(item.relevant for item in items) == 20
    assert sum(UNCERTAIN in item.categories for item in items) == 10
    assert all(REAL in item.categories and item.title for item in items)
    # One article is labelled twice (two feeds carry it); both labels agree.
    by_id: dict[str, set[tuple[bool, tuple[str, ...]]]] = {}
    for item in items:
        by_id.setdefault(item.id, set()).add((item.relevant, item.topics))
    assert len(by_id) == 400 and all(len(labels) == 1 for labels in by_id.values())


def test_project_labels_add_unlabelled_corpus_entries() -> None:
    extra = load_real_labels(PROJECT_REAL_LABELS)
    assert len(extra) == 16 + 30
    # 16 news-feeds entries that name India only in their body (all negatives), then the 30 entries of the
    # scraped Reuters feed in corpus/hostile/large that name India in their title or summary (3 relevant).
    assert all(item.body for item in extra[:16]) and not any(item.relevant for item in extra[:16])
    assert sum(item.relevant for item in extra[16:]) == 3
    assert sum(UNCERTAIN in item.categories for item in extra) == 3
    shared = {item.id for item in load_real_labels()}
    assert not shared & {item.id for item in extra}
    assert len(real_items()) == 400 + 46


def test_folds_are_fixed_by_the_id_and_balanced() -> None:
    assert fold_of("abc", 5) == fold_of("abc", 5)
    items = real_items()
    sizes = [sum(1 for item in items if fold_of(item.id, 5) == k) for k in range(5)]
    assert min(sizes) >= 60, sizes
    assert sum(1 for item in items if item.relevant and fold_of(item.id, 5) == 0) >= 1


def test_holdout_relevance_and_hard_negatives(holdout_report: EvalReport) -> None:
    r = holdout_report.relevance
    assert r.f1 >= 0.95 and r.precision >= 0.95, format_report(holdout_report)
    assert holdout_report.hard_negatives.accuracy >= 0.95, format_report(holdout_report)


def test_holdout_topics(holdout_report: EvalReport) -> None:
    # Issue target 0.92; measured 0.923 (42 tp, 3 fp, 4 fn: met, by one item; 0.899 before the joint-subject
    # feature and its diplomacy fallback, which were written from the real items, not this file).
    assert holdout_report.topic_micro.f1 >= 0.88, format_report(holdout_report)


def test_real_relevance_cross_validated(real_cv: tuple[list[GoldItem], list[Classification]]) -> None:
    items, verdicts = real_cv
    report = evaluate(items, verdicts=verdicts)
    r = report.relevance
    # Issue target F1 >= 0.90 at precision >= 0.90. Each fold's threshold aims at precision 0.9 (the lowest
    # cut from 0.5 up that its own inner cross-validation puts there): measured precision 0.913, recall
    # 0.913, F1 0.913 (21 tp, 2 fp, 2 fn): met, by one item. 4 and 8 folds give the same; 10 folds 0.905 /
    # 0.826 / 0.864 (see the README), so the gate keeps a margin of about two items.
    assert r.precision >= 0.85 and r.recall >= 0.80 and r.f1 >= 0.85, format_report(report)
    sure_items, sure_verdicts = without_uncertain(items, verdicts)
    assert evaluate(sure_items, verdicts=sure_verdicts).relevance.f1 >= 0.90  # measured 1.000 (15, 0, 0)


def test_real_topics_cross_validated(real_cv: tuple[list[GoldItem], list[Classification]]) -> None:
    items, verdicts = real_cv
    # Issue target 0.85 on real relevant items; measured 0.862 (28 tp, 4 fp, 5 fn; the topics of the 2
    # missed items count as missed): met, by a margin of one item, so the gate keeps a wider one.
    assert topics_on_relevant(items, verdicts).f1 >= 0.75


def test_stage2_is_more_precise_than_stage1_on_held_out_real_items(
    real_cv: tuple[list[GoldItem], list[Classification]],
) -> None:
    items, verdicts = real_cv
    baseline = [classify(item.title, item.summary, item.body, None, use_stage2=False) for item in items]
    ours, theirs = evaluate(items, verdicts=verdicts).relevance, evaluate(items, verdicts=baseline).relevance
    # Stage 1 has the same recall (21 of 23); stage 2 has a third of its false positives (2 vs 6), which is
    # what the precision target asks, and the higher F1.
    assert ours.precision >= theirs.precision + 0.05 and 2 * ours.fp <= theirs.fp and ours.f1 >= theirs.f1
    # Calibration: a lower Brier score than stage 1's score, and the scores mean what they say in the
    # well-populated bands (above 0.6 at least half are relevant, below 0.05 almost none).
    bins, brier = reliability(items, verdicts)
    assert brier < reliability(items, baseline)[1]
    assert bins[0].items >= 300 and bins[0].relevant <= 1
    high = [b for b in bins if b.low >= 0.6]
    assert sum(b.relevant for b in high) >= 0.5 * sum(b.items for b in high)
