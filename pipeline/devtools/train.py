"""Train the stage-2 model (:mod:`.stage2`) on labelled items, and measure it out of sample.

    python -m pipeline.devtools.train [--gold tests/data/dev.jsonl] [--real DIR] [--write] [--cv-written 5]

Training data: the written development set plus the labelled real feed items (``$NEWSMON_REAL_LABELS``,
text from ``$NEWSMON_CORPUS``); ``tests/data/holdout.jsonl`` is never trained on. Deterministic: no
random numbers, fixed iteration counts, sorted vocabularies, so the same data gives the same file.

- **Vocabulary**: n-grams (:func:`stage2.grams`) found in at least :data:`MIN_DF` training items that
  name both sides (the only ones stage 2 sees).
- **Relevance**: L2-regularised logistic regression on stage 1's features, :data:`stage2.EXTRA_FEATURES`
  and the n-grams, solved by accelerated projected gradient descent. Dense weights are pulled towards
  stage 1's fitted weights and kept on the side of zero their meaning fixes (:data:`SIGNS`); n-gram
  weights are pulled towards 0.
- **Calibration and threshold**: :data:`INNER_FOLDS`-fold cross-validation inside the training data
  gives out-of-fold logits of its real items; a Platt scaling fitted on them makes the score a
  probability on real streams (prevalence about 5% among items naming India), and the default
  threshold is the lowest cut at which those out-of-fold items reach precision
  :data:`TARGET_PRECISION` (:func:`_precision_threshold`; :data:`THRESHOLD` when none does).
- **Topics**: per topic, logistic regression over the gold-relevant items on
  :data:`stage2.TOPIC_FEATURES` and the n-grams.

:func:`cross_validate` gives out-of-fold verdicts for real items (folds by a hash of the article id,
:func:`pipeline.devtools.evaluate.fold_of`), each from a model — calibration and threshold included — that
never saw its fold: the honest figures for real data.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.core.topics import TOPICS
from pipeline.detect import scoring, stage2, weights
from pipeline.detect.classifier import tally_of
from pipeline.detect.tally import LEDE_CHARS
from pipeline.devtools.evaluate import REAL, GoldItem, fold_of, load_gold, real_items

MIN_DF = 3
REAL_WEIGHT = 1.0  # a real item counts this many written ones: real feeds are what the detector meets
L2_DENSE = 1.0
L2_GRAMS = 1.0
L2_TOPICS = 1.0
STEPS = 400
INNER_FOLDS = 5
# The default cut of the calibrated probability aims at precision TARGET_PRECISION on real news: the
# lowest cut of PRECISION_GRID at which the inner cross-validation's out-of-fold real items reach it
# (with at least 3 true positives); THRESHOLD when none does. `newsmon eval` prints the whole curve.
# The grid starts at 0.5: below it an article is more likely irrelevant than relevant by the model's own
# calibrated odds, and the few (about 20) relevant real items of an inner fold cannot tell 0.30 from 0.45
# apart; measured, cuts chosen from 0.30 up moved by ±0.1 between folds for one item's sake.
THRESHOLD = 0.5
TARGET_PRECISION = 0.9
PRECISION_GRID = tuple(round(0.5 + 0.05 * i, 2) for i in range(9))  # 0.50 .. 0.90
TOPIC_PRIORS = {"rule": 2.0, "mass": 1.0, "leader": 0.0}
SIGNS: dict[str, int] = {
    **{name: 1 if w > 0 else -1 for name, w in weights.PRIOR_WEIGHTS.items()},
    "parallel": -1,
    "lead_pair": 1,
    "lead_actors": 1,
    "third_with_pair": 1,
    "firm_enforcement": -1,
    "people_only": -1,
    "joint_subject": 1,
}
EXTRA_PRIORS = {
    "parallel": -6.0,
    "lead_pair": 0.5,
    "lead_actors": 0.5,
    "third_with_pair": 1.0,
    "firm_enforcement": -1.0,
    "people_only": -2.0,
    "joint_subject": 1.5,
}
TOPIC_SIGNS = {"rule": 1, "mass": 1, "leader": 0}
DENSE = (*scoring.FEATURES, *stage2.EXTRA_FEATURES)
DEFAULT_GOLD = Path(__file__).resolve().parents[2] / "tests" / "data" / "dev.jsonl"


@dataclass(frozen=True)
class Example:
    """One labelled item as stage 2 sees it (``dense`` is None when a gate decides: a side is missing)."""

    id: str
    relevant: bool
    topics: frozenset[str]
    real: bool
    dense: dict[str, float] | None
    grams: frozenset[str] = frozenset()
    topic_values: dict[str, dict[str, float]] = field(default_factory=dict)


def example(item: GoldItem) -> Example:
    """Reduce one labelled item to stage 2's inputs (the same as :func:`pipeline.detect.classify` computes)."""
    tally = tally_of(item.title, item.summary, item.body)
    real = REAL in item.categories
    if scoring.gate_rule(tally) is not None:
        return Example(item.id, item.relevant, frozenset(item.topics), real, None)
    dense = scoring.features(tally)
    dense.update(stage2.extra_features(tally, item.title, item.summary, "firm_only" in dense))
    chosen, _, _ = scoring.topics(tally)
    return Example(
        item.id,
        item.relevant,
        frozenset(item.topics),
        real,
        dense,
        frozenset(stage2.grams(item.title, item.summary, item.body[:LEDE_CHARS])),
        stage2.topic_features(tally.topic_mass, chosen, tally.leader),
    )


