"""Refit the relevance weights and topic thresholds on a gold file (a development tool, not run in the pipeline).

    python -m pipeline.devtools.calibrate tests/data/dev.jsonl [--cv 5] [--l2 1.0] [--write]

Relevance: L2-regularised logistic regression over :data:`pipeline.detect.scoring.FEATURES` for the
items that reach the score (both sides present), pulled towards the hand-set priors in
:mod:`pipeline.detect.weights` rather than towards zero, and with every weight kept on the side of
zero its meaning fixes (:data:`SIGNS`): evidence can only count the way it was designed to.
Proximal batch gradient descent from the priors (the L2 pull in closed form), a fixed number of
steps: deterministic.

Topics: the share of the strongest topic's mass a further topic needs (:data:`RELATIVE_GRID`)
and, for it, per topic the mass threshold that maximises F1 over the relevant gold items (ties go
to the values nearest the priors).

``--cv K`` reports K-fold cross-validated relevance F1 and topic micro-F1 of the priors and of the
fitted model, so the fit is kept only if it helps on items it did not see. ``--write`` rewrites
``pipeline/detect/weights.py``; otherwise the module text is printed.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.topics import TOPICS
from pipeline.detect import scoring, weights
from pipeline.detect.classifier import tally_of
from pipeline.devtools.evaluate import GoldItem, load_gold

# +1: the feature may only raise the score; -1: only lower it.
SIGNS: dict[str, int] = {
    "pair": 1,
    "both_in_head": 1,
    "actors": 1,
    "both_in_title": 1,
    "bilateral_cue": 1,
    "policy": 1,
    "sports": -1,
    "markets": -1,
    "culture": -1,
    "human_interest": -1,
    "consumer": -1,
    "reaction": -1,
    "third_share": -1,
    "many_countries": -1,
    "third_in_title": -1,
    "body_only": -1,
    "firm_only": -1,
}
STEPS = 4000
LEARNING_RATE = 0.5
THRESHOLD_GRID = tuple(round(0.3 + 0.05 * i, 2) for i in range(27))  # 0.30 .. 1.60
RELATIVE_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


@dataclass(frozen=True)
class Example:
    """One gold item reduced to what calibration needs."""

    features: dict[str, float] | None  # None: decided by a gate (a side missing)
    relevant: bool
    topic_mass: dict[str, float]
    leader: bool
    topics: frozenset[str]


def examples(items: Sequence[GoldItem]) -> list[Example]:
    out = []
    for item in items:
        tally = tally_of(item.title, item.summary, item.body)
        feats = scoring.features(tally) if scoring.gate_rule(tally) is None else None
        out.append(Example(feats, item.relevant, tally.topic_mass, tally.leader, frozenset(item.topics)))
    return out


def fit(
    data: Sequence[Example], l2: float, prior_bias: float = weights.PRIOR_BIAS, prior: dict[str, float] | None = None
) -> tuple[float, dict[str, float]]:
    """Logistic regression from (and regularised towards) the prior, signs kept by projection."""
    prior = dict(prior or weights.PRIOR_WEIGHTS)
    names = list(prior)
    rows = [
        ([ex.features.get(name, 0.0) for name in names], 1.0 if ex.relevant else 0.0)
        for ex in data
        if ex.features is not None
    ]
    if not rows:
        return prior_bias, prior
    w = [prior[name] for name in names]
    b = prior_bias
    n = len(rows)
    for _ in range(STEPS):
        grad_w = [0.0] * len(w)
        grad_b = 0.0
        for x, y in rows:
            z = b + sum(wi * xi for wi, xi in zip(w, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0
            err = p - y
            grad_b += err
            for i, xi in enumerate(x):
                if xi:
                    grad_w[i] += err * xi
        shrink = LEARNING_RATE * l2 / n  # the L2 pull, applied in closed form: stable for any l2
        for i, name in enumerate(names):
            w[i] = (w[i] - LEARNING_RATE * grad_w[i] / n + shrink * prior[name]) / (1.0 + shrink)
            if SIGNS[name] > 0:
                w[i] = max(0.0, w[i])
            else:
                w[i] = min(0.0, w[i])
        b -= LEARNING_RATE * grad_b / n
    return b, dict(zip(names, w, strict=True))


def fit_topics(data: Sequence[Example]) -> tuple[dict[str, float], float]:
    """Topic thresholds and the relative share: the share with the best micro-F1, each threshold tuned for it."""
    best: tuple[float, float, dict[str, float], float] | None = None
    for relative in RELATIVE_GRID:
        thresholds = fit_thresholds(data, relative)
        _, micro = score(data, 0.0, {}, thresholds, relative, relevance=False)
        key = (round(micro, 6), -abs(relative - weights.PRIOR_TOPIC_RELATIVE))
        if best is None or key > best[:2]:
            best = (key[0], key[1], thresholds, relative)
    assert best is not None
    return best[2], best[3]


def fit_thresholds(data: Sequence[Example], relative: float, prior: dict[str, float] | None = None) -> dict[str, float]:
    """Per topic, the threshold with the best F1 over relevant gold items (ties: nearest the prior)."""
    prior = prior or weights.PRIOR_TOPIC_THRESHOLDS
    chosen = {}
    relevant = [ex for ex in data if ex.relevant]
    for name in TOPICS:
        best: tuple[float, float, float] | None = None  # (f1, -distance, threshold)
        for threshold in THRESHOLD_GRID:
            tp = fp = fn = 0
            for ex in relevant:
                masses = ex.topic_mass
                strongest = max(masses.values(), default=0.0)
                mass = masses.get(name, 0.0)
                predicted = mass >= threshold and mass >= relative * strongest
                gold = name in ex.topics
                tp += predicted and gold
                fp += predicted and not gold
                fn += gold and not predicted
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            key = (round(f1, 6), -abs(threshold - prior[name]), threshold)
            if best is None or key > best:
                best = key
        chosen[name] = best[2] if best else prior[name]
    return chosen


def score(
    data: Sequence[Example],
    bias: float,
    w: dict[str, float],
    thresholds: dict[str, float],
    relative: float,
    relevance: bool = True,
) -> tuple[float, float]:
    """Relevance F1 and topic micro-F1 of a model on examples (topics on predicted-relevant items).

    With ``relevance=False`` the gold relevance is used, to score topics alone.
    """
    tp = fp = fn = 0
    ttp = tfp = tfn = 0
    for ex in data:
        predicted = ex.relevant
        if relevance:
            predicted = (
                ex.features is not None and bias + sum(w[name] * ex.features.get(name, 0.0) for name in w) >= 0.0
            )
        tp += predicted and ex.relevant
        fp += predicted and not ex.relevant
        fn += ex.relevant and not predicted
        got: set[str] = set()
        if predicted:
            strongest = max(ex.topic_mass.values(), default=0.0)
            got = {
                name
                for name, mass in ex.topic_mass.items()
                if mass >= thresholds[name] and mass >= relative * strongest
            }
            if not got and ex.leader:
                got = {"diplomacy"}
        ttp += len(got & ex.topics)
        tfp += len(got - ex.topics)
        tfn += len(ex.topics - got)
    rel = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    top = 2 * ttp / (2 * ttp + tfp + tfn) if ttp else 0.0
    return rel, top


def cross_validate(data: Sequence[Example], k: int, l2: float) -> dict[str, tuple[float, float]]:
    """Mean (relevance F1, topic micro-F1) over K folds for the priors and for the fitted model."""
    folds = [list(data[i::k]) for i in range(k)]
    sums = {"prior": [0.0, 0.0], "fitted": [0.0, 0.0]}
    for i in range(k):
        test = folds[i]
        train = [ex for j, fold in enumerate(folds) if j != i for ex in fold]
        bias, w = fit(train, l2)
        thresholds, relative = fit_topics(train)
        prior = (
            weights.PRIOR_BIAS,
            weights.PRIOR_WEIGHTS,
            weights.PRIOR_TOPIC_THRESHOLDS,
            weights.PRIOR_TOPIC_RELATIVE,
        )
        for label, model in (("prior", prior), ("fitted", (bias, w, thresholds, relative))):
            rel, top = score(test, *model)
            sums[label][0] += rel / k
            sums[label][1] += top / k
    return {label: (values[0], values[1]) for label, values in sums.items()}


def module_text(bias: float, w: dict[str, float], thresholds: dict[str, float], relative: float, source: str) -> str:
    lines = [
        '"""The relevance model\'s weights and the topic thresholds (data; see :mod:`pipeline.detect.scoring`).',
        "",
        "Fitted by ``python -m pipeline.devtools.calibrate`` on " + source + " from the hand-set priors in",
        "``PRIOR_BIAS``/``PRIOR_WEIGHTS`` (kept here so a refit starts from the same place), every weight kept",
        "on the side of zero its feature's meaning fixes. Edit the priors, not the fitted values, then refit.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final",
        "",
        f"PRIOR_BIAS: Final = {weights.PRIOR_BIAS}",
        "PRIOR_WEIGHTS: Final[dict[str, float]] = {",
        *(f'    "{name}": {value},' for name, value in weights.PRIOR_WEIGHTS.items()),
        "}",
        "PRIOR_TOPIC_THRESHOLDS: Final[dict[str, float]] = {",
        *(f'    "{name}": {value},' for name, value in weights.PRIOR_TOPIC_THRESHOLDS.items()),
        "}",
        f"PRIOR_TOPIC_RELATIVE: Final = {weights.PRIOR_TOPIC_RELATIVE}",
        "",
        f"BIAS: Final = {round(bias, 3)}",
        "WEIGHTS: Final[dict[str, float]] = {",
        *(f'    "{name}": {round(value, 3)},' for name, value in w.items()),
        "}",
        "TOPIC_THRESHOLDS: Final[dict[str, float]] = {",
        *(f'    "{name}": {value},' for name, value in thresholds.items()),
        "}",
        f"TOPIC_RELATIVE: Final = {relative}",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.devtools.calibrate", description=__doc__.split("\n")[0])
    parser.add_argument("gold", help="gold JSON Lines file (see tests/data/LABELS.md)")
    parser.add_argument("--l2", type=float, default=2.0, help="pull towards the priors (default 2.0)")
    parser.add_argument("--cv", type=int, default=0, help="report K-fold cross-validation first")
    parser.add_argument("--write", action="store_true", help="rewrite pipeline/detect/weights.py")
    args = parser.parse_args(argv)
    data = examples(load_gold(args.gold))
    if args.cv:
        for label, (rel, top) in cross_validate(data, args.cv, args.l2).items():
            print(f"{args.cv}-fold CV {label:>6}: relevance F1 {rel:.3f}, topic micro-F1 {top:.3f}", file=sys.stderr)
    bias, w = fit(data, args.l2)
    thresholds, relative = fit_topics(data)
    rel, top = score(data, bias, w, thresholds, relative)
    print(f"fitted on all {len(data)} items: relevance F1 {rel:.3f}, topic micro-F1 {top:.3f}", file=sys.stderr)
    text = module_text(bias, w, thresholds, relative, Path(args.gold).name)
    if args.write:
        Path(weights.__file__).write_text(text, encoding="utf-8")
        print(f"wrote {weights.__file__}", file=sys.stderr)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
