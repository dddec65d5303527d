"""pipeline.devtools.calibrate: the refit keeps every weight's sign, is deterministic, and tunes topics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.detect import weights
from pipeline.devtools import calibrate
from pipeline.devtools.calibrate import SIGNS, Example, fit, fit_thresholds, fit_topics, score

FEATURE_NAMES = list(weights.PRIOR_WEIGHTS)


def example(
    relevant: bool, topics: dict[str, float] | None = None, gold: set[str] | None = None, **values: float
) -> Example:
    features = dict.fromkeys(FEATURE_NAMES, 0.0)
    features.update(values)
    return Example(features, relevant, topics or {}, False, frozenset(gold or ()))


def test_fit_moves_towards_the_data_but_keeps_signs() -> None:
    # Sport is here *positively* associated with relevance: the fit may not flip its sign.
    data = [example(True, pair=1.0, sports=1.0)] * 20 + [example(False, pair=0.2)] * 20
    bias, fitted = fit(data, l2=0.1)
    assert fitted["sports"] <= 0.0
    assert fitted["pair"] > weights.PRIOR_WEIGHTS["pair"]
    assert all(value * SIGNS[name] >= 0 for name, value in fitted.items())
    assert (bias, fitted) == fit(data, l2=0.1)  # deterministic


def test_strong_regularisation_keeps_the_priors() -> None:
    data = [example(True, pair=1.0), example(False, pair=0.1)]
    _, fitted = fit(data, l2=1e6)
    assert fitted == pytest.approx(weights.PRIOR_WEIGHTS, abs=0.01)


def test_items_decided_by_a_gate_are_not_fitted() -> None:
    gated = Example(None, True, {}, False, frozenset())
    assert fit([gated], l2=1.0) == (weights.PRIOR_BIAS, dict(weights.PRIOR_WEIGHTS))


def test_topic_thresholds_separate_gold_topics() -> None:
    data = [
        example(True, {"trade": 1.2}, {"trade"}),
        example(True, {"trade": 0.4}, set()),
        example(True, {"trade": 0.9}, {"trade"}),
    ]
    assert 0.4 < fit_thresholds(data, relative=0.0)["trade"] <= 0.9
    thresholds, relative = fit_topics(data)
    assert set(thresholds) == set(weights.TOPIC_THRESHOLDS)
    assert relative in calibrate.RELATIVE_GRID


def test_score_reports_relevance_and_topic_f1() -> None:
    data = [example(True, {"trade": 1.0}, {"trade"}, pair=1.0), example(False, pair=0.0)]
    w = dict.fromkeys(FEATURE_NAMES, 0.0) | {"pair": 4.0}
    relevance, topics = score(data, -2.0, w, dict.fromkeys(weights.TOPIC_THRESHOLDS, 0.5), 0.2)
    assert relevance == 1.0 and topics == 1.0


def test_main_prints_a_weights_module_without_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold.jsonl"
    rows = [
        {
            "id": "a",
            "title": "India, US sign trade pact",
            "summary": "Tariffs will fall.",
            "relevant": True,
            "topics": ["trade"],
        },
        {"id": "b", "title": "USA beat India in T20 thriller", "summary": "", "relevant": False, "topics": []},
    ]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    before = Path(weights.__file__).read_text(encoding="utf-8")
    assert calibrate.main([str(gold), "--l2", "1000"]) == 0
    out = capsys.readouterr().out
    assert "WEIGHTS: Final" in out and "TOPIC_THRESHOLDS: Final" in out and "PRIOR_WEIGHTS" in out
    compile(out, "weights.py", "exec")
    assert Path(weights.__file__).read_text(encoding="utf-8") == before