def examples(items: Sequence[GoldItem]) -> list[Example]:
    return [example(item) for item in items]


@dataclass(frozen=True)
class _Design:
    """A design matrix: a few dense columns, then binary n-gram columns stored as (row, column) pairs."""

    dense: np.ndarray  # n × k
    rows: np.ndarray  # row of each present n-gram
    cols: np.ndarray  # its column among the n-gram columns
    width: int  # number of n-gram columns

    def times(self, w: np.ndarray) -> np.ndarray:
        k = self.dense.shape[1]
        out: np.ndarray = self.dense @ w[:k]
        if self.rows.size:
            out = out + np.bincount(self.rows, weights=w[k:][self.cols], minlength=self.dense.shape[0])
        return out

    def transposed_times(self, r: np.ndarray) -> np.ndarray:
        sparse = (
            np.bincount(self.cols, weights=r[self.rows], minlength=self.width)
            if self.rows.size
            else np.zeros(self.width)
        )
        return np.concatenate([self.dense.T @ r, sparse])


def _fit_logistic(
    x: _Design,
    y: np.ndarray,
    prior: np.ndarray,
    l2: np.ndarray,
    signs: np.ndarray,
    bias0: float,
    weight: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """min Σ weight × logloss + ½ Σ l2 (w - prior)², signs kept (+1: w >= 0, -1: w <= 0, 0: free); FISTA."""
    n = x.dense.shape[0]
    d = x.dense.shape[1] + x.width
    # Lipschitz constant of the gradient: ¼ ||[X 1]||² + max l2, the norm by power iteration from ones.
    v = np.ones(d + 1) / math.sqrt(d + 1)
    for _ in range(30):
        v = np.concatenate([x.transposed_times(u := x.times(v[:-1]) + v[-1]), [u.sum()]])
        v /= np.linalg.norm(v) or 1.0
    norm = float(np.linalg.norm(x.times(v[:-1]) + v[-1]))
    weight = np.ones(n) if weight is None else weight
    step = 1.0 / (0.25 * float(weight.max(initial=1.0)) * norm * norm + float(l2.max(initial=0.0)) + 1e-9)
    theta = np.concatenate([prior, [bias0]])
    pull = np.concatenate([l2, [0.0]])
    target = np.concatenate([prior, [0.0]])
    lower = np.where(np.concatenate([signs, [0]]) > 0, 0.0, -np.inf)
    upper = np.where(np.concatenate([signs, [0]]) < 0, 0.0, np.inf)
    z, t = theta.copy(), 1.0
    for _ in range(STEPS):
        p = 1.0 / (1.0 + np.exp(-np.clip(x.times(z[:-1]) + z[-1], -30.0, 30.0)))
        residual = (p - y) * weight
        grad = np.concatenate([x.transposed_times(residual), [residual.sum()]]) + pull * (z - target)
        new = np.clip(z - step * grad, lower, upper)
        t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        z = new + ((t - 1.0) / t_next) * (new - theta)
        theta, t = new, t_next
    assert n == y.shape[0]
    return float(theta[-1]), theta[:-1]


def _vocabulary(data: Sequence[Example]) -> list[str]:
    counts: dict[str, int] = {}
    for ex in data:
        for gram in ex.grams:
            counts[gram] = counts.get(gram, 0) + 1
    return sorted(gram for gram, count in counts.items() if count >= MIN_DF)


def _matrix(data: Sequence[Example], dense_rows: list[list[float]], vocab: dict[str, int]) -> _Design:
    rows: list[int] = []
    cols: list[int] = []
    for i, ex in enumerate(data):
        for j in sorted(vocab[gram] for gram in ex.grams if gram in vocab):
            rows.append(i)
            cols.append(j)
    dense = np.array(dense_rows, dtype=float).reshape(len(data), -1)
    return _Design(dense, np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), len(vocab))


@dataclass(frozen=True)
class _Relevance:
    bias: float
    dense: dict[str, float]
    grams: dict[str, float]

    def logit(self, ex: Example) -> float:
        assert ex.dense is not None
        return (
            self.bias
            + sum(self.dense[k] * v for k, v in ex.dense.items() if k in self.dense)
            + sum(self.grams.get(g, 0.0) for g in sorted(ex.grams))
        )  # sorted: hash-seed proof


def _fit_relevance(data: Sequence[Example]) -> _Relevance:
    scored = [ex for ex in data if ex.dense is not None]
    vocab = _vocabulary(scored)
    index = {gram: j for j, gram in enumerate(vocab)}
    rows = [[(ex.dense or {}).get(name, 0.0) for name in DENSE] for ex in scored]
    x = _matrix(scored, rows, index)
    y = np.array([1.0 if ex.relevant else 0.0 for ex in scored])
    prior = np.array(
        [
            *(weights.WEIGHTS[name] for name in scoring.FEATURES),
            *(EXTRA_PRIORS[name] for name in stage2.EXTRA_FEATURES),
            *([0.0] * len(vocab)),
        ]
    )
    l2 = np.array([L2_DENSE] * len(DENSE) + [L2_GRAMS] * len(vocab))
    signs = np.array([SIGNS[name] for name in DENSE] + [0] * len(vocab))
    sample = np.array([REAL_WEIGHT if ex.real else 1.0 for ex in scored])
    bias, w = _fit_logistic(x, y, prior, l2, signs, weights.BIAS, sample)
    return _Relevance(
        bias,
        {name: float(w[j]) for j, name in enumerate(DENSE)},
        {gram: float(w[len(DENSE) + j]) for j, gram in enumerate(vocab)},
    )


def _fit_topic(data: Sequence[Example], topic: str) -> tuple[float, dict[str, float], dict[str, float]]:
    rows_data = [ex for ex in data if ex.dense is not None and ex.relevant]
    vocab = _vocabulary(rows_data)
    index = {gram: j for j, gram in enumerate(vocab)}
    names = tuple(stage2.TOPIC_FEATURES)
    rows = [[ex.topic_values[topic][name] for name in names] for ex in rows_data]
    x = _matrix(rows_data, rows, index)
    y = np.array([1.0 if topic in ex.topics else 0.0 for ex in rows_data])
    prior = np.array([TOPIC_PRIORS[name] for name in names] + [0.0] * len(vocab))
    l2 = np.array([L2_TOPICS] * (len(names) + len(vocab)))
    signs = np.array([TOPIC_SIGNS[name] for name in names] + [0] * len(vocab))
    sample = np.array([REAL_WEIGHT if ex.real else 1.0 for ex in rows_data])
    bias, w = _fit_logistic(x, y, prior, l2, signs, -2.0, sample)
    return (
        bias,
        {name: float(w[j]) for j, name in enumerate(names)},
        {gram: float(w[len(names) + j]) for j, gram in enumerate(vocab)},
    )


def _platt(logits: Sequence[float], labels: Sequence[bool]) -> tuple[float, float]:
    """Platt scaling a, c (p = σ(a·logit + c)) by Newton's method, with Platt's smoothed targets."""
    if not logits or all(labels) or not any(labels):
        return 1.0, 0.0
    positives = sum(labels)
    negatives = len(labels) - positives
    hi, lo = (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0)
    s = np.array(logits)
    t = np.array([hi if label else lo for label in labels])
    a, c = 1.0, 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(a * s + c, -30.0, 30.0)))
        g = np.array([np.sum((p - t) * s), np.sum(p - t)]) + 1e-3 * np.array([a - 1.0, c])
        wgt = p * (1.0 - p)
        h = np.array([[np.sum(wgt * s * s) + 1e-3, np.sum(wgt * s)], [np.sum(wgt * s), np.sum(wgt) + 1e-3]])
        delta = np.linalg.solve(h, g)
        a, c = a - float(delta[0]), c - float(delta[1])
        if abs(delta).max() < 1e-9:
            break
    return a, c


def _precision_threshold(probabilities: Sequence[float], labels: Sequence[bool]) -> float | None:
    """The lowest cut of :data:`PRECISION_GRID` at which these out-of-fold predictions reach
    :data:`TARGET_PRECISION` with at least 3 true positives (None when none does)."""
    for cut in PRECISION_GRID:
        tp = sum(1 for p, y in zip(probabilities, labels, strict=True) if p >= cut and y)
        fp = sum(1 for p, y in zip(probabilities, labels, strict=True) if p >= cut and not y)
        if tp >= 3 and tp / (tp + fp) >= TARGET_PRECISION:
            return cut
    return None


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def fit(data: Sequence[Example], inner_folds: int = INNER_FOLDS, note: dict[str, object] | None = None) -> stage2.Model:
    """Train a complete stage-2 model (relevance, calibration, threshold, topics) on ``data``."""
    relevance = _fit_relevance(data)
    logits: list[float] = []
    labels: list[bool] = []
    real_scored = [ex for ex in data if ex.real and ex.dense is not None]
    if inner_folds > 1 and any(ex.relevant for ex in real_scored):
        for k in range(inner_folds):
            inner = _fit_relevance([ex for ex in data if not (ex.real and fold_of(ex.id, inner_folds) == k)])
            for ex in real_scored:
                if fold_of(ex.id, inner_folds) == k:
                    logits.append(inner.logit(ex))
                    labels.append(ex.relevant)
    a, c = _platt(logits, labels)
    gated = sum(1 for ex in data if ex.real and ex.dense is None)
    precise = _precision_threshold([_sigmoid(a * s + c) for s in logits], labels)
    threshold = THRESHOLD if precise is None else precise
    topic_bias: dict[str, float] = {}
    topic_dense: dict[str, dict[str, float]] = {}
    topic_grams: dict[str, dict[str, float]] = {}
    for topic in TOPICS:
        topic_bias[topic], topic_dense[topic], topic_grams[topic] = _fit_topic(data, topic)
    table: dict[str, tuple[float, ...]] = {}
    for gram in sorted(set(relevance.grams).union(*topic_grams.values())):
        row = (relevance.grams.get(gram, 0.0), *(topic_grams[t].get(gram, 0.0) for t in TOPICS))
        if max(abs(v) for v in row) >= 0.005:  # below this no verdict moves; keeps the file small
            table[gram] = tuple(_r(v) for v in row)
    trained_on = {
        "items": len(data),
        "real_items": sum(ex.real for ex in data),
        "relevant": sum(ex.relevant for ex in data),
        "gated_real": gated,
        **(note or {}),
    }
    return stage2.Model(
        bias=_r(relevance.bias),
        dense={k: _r(v) for k, v in relevance.dense.items()},
        platt=(_r(a), _r(c)),
        threshold=threshold,
        topic_bias={k: _r(v) for k, v in topic_bias.items()},
        topic_dense={t: {k: _r(v) for k, v in d.items()} for t, d in topic_dense.items()},
        grams=table,
        trained_on=trained_on,
    )


def _r(value: float) -> float:
    return round(value, 4) + 0.0  # + 0.0 turns -0.0 into 0.0


def cross_validate(
    written: Sequence[GoldItem], real: Sequence[GoldItem], folds: int = 5, inner_folds: int = INNER_FOLDS
) -> dict[str, stage2.Model]:
    """For each real item's id, the model that never saw it: trained on ``written`` + the other folds."""
    base = examples(written)
    real_examples = examples(real)
    by_id: dict[str, stage2.Model] = {}
    for k in range(folds):
        train = base + [ex for ex in real_examples if fold_of(ex.id, folds) != k]
        model = fit(train, inner_folds, {"fold": f"{k}/{folds}"})
        for ex in real_examples:
            if fold_of(ex.id, folds) == k:
                by_id[ex.id] = model
    return by_id


def cross_validate_written(
    written: Sequence[GoldItem], real: Sequence[GoldItem], folds: int = 5, inner_folds: int = INNER_FOLDS
) -> dict[str, stage2.Model]:
    """For each written item's id, the model trained on the other written folds and every real item.

    (Stage 1's weights and topic thresholds were fitted on all of ``written``: this measures stage 2.)"""
    base = examples(written)
    real_examples = examples(real)
    by_id: dict[str, stage2.Model] = {}
    for k in range(folds):
        model = fit(
            [ex for ex in base if fold_of(ex.id, folds) != k] + real_examples,
            inner_folds,
            {"fold": f"written {k}/{folds}"},
        )
        for ex in base:
            if fold_of(ex.id, folds) == k:
                by_id[ex.id] = model
    return by_id


def training_items(
    gold: str | Path = DEFAULT_GOLD, real: str | Path | None = None
) -> tuple[list[GoldItem], list[GoldItem]]:
    """The written development items and the real labelled items (duplicates of an article id dropped)."""
    return load_gold(gold), real_items(real)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gold", default=str(DEFAULT_GOLD), help="written labelled JSONL (never the holdout)")
    parser.add_argument("--real", default=None, help="real labels file or folder (default $NEWSMON_REAL_LABELS)")
    parser.add_argument("--write", action="store_true", help=f"write pipeline/detect/{stage2.MODEL_FILE}")
    parser.add_argument(
        "--cv-written",
        type=int,
        default=0,
        metavar="K",
        help="instead: K-fold cross-validated relevance on the written items (stage 2 retrained)",
    )
    args = parser.parse_args(argv)
    written, real = training_items(args.gold, args.real)
    if args.cv_written:
        return _report_written_cv(written, real, args.cv_written)
    model = fit(
        examples(written) + examples(real),
        INNER_FOLDS,
        {"written": Path(args.gold).name, "real": "news-feeds-labels.jsonl + real-labels-extra.jsonl"},
    )
    text = model.to_json()
    if args.write:
        path = Path(stage2.__file__).with_name(stage2.MODEL_FILE)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}: {len(model.grams)} n-grams, threshold {model.threshold}, platt {model.platt}")
    else:
        sys.stdout.write(text)
    return 0


def _report_written_cv(written: Sequence[GoldItem], real: Sequence[GoldItem], folds: int) -> int:
    from pipeline.detect import classify
    from pipeline.devtools.evaluate import evaluate

    models = cross_validate_written(written, real, folds)
    verdicts = [classify(item.title, item.summary, item.body, None, model=models[item.id]) for item in written]
    report = evaluate(written, verdicts=verdicts)
    r, hard = report.relevance, report.hard_negatives
    print(
        f"written items, {folds}-fold cross-validated (stage 2 only; folds by article-id hash): relevance "
        f"precision {r.precision:.3f} recall {r.recall:.3f} F1 {r.f1:.3f} (tp {r.tp}, fp {r.fp}, fn {r.fn}); "
        f"hard negatives {hard.correct}/{hard.total}; topic micro-F1 {report.topic_micro.f1:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
